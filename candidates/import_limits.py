"""What an import file may cost before it is refused: rows, columns, and for XLSX what the zip
unpacks to.

An XLSX is a zip of XML files: a 350 KB upload can unpack to 100 MB and a million rows, and
openpyxl would then hold the shared strings in memory and walk every row. Nothing here
decompresses anything: the zip's central directory declares each member's size, and Python's
zipfile never returns more than the declared size of a member (a lying size is cut short and
fails its CRC, which reads as a damaged file). Rows are counted while they stream past, and the
reading stops at the first row over the limit.
"""

from __future__ import annotations

import re
import zipfile
from typing import IO

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

# A spreadsheet wider than this is not a candidate list (and each row costs its width).
MAX_COLUMNS = 300
# The zip of a workbook holds a few dozen parts; thousands of members are a crafted file.
MAX_ZIP_MEMBERS = 1000
# Excel's own column limit. The sheet parser holds one row at a time, all of it: a crafted row
# of millions of empty cells (a few bytes each) would fill the worker's memory.
MAX_CELLS_PER_ROW = 16_384
_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")


class ImportLimitError(Exception):
    """The file is over a limit; the message says which and what to do."""


def _size(size: int) -> str:
    if size >= 1_048_576:
        return _("%(size)s MB") % {"size": number_format(size / 1_048_576, 1)}
    return _("%(size)s KB") % {"size": number_format(max(1, size // 1024))}


def _count(n: int) -> str:
    return number_format(n, force_grouping=True)


def xlsx_archive_check(handle: IO[bytes]) -> None:
    """Refuse a workbook whose members declare more than IMPORT_MAX_UNPACKED_BYTES in total.
    A file that is not a readable zip is left to the XLSX reader (it says "damaged")."""
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    finally:
        handle.seek(0)
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportLimitError(
            _(
                "This workbook has %(n)s parts; a spreadsheet has a few dozen. "
                "Open it in your spreadsheet program and save it again as XLSX, or export CSV."
            )
            % {"n": _count(len(members))}
        )
    unpacked = sum(member.file_size for member in members)
    limit = settings.IMPORT_MAX_UNPACKED_BYTES
    if unpacked > limit:
        raise ImportLimitError(
            _(
                "This workbook unpacks to %(size)s; the limit is %(limit)s. "
                "Split it into smaller files (or remove other sheets and formatting)."
            )
            % {"size": _size(unpacked), "limit": _size(limit)}
        )


def xlsx_row_width_check(sheet: IO[bytes]) -> None:
    """Refuse a sheet with a row of more than MAX_CELLS_PER_ROW cells, reading its XML as a
    byte stream (tags counted, nothing parsed or kept)."""
    cells = 0
    carry = b""
    while chunk := sheet.read(1 << 20):
        data = carry + chunk
        # A tag cut at the chunk's end is looked at again with the next chunk.
        cut = max(0, len(data) - 64)
        cut = data.rfind(b"<", cut) if data.rfind(b"<", cut) != -1 else len(data)
        for match in _ROW_OR_CELL.finditer(data, 0, cut):
            if match.group(1) == b"row":
                cells = 0
            else:
                cells += 1
                if cells > MAX_CELLS_PER_ROW:
                    raise ImportLimitError(
                        _(
                            "A row of this workbook has more than %(n)s cells "
                            "(the most a spreadsheet can have). Export it again as XLSX or CSV."
                        )
                        % {"n": _count(MAX_CELLS_PER_ROW)}
                    )
        carry = data[cut:]


def too_many_rows_message() -> str:
    limit = settings.IMPORT_MAX_ROWS
    return _(
        "The file has more than %(n)s rows; the limit is %(n)s rows per import. "
        "Split it into smaller files."
    ) % {"n": _count(limit)}


def rows_check(count: int) -> None:
    """Call with the number of data rows read so far (or declared by the file)."""
    if count > settings.IMPORT_MAX_ROWS:
        raise ImportLimitError(too_many_rows_message())


def columns_check(count: int) -> None:
    if count > MAX_COLUMNS:
        raise ImportLimitError(
            _(
                "The first row has %(n)s columns; at most %(max)s are read. "
                "Remove the empty or unused columns and upload again."
            )
            % {"n": _count(count), "max": MAX_COLUMNS}
        )
