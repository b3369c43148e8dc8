"""Reading import files: size limit, empty and binary files refused with a clear message,
encoding detected (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252, Latin-1), separator
sniffed from the header (; , tab), over-long lines reported per row (never a crash); XLSX read
as a stream within the row and column limits."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from candidates import import_limits

MAX_LINE_CHARS = 100_000


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass
class Row:
    line: int  # line of the file where the row starts (header = line 1)
    cells: list[str]
    error: str = ""  # the row could not be read at all (e.g. too long)


@dataclass
class ParsedFile:
    headers: list[str]
    encoding: str
    delimiter: str
    rows: Callable[[], Iterator[Row]]
    is_xlsx: bool = False
    # Data rows as the file announces them (line breaks, the sheet's dimension): for progress
    # bars only, never trusted as a count.
    estimated_rows: int | None = None


def _is_xlsx(name: str, head: bytes) -> bool:
    return name.lower().endswith((".xlsx", ".xlsm")) or head.startswith(b"PK\x03\x04")


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding). UTF-8 (BOM or not), UTF-16 with BOM, then Windows-1252, then Latin-1.

    Windows-1252 is tried before Latin-1 because spreadsheets on Windows write it (€, curly
    quotes in 0x80-0x9F); it leaves five bytes undefined, and a file using them is Latin-1.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("The file says it is UTF-8 but byte %(byte)s is not valid UTF-8.")
                % {"byte": exc.start}
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError(
                _("The file says it is UTF-16 but is not valid UTF-16.")
            ) from None
    _refuse_binary(data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _refuse_binary(data: bytes) -> None:
    from charset_normalizer import from_bytes

    sample = data[:65536]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if b"\x00" in sample or controls > len(sample) // 100:
        raise ImportFileError(
            _(
                "This is not a text file (it looks binary): export the spreadsheet as CSV "
                "(UTF-8) or XLSX and upload that."
            )
        )
    if from_bytes(sample).best() is None:
        raise ImportFileError(_("The file's text encoding could not be recognised."))


def sniff_delimiter(header_line: str) -> str:
    """The separator used in the header line: ; , or tab (outside quotes)."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _count(number: int) -> str:
    """A count as the reader's locale writes it (100,000 · 100 000 · 100.000)."""
    return number_format(number, force_grouping=True)


def _column(index: int) -> str:
    """The name given to a column whose header cell is empty."""
    return _("Column %(number)s") % {"number": index}


def _clean_headers(raw: list[str]) -> list[str]:
    headers, seen = [], set()
    for index, header in enumerate(raw, start=1):
        name = " ".join(str(header or "").replace("\ufeff", "").split()) or _column(index)
        while name in seen:
            name = f"{name} ({index})"
        seen.add(name)
        headers.append(name)
    return headers


def _csv_rows(text: str, delimiter: str) -> Iterator[Row]:
    """Rows after the header; a row longer than MAX_LINE_CHARS becomes an error row."""
    # csv's own limit (process-wide) would raise mid-file on a long cell; raise it so over-long
    # rows reach the per-row check below and only that row is reported.
    csv.field_size_limit(max(settings.MAX_UPLOAD_BYTES, MAX_LINE_CHARS) + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    for records, cells in enumerate(reader):
        start, previous_end = previous_end + 1, reader.line_num
        if start == 1:
            continue  # header
        _rows_check(records)
        if not any(c.strip() for c in cells):
            continue
        length = sum(len(c) for c in cells)
        if length > MAX_LINE_CHARS:
            yield Row(
                start,
                [],
                _("This row is %(length)s characters long; the limit is %(limit)s. It was skipped.")
                % {"length": _count(length), "limit": _count(MAX_LINE_CHARS)},
            )
            continue
        yield Row(start, cells)


def human_size(size: int) -> str:
    if size >= 1_048_576:
        return _("%(size)s MB") % {"size": number_format(size / 1_048_576, 1)}
    return _("%(size)s KB") % {"size": max(1, size // 1024)}


def too_big(size: int) -> str:
    return _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.") % {
        "size": human_size(size),
        "limit": human_size(settings.MAX_UPLOAD_BYTES),
    }


def parse_bytes(name: str, data: bytes) -> ParsedFile:
    if len(data) > settings.MAX_UPLOAD_BYTES:
        raise ImportFileError(too_big(len(data)))
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(_("The file is empty."))
    if _is_xlsx(name, data[:4]):
        return _parse_xlsx(data)
    if name.lower().endswith((".xls", ".ods", ".numbers", ".pdf", ".docx")):
        raise ImportFileError(_("Upload a CSV or an XLSX file (save older .xls files as .xlsx)."))
    text, encoding = decode(data)
    first_line = text.split("\n", 1)[0]
    if len(first_line) > MAX_LINE_CHARS:
        raise ImportFileError(
            _("The header line is %(length)s characters long; this is not a CSV header.")
            % {"length": _count(len(first_line))}
        )
    delimiter = sniff_delimiter(first_line)
    header_cells = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    headers = _clean_headers(header_cells)
    unnamed = {_column(index) for index in range(1, len(headers) + 1)}
    if not any(h and h not in unnamed for h in headers):
        raise ImportFileError(_("The first line must hold the column names."))
    parsed = ParsedFile(
        headers,
        encoding,
        delimiter,
        lambda: _csv_rows(text, delimiter),
        estimated_rows=max(0, text.count("\n") - 1 + (not text.endswith("\n"))),
    )
    return parsed


def _rows_check(count: int) -> None:
    try:
        import_limits.rows_check(count)
    except import_limits.ImportLimitError as exc:
        raise ImportFileError(str(exc)) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_open(data: bytes) -> Any:
    """openpyxl's workbook reader with everything but the worksheets read.

    Not `load_workbook`: even in read-only mode it sizes every sheet up front, and a sheet
    without a <dimension> element is then parsed to its end (100 MB of XML for a crafted file)
    before the first row can be read. The rows are streamed below instead."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    return reader


def _xlsx_first_sheet(reader: Any) -> str:
    for _sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
            return str(rel.target)
    raise ImportFileError(_("The workbook has no worksheet."))


def _xlsx_rows(reader: Any, path: str, *, max_row: int, max_col: int) -> Iterator[Any]:
    """(row number, values of columns 1..max_col) for the non-empty rows up to max_row, one at
    a time; reading stops at the first row past max_row."""
    from openpyxl.worksheet._reader import WorkSheetParser

    with reader.archive.open(path) as source:
        parser = WorkSheetParser(
            source,
            reader.shared_strings,
            data_only=True,
            epoch=reader.wb.epoch,
            date_formats=reader.wb._date_formats,
            timedelta_formats=reader.wb._timedelta_formats,
        )
        for number, cells in parser.parse():
            if number > max_row:
                return
            values: list[Any] = [None] * max_col
            for cell in cells:
                if cell["column"] <= max_col:
                    values[cell["column"] - 1] = cell["value"]
            yield number, values


def _xlsx_declared_rows(reader: Any, path: str) -> int | None:
    """Data rows the sheet's <dimension> announces (it comes before the data, if at all)."""
    # The parser openpyxl itself uses (expat, with its entity-expansion limits).
    from openpyxl.xml.functions import iterparse

    with reader.archive.open(path) as source:
        for _event, element in iterparse(source, events=("start",)):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "dimension":
                last = (element.get("ref") or "").rpartition(":")[2] or element.get("ref", "")
                digits = re.sub(r"^[A-Za-z]+", "", last)
                return int(digits) - 1 if digits.isdigit() else None
            if tag == "sheetData":
                return None
    return None


def _parse_xlsx(data: bytes) -> ParsedFile:
    """Header and a streaming row reader for the first sheet, within import_limits (the zip's
    declared unpacked size, columns, rows): never more than one row in memory."""
    try:
        import_limits.xlsx_archive_check(io.BytesIO(data))
        try:
            reader = _xlsx_open(data)
            path = _xlsx_first_sheet(reader)
            with reader.archive.open(path) as sheet:
                import_limits.xlsx_row_width_check(sheet)
            header_row: list[Any] = next(
                _xlsx_rows(reader, path, max_row=1, max_col=import_limits.MAX_COLUMNS + 1),
                (0, []),
            )[1]
            declared = _xlsx_declared_rows(reader, path)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError):
            raise ImportFileError(
                _("This is not a valid XLSX workbook (or it is damaged).")
            ) from None
        if not header_row or not any(v not in (None, "") for v in header_row):
            raise ImportFileError(
                _("The first sheet is empty: its first row must hold column names.")
            )
        # Spreadsheets often declare thousands of formatted but empty columns: the header ends
        # at its last named column.
        width = max(i for i, v in enumerate(header_row, start=1) if v not in (None, ""))
        import_limits.columns_check(width)
        if declared is not None and declared > settings.IMPORT_MAX_ROWS:
            # The sheet says so itself (rows past the last filled one are not counted below).
            import_limits.rows_check(declared)
    except import_limits.ImportLimitError as exc:
        raise ImportFileError(str(exc)) from None
    headers = _clean_headers([_cell(v) for v in header_row[:width]])
    # Read a few columns past the header, so a row with cells beyond it is still reported.
    max_col = min(width + 5, import_limits.MAX_COLUMNS + 1)

    def rows() -> Iterator[Row]:
        book = _xlsx_open(data)
        # One row past the limit is read, which is how an over-long sheet is recognised.
        try:
            for line, values in _xlsx_rows(
                book, path, max_row=settings.IMPORT_MAX_ROWS + 2, max_col=max_col
            ):
                if line < 2:
                    continue
                _rows_check(line - 1)
                cells = [_cell(v) for v in values]
                if not any(c.strip() for c in cells):
                    continue
                if sum(len(c) for c in cells) > MAX_LINE_CHARS:
                    yield Row(
                        line,
                        [],
                        _("This row is longer than %(limit)s characters.")
                        % {"limit": _count(MAX_LINE_CHARS)},
                    )
                else:
                    yield Row(line, cells)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError):
            raise ImportFileError(
                _("This is not a valid XLSX workbook (or it is damaged).")
            ) from None

    return ParsedFile(headers, "xlsx", "", rows, is_xlsx=True, estimated_rows=declared)
