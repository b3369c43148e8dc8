"""Import limits (candidates/import_limits.py): a small XLSX that unpacks to 100+ MB or holds a
million rows is refused with a clear message, without decompressing or loading it; rows stream
and reading stops one row past the limit; single-line fields refuse line breaks."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from candidates.import_dry_run import import_dry_run_execute, import_dry_run_start
from candidates.importing import (
    ImportFileError,
    import_job_create,
    import_preview,
    iter_records,
    job_parse,
)
from candidates.models import DryRunStatus

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_ML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEET_ML}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_SHEET_ML}.worksheet+xml"/></Types>'
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_DOC}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)


def crafted_xlsx(rows: int, *, dimension: bool, same_rows: bool = False) -> bytes:
    """A minimal workbook written row by row (never held whole in memory): a header, then
    `rows` candidates. `same_rows` writes one identical row over and over (SpreadsheetML allows
    rows without numbers): it compresses to almost nothing, as a zip bomb does."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            if dimension:
                sheet.write(f'<dimension ref="A1:B{rows + 1}"/>'.encode())
            sheet.write(
                b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c>'
                b'<c r="B1" t="inlineStr"><is><t>first_name</t></is></c></row>'
            )
            same = (
                b'<row><c t="inlineStr"><is><t>same.person@example.com</t></is></c>'
                b'<c t="inlineStr"><is><t>Same</t></is></c></row>'
            )
            for start in range(2, rows + 2, 5000):
                numbers = range(start, min(start + 5000, rows + 2))
                if same_rows:
                    sheet.write(same * len(numbers))
                    continue
                sheet.write(
                    b"".join(
                        (
                            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>p{n}@example.com'
                            f'</t></is></c><c r="B{n}" t="inlineStr"><is><t>P{n}</t></is></c></row>'
                        ).encode()
                        for n in numbers
                    )
                )
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def _create(data: bytes, name: str = "big.xlsx"):  # type: ignore[no-untyped-def]
    return import_job_create(kind="candidates", upload=SimpleUploadedFile(name, data), actor=None)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """1,000,000 rows unpacking to over 100 MB, packed in well under 1 MB."""
    return crafted_xlsx(1_000_000, dimension=False, same_rows=True)


def test_the_zip_bomb_is_what_the_probe_sent(bomb):
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    assert len(bomb) < 1024 * 1024
    assert unpacked > 100 * 1024 * 1024


def test_a_small_xlsx_unpacking_to_over_100_mb_is_refused_without_unpacking_it(tenant_a, bomb):
    import openpyxl  # noqa: F401 (imported before measuring: importing takes memory)

    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError) as refused:
            _create(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "This workbook unpacks to 1" in str(refused.value)
    assert "the limit is 50.0 MB" in str(refused.value)
    # Nothing near the unpacked size was ever in memory (the upload itself is < 1 MB).
    assert peak < 4 * 1024 * 1024


@override_settings(IMPORT_MAX_ROWS=20_000)
def test_a_million_rows_within_the_size_limit_are_refused_by_the_row_limit(tenant_a, bomb):
    with (
        override_settings(IMPORT_MAX_UNPACKED_BYTES=1024 * 1024 * 1024),
        pytest.raises(ImportFileError) as refused,
    ):
        parsed = job_parse(_create(bomb))  # no dimension: only counting can tell
        sum(1 for _ in parsed.rows())
    assert str(refused.value) == (
        "The file has more than 20,000 rows; the limit is 20,000 rows per import. "
        "Split it into smaller files."
    )


@override_settings(IMPORT_MAX_ROWS=2000)
def test_a_sheet_declaring_too_many_rows_is_refused_at_upload(tenant_a):
    with pytest.raises(ImportFileError, match="more than 2,000 rows"):
        _create(crafted_xlsx(2500, dimension=True))


@override_settings(IMPORT_MAX_ROWS=2000)
def test_rows_stream_and_reading_stops_one_row_past_the_limit(tenant_a):
    job = _create(crafted_xlsx(20_000, dimension=False))
    checked = []

    def progress(count: int, estimate: int | None) -> bool:
        checked.append(count)
        return True

    with pytest.raises(ImportFileError, match="more than 2,000 rows"):
        import_preview(job, progress=progress)
    assert checked == [1000, 2000]  # it never went on to the other 18,000 rows


@override_settings(IMPORT_MAX_ROWS=2000)
def test_the_dry_run_reports_the_row_limit_and_offers_no_import(tenant_a):
    job = _create(crafted_xlsx(5000, dimension=False))
    job = import_dry_run_start(job=job, actor=None)
    assert import_dry_run_execute(job.pk, job.dry_run["run"]) == DryRunStatus.FAILED
    job.refresh_from_db()
    assert "more than 2,000 rows" in job.dry_run["message"]
    page = tenant_a.client(tenant_a.recruiter).get(f"/candidates/import/{job.pk}/mapping/")
    body = page.content.decode()
    assert "more than 2,000 rows" in body and "Nothing was imported" in body
    assert "valid row" not in body


@override_settings(IMPORT_MAX_ROWS=3)
def test_csv_rows_are_limited_too(tenant_a):
    data = b"email,first_name\n" + b"".join(f"p{i}@example.com,P{i}\n".encode() for i in range(4))
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        list(job_parse(_create(data, "list.csv")).rows())
    three = b"email,first_name\n" + b"".join(f"p{i}@x.io,P{i}\n".encode() for i in range(3))
    assert len(list(job_parse(_create(three, "list.csv")).rows())) == 3


def _lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """Rewrite the member's uncompressed size in its local header and the central directory."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    struct.pack_into("<I", raw, info.header_offset + 22, declared)
    name = member.encode()
    position = raw.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", raw, position + 28)[0]
        if raw[position + 46 : position + 46 + name_length] == name:
            struct.pack_into("<I", raw, position + 24, declared)
            break
        position = raw.find(b"PK\x01\x02", position + 4)
    else:
        raise AssertionError(f"{member} is not in the central directory")
    return bytes(raw)


def test_a_workbook_lying_about_its_sizes_reads_as_damaged(tenant_a):
    honest = crafted_xlsx(200, dimension=False)
    lying = _lie_about_size(honest, "xl/worksheets/sheet1.xml", 100)
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 100
    with pytest.raises(ImportFileError, match="not a valid XLSX workbook"):
        list(job_parse(_create(lying)).rows())


def test_thousands_of_formatted_empty_columns_are_not_headers(tenant_a):
    data = crafted_xlsx(3, dimension=False).replace(b'<dimension ref="A1:B4"/>', b"")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<sheetData>", b'<dimension ref="A1:XFD4"/><sheetData>')
            target.writestr(item.filename, content)
    job = _create(out.getvalue())
    assert job.headers == ["email", "first_name"]
    assert len(list(job_parse(job).rows())) == 3


def test_line_breaks_in_single_line_cells_refuse_the_row_with_a_message(tenant_a):
    data = (
        b'email,first_name,phone\nada@example.com,"Ada\nLovelace",+33 1\n'
        b'bob@example.com,Bob,"+33\r\n2"\nok@example.com,Ok,+33 3\n'
    )
    job = _create(data, "list.csv")
    records = list(iter_records(job.kind, job_parse(job), job.mapping))
    assert [r.errors for r in records] == [
        [("first_name", "This cell holds a line break; the field takes a single line.")],
        [("phone", "This cell holds a line break; the field takes a single line.")],
        [],
    ]


def test_a_row_of_millions_of_empty_cells_is_refused_before_it_is_parsed(tenant_a):
    data = crafted_xlsx(2, dimension=False)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                # 2 million cells of 4 bytes: 8 MB unpacked, well within the size limit.
                content = content.replace(
                    b"</sheetData>", b"<row>" + b"<c/>" * 2_000_000 + b"</row></sheetData>"
                )
            target.writestr(item.filename, content)
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError, match="more than 16,384 cells"):
            _create(out.getvalue())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024  # parsing that row would have taken gigabytes
