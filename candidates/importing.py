"""Import of candidates and past applications from CSV/XLSX files.

Reading: size limit, empty and binary files refused with a clear message, encoding detected
(UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252, Latin-1), separator sniffed from the
header (; , tab), over-long lines reported per row (never a crash).

Writing runs in chunks of CHUNK_SIZE rows, each chunk one transaction that also advances the
job's persisted cursor; every write is an idempotent upsert (fill blanks only), so a job killed
mid-way resumes from the cursor, and re-importing the same file changes nothing.

Imported past rejections do NOT send `application_outcome_changed`: the feedback app must not
email people rejected years ago. Only `candidates_changed(reason="import")` is sent.
"""

from __future__ import annotations

import abc
import codecs
import csv
import functools
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import User
from candidates import import_limits
from candidates.models import (
    Activity,
    ActivityKind,
    AgeBracket,
    Application,
    Candidate,
    CandidateSkill,
    CandidateTag,
    ImportJob,
    ImportKind,
    ImportMapping,
    ImportStatus,
    Outcome,
    Position,
    PositionStatus,
    Seniority,
    Stage,
)
from candidates.services import (
    CandidateError,
    changed_on_commit,
    skills_get_or_create,
    tag_names_validate,
    tags_get_or_create,
)
from candidates.timeline import timeline_entry, timeline_summary
from candidates.validators import SINGLE_LINE_FIELDS, has_line_break

CHUNK_SIZE = 1000
# A job "running" without progress for this long lost its worker and may be resumed.
STALE_AFTER_SECONDS = 120
MAX_LINE_CHARS = 100_000
MAX_STORED_ERRORS = 5000
PREVIEW_ROWS = 10


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


class _Superseded(Exception):
    """Another run of the same job committed this chunk first; this run stops."""


class DryRunSuperseded(Exception):
    """A newer dry run of the same job was asked for; this one stops."""


# --- Target fields ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    max_length: int | None = None


# Header names recognised in English, French, German and Italian. They are compared after
# `_norm_header` (lower case, accents stripped, only letters and digits), so "Prénom",
# "PRENOM" and "prénom " all match "prenom".
CANDIDATE_TARGETS = [
    Target(
        "email",
        "Email",
        (
            *("email", "e-mail", "mail", "email address", "courriel", "adresse e-mail"),
            *("adresse mail", "adresse electronique", "e-mail-adresse", "mailadresse"),
            *("indirizzo email", "indirizzo e-mail", "posta elettronica"),
        ),
    ),
    Target(
        "first_name",
        "First name",
        ("first name", "given name", "forename", "prénom", "vorname", "nome"),
        100,
    ),
    Target(
        "last_name",
        "Last name",
        (
            *("last name", "surname", "family name", "nom", "nom de famille", "nachname"),
            *("familienname", "cognome"),
        ),
        100,
    ),
    Target(
        "full_name",
        "Full name (split)",
        (
            *("name", "full name", "candidate", "nom complet", "prénom et nom", "prénom nom"),
            *("vollständiger name", "vor- und nachname", "nome completo", "nome e cognome"),
            "nominativo",
        ),
    ),
    Target(
        "phone",
        "Phone",
        (
            *("phone", "mobile", "telephone", "tel", "phone number", "cell", "téléphone"),
            *("portable", "numéro de téléphone", "telefon", "telefonnummer", "handy", "mobil"),
            *("telefono", "cellulare", "numero di telefono"),
        ),
        40,
    ),
    Target(
        "city",
        "City",
        ("city", "town", "ville", "commune", "stadt", "ort", "wohnort", "città", "comune"),
        100,
    ),
    Target(
        "country",
        "Country (ISO code)",
        ("country", "country code", "pays", "code pays", "land", "ländercode", "paese", "nazione"),
    ),
    Target("languages", "Languages (list)", ("languages", "langues", "sprachen", "lingue")),
    Target(
        "preferred_language",
        "Preferred email language",
        (
            *("preferred language", "language", "langue", "langue préférée", "sprache"),
            *("bevorzugte sprache", "lingua", "lingua preferita"),
        ),
    ),
    Target(
        "profession",
        "Profession",
        (
            *("profession", "job", "job title", "occupation", "métier", "fonction", "beruf"),
            *("berufsbezeichnung", "professione", "mestiere", "qualifica"),
        ),
        120,
    ),
    Target(
        "seniority",
        "Seniority",
        ("seniority", "level", "niveau", "séniorité", "erfahrungsstufe", "livello", "anzianità"),
    ),
    Target(
        "years_experience",
        "Years of experience",
        (
            *("years experience", "years of experience", "experience", "years"),
            *("années d'expérience", "expérience", "berufserfahrung", "jahre erfahrung"),
            *("erfahrung", "anni di esperienza", "esperienza"),
        ),
    ),
    Target(
        "skills",
        "Skills (list)",
        (
            *("skills", "compétences", "kenntnisse", "fähigkeiten", "kompetenzen"),
            *("competenze", "abilità"),
        ),
    ),
    Target(
        "interests",
        "Interests (list)",
        ("interests", "intérêts", "centres d'intérêt", "interessen", "interessi"),
    ),
    Target(
        "desired_positions",
        "Desired positions (list)",
        (
            *("desired positions", "desired position", "postes souhaités", "poste souhaité"),
            *("wunschpositionen", "wunschposition", "posizioni desiderate"),
            "posizione desiderata",
        ),
    ),
    Target(
        "desired_locations",
        "Desired locations (list)",
        (
            *("desired locations", "desired location", "lieux souhaités", "lieu souhaité"),
            *("wunschorte", "wunschort", "sedi desiderate", "sede desiderata"),
        ),
    ),
    Target(
        "age_bracket",
        "Age bracket",
        (
            *("age bracket", "age", "age group", "tranche d'âge", "âge", "altersgruppe"),
            *("alter", "fascia d'età", "età"),
        ),
    ),
    Target(
        "source",
        "Source",
        ("source", "origin", "channel", "origine", "canal", "quelle", "herkunft", "fonte"),
        60,
    ),
    Target(
        "notes",
        "Notes",
        (
            *("notes", "note", "comments", "comment", "remarques", "commentaires"),
            *("notizen", "bemerkungen", "anmerkungen", "kommentar", "commenti"),
        ),
    ),
    Target("tags", "Tags (list)", ("tags", "labels", "étiquettes", "schlagwörter", "etichette")),
]
APPLICATION_TARGETS = [
    Target(
        "email",
        "Candidate email",
        (
            *("email", "e-mail", "mail", "candidate email", "courriel", "adresse e-mail"),
            *("e-mail-adresse", "indirizzo email", "posta elettronica"),
        ),
    ),
    Target(
        "first_name", "First name", ("first name", "given name", "prénom", "vorname", "nome"), 100
    ),
    Target(
        "last_name",
        "Last name",
        ("last name", "surname", "nom", "nom de famille", "nachname", "cognome"),
        100,
    ),
    Target(
        "full_name",
        "Full name (split)",
        ("name", "full name", "candidate", "nom complet", "nome completo", "nominativo"),
    ),
    Target(
        "position",
        "Position title",
        (
            *("position", "job", "job title", "title", "poste", "intitulé du poste", "stelle"),
            *("stellenbezeichnung", "posizione", "ruolo"),
        ),
        200,
    ),
    Target(
        "stage",
        "Stage reached",
        ("stage", "stage reached", "step", "étape", "phase", "stufe", "fase"),
    ),
    Target(
        "outcome",
        "Outcome",
        ("outcome", "status", "result", "résultat", "statut", "ergebnis", "esito", "stato"),
    ),
    Target(
        "applied_at",
        "Applied on (date)",
        (
            *("applied at", "applied on", "date", "applied", "date de candidature"),
            *("bewerbungsdatum", "datum", "data", "data candidatura", "data di candidatura"),
        ),
    ),
]
REQUIRED = {
    ImportKind.CANDIDATES: ["email"],
    ImportKind.APPLICATIONS: ["email", "position", "stage"],
}
LIST_TARGETS = {
    "languages",
    "skills",
    "interests",
    "desired_positions",
    "desired_locations",
    "tags",
}


def targets_for(kind: str) -> list[Target]:
    return CANDIDATE_TARGETS if kind == ImportKind.CANDIDATES else APPLICATION_TARGETS


def _norm_header(header: str) -> str:
    """Lower case, accents stripped (NFKD: "é" is "e" and a combining accent, which goes), then
    only letters and digits: "Prénom" → "prenom", "Città" → "citta", "E-Mail-Adresse" →
    "emailadresse". Letters are never dropped for carrying an accent."""
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", plain)


@functools.cache
def _synonyms(target: Target) -> frozenset[str]:
    return frozenset({_norm_header(target.key), *(_norm_header(s) for s in target.synonyms)})


def headers_signature(kind: str, headers: list[str]) -> str:
    joined = "\x1f".join(_norm_header(h) for h in headers)
    return hashlib.sha256(f"{kind}\x1e{joined}".encode()).hexdigest()


def mapping_guess(kind: str, headers: list[str]) -> dict[str, str]:
    """header -> target key: the remembered mapping for these headers, else by header names."""
    remembered = ImportMapping.objects.filter(
        kind=kind, signature=headers_signature(kind, headers)
    ).first()
    if remembered is not None:
        return {h: remembered.mapping.get(h, "") for h in headers}
    guess: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        norm = _norm_header(header)
        for target in targets_for(kind):
            if target.key not in used and norm in _synonyms(target):
                guess[header] = target.key
                used.add(target.key)
                break
        else:
            guess[header] = ""
    return guess


def mapping_validate(kind: str, headers: list[str], mapping: dict[str, str]) -> list[str]:
    """Problems with a mapping (empty list = usable)."""
    problems = []
    keys = [k for k in mapping.values() if k]
    valid = {t.key for t in targets_for(kind)}
    for key in keys:
        if key not in valid:
            problems.append(f"Unknown field {key!r}.")
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"Two columns are mapped to {_label(kind, key)}; map only one.")
    mapped = set(keys)
    for key in REQUIRED[kind]:
        if key not in mapped:
            problems.append(f"Map a column to {_label(kind, key)}: it is required.")
    if "full_name" not in mapped and "first_name" not in mapped and kind == ImportKind.CANDIDATES:
        problems.append("Map a column to First name or Full name.")
    return problems


def _label(kind: str, key: str) -> str:
    return next((t.label for t in targets_for(kind) if t.key == key), key)


# --- Reading files ------------------------------------------------------------------------------


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
                f"The file says it is UTF-8 but byte {exc.start} is not valid UTF-8."
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ImportFileError("The file says it is UTF-16 but is not valid UTF-16.") from None
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
            "This is not a text file (it looks binary): export the spreadsheet as CSV "
            "(UTF-8) or XLSX and upload that."
        )
    if from_bytes(sample).best() is None:
        raise ImportFileError("The file's text encoding could not be recognised.")


def sniff_delimiter(header_line: str) -> str:
    """The separator used in the header line: ; , or tab (outside quotes)."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _clean_headers(raw: list[str]) -> list[str]:
    headers, seen = [], set()
    for index, header in enumerate(raw, start=1):
        name = " ".join(str(header or "").replace("\ufeff", "").split()) or f"Column {index}"
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
                f"This row is {length:,} characters long; the limit is {MAX_LINE_CHARS:,}. "
                "It was skipped.",
            )
            continue
        yield Row(start, cells)


def human_size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{max(1, size // 1024)} KB"


def _too_big(size: int) -> str:
    return (
        f"The file is {human_size(size)}; the limit is {human_size(settings.MAX_UPLOAD_BYTES)}. "
        "Split it into smaller files."
    )


def parse_bytes(name: str, data: bytes) -> ParsedFile:
    if len(data) > settings.MAX_UPLOAD_BYTES:
        raise ImportFileError(_too_big(len(data)))
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError("The file is empty.")
    if _is_xlsx(name, data[:4]):
        return _parse_xlsx(data)
    if name.lower().endswith((".xls", ".ods", ".numbers", ".pdf", ".docx")):
        raise ImportFileError("Upload a CSV or an XLSX file (save older .xls files as .xlsx).")
    text, encoding = decode(data)
    first_line = text.split("\n", 1)[0]
    if len(first_line) > MAX_LINE_CHARS:
        raise ImportFileError(
            f"The header line is {len(first_line):,} characters long; this is not a CSV header."
        )
    delimiter = sniff_delimiter(first_line)
    header_cells = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
    headers = _clean_headers(header_cells)
    if not any(h and not h.startswith("Column ") for h in headers):
        raise ImportFileError("The first line must hold the column names.")
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
    raise ImportFileError("The workbook has no worksheet.")


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
            header_row = next(
                _xlsx_rows(reader, path, max_row=1, max_col=import_limits.MAX_COLUMNS + 1),
                (0, []),
            )[1]
            declared = _xlsx_declared_rows(reader, path)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError):
            raise ImportFileError("This is not a valid XLSX workbook (or it is damaged).") from None
        if not header_row or not any(v not in (None, "") for v in header_row):
            raise ImportFileError("The first sheet is empty: its first row must hold column names.")
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
                    yield Row(line, [], f"This row is longer than {MAX_LINE_CHARS:,} characters.")
                else:
                    yield Row(line, cells)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError):
            raise ImportFileError("This is not a valid XLSX workbook (or it is damaged).") from None

    return ParsedFile(headers, "xlsx", "", rows, is_xlsx=True, estimated_rows=declared)


# --- Validating rows ----------------------------------------------------------------------------

_SENIORITY = {
    **{v: v for v in Seniority.values},
    **{label.lower(): v for v, label in Seniority.choices},
    "medior": "mid",
    "intermediate": "mid",
    "mid level": "mid",
}
_AGE = {
    **{v: v for v in AgeBracket.values},
    **{label.lower().replace("–", "-"): v for v, label in AgeBracket.choices},
    "18-24": "18_24",
    "25-34": "25_34",
    "35-44": "35_44",
    "45-54": "45_54",
    "55+": "55_plus",
}
_OUTCOME = {**{v: v for v in Outcome.values}, **{label.lower(): v for v, label in Outcome.choices}}
_LANGUAGES = {code for code, _ in settings.LANGUAGES}
# Import fields that hold one line (names, phone…): a cell with a line break is refused.
_ONE_LINE = {*SINGLE_LINE_FIELDS, "full_name", "position", "stage", "outcome", "country"}


def _split_list(value: str) -> list[str]:
    return [p for p in (" ".join(x.split()) for x in re.split(r"[;,|\n]", value)) if p][:50]


@dataclass
class Record:
    line: int
    values: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)


def row_to_record(kind: str, headers: list[str], mapping: dict[str, str], row: Row) -> Record:
    record = Record(row.line, {})
    if row.error:
        record.errors.append(("", row.error))
        return record
    cells = row.cells
    if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers) :]):
        record.errors.append(
            (
                "",
                f"This row has {len(cells)} cells but the header has {len(headers)} columns "
                "(a separator inside a value without quotes?).",
            )
        )
        return record
    lengths = {t.key: t.max_length for t in targets_for(kind)}
    raw: dict[str, str] = {}
    for index, header in enumerate(headers):
        key = mapping.get(header)
        if key:
            raw[key] = (cells[index] if index < len(cells) else "").strip()
    values = record.values
    column = {v: h for h, v in mapping.items() if v}

    def error(key: str, reason: str) -> None:
        record.errors.append((column.get(key, key), reason))

    broken = [key for key, value in raw.items() if key in _ONE_LINE and has_line_break(value)]
    for key in broken:
        error(key, "This cell holds a line break; the field takes a single line.")
    if broken:
        return record
    email = raw.get("email", "")
    if not email:
        error("email", "The email is missing.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            error("email", f"“{email[:80]}” is not a valid email address.")
        else:
            local, _, domain = email.rpartition("@")
            values["email"] = f"{local}@{domain.lower()}"
    if raw.get("full_name") and not raw.get("first_name"):
        first, _, last = raw["full_name"].partition(" ")
        raw["first_name"] = first
        if not raw.get("last_name"):
            raw["last_name"] = last.strip()
    if kind == ImportKind.APPLICATIONS and not raw.get("first_name") and "email" in values:
        # Old applicant-tracking exports often have only the email; the person still needs a name.
        raw["first_name"] = values["email"].split("@", 1)[0][:100]
    for key, value in raw.items():
        if key in ("email", "full_name") or not value:
            continue
        limit = lengths.get(key)
        if limit and len(value) > limit:
            error(key, f"Too long ({len(value)} characters; at most {limit}).")
            continue
        if key in LIST_TARGETS:
            items = _split_list(value)
            if any(len(i) > 100 for i in items):
                error(key, "An item of this list is longer than 100 characters.")
            elif key == "tags":
                try:
                    values[key] = tag_names_validate(items)
                except CandidateError as exc:
                    error(key, str(exc))
            else:
                values[key] = items
        elif key == "country":
            if not re.fullmatch(r"[A-Za-z]{2}", value):
                error(key, f"“{value[:40]}” is not a two-letter country code (e.g. FR).")
            else:
                values[key] = value.upper()
        elif key == "seniority":
            if value.lower() not in _SENIORITY:
                error(key, f"Unknown seniority “{value[:40]}” (junior, mid, senior or lead).")
            else:
                values[key] = _SENIORITY[value.lower()]
        elif key == "age_bracket":
            normal = value.lower().replace("–", "-").replace(" ", "")
            if normal not in _AGE:
                error(key, f"Unknown age bracket “{value[:40]}” (e.g. 25-34).")
            else:
                values[key] = _AGE[normal]
        elif key == "years_experience":
            if not value.isdigit() or int(value) > 70:
                error(key, f"“{value[:40]}” is not a number of years (0-70).")
            else:
                values[key] = int(value)
        elif key == "preferred_language":
            code = value.lower()[:2]
            if code not in _LANGUAGES:
                error(
                    key, f"Unsupported language “{value[:40]}” ({', '.join(sorted(_LANGUAGES))})."
                )
            else:
                values[key] = code
        elif key == "outcome":
            if value.lower() not in _OUTCOME:
                error(key, f"Unknown outcome “{value[:40]}” (active, rejected, withdrawn, hired).")
            else:
                values[key] = _OUTCOME[value.lower()]
        elif key == "applied_at":
            moment = parse_datetime(value) or (
                datetime.combine(day, datetime.min.time()) if (day := _parse_day(value)) else None
            )
            if moment is None:
                error(key, f"“{value[:40]}” is not a date (YYYY-MM-DD).")
            else:
                values[key] = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        else:
            values[key] = value
    if not values.get("first_name") and kind == ImportKind.CANDIDATES and "email" in values:
        error("first_name", "The first name is missing.")
    for key in REQUIRED[kind]:
        if key != "email" and not raw.get(key):
            error(key, f"{_label(kind, key)} is missing.")
    return record


def _parse_day(value: str) -> Any:
    try:
        return parse_date(value)
    except ValueError:
        return None


def iter_records(kind: str, parsed: ParsedFile, mapping: dict[str, str]) -> Iterator[Record]:
    """Every data row as a Record; a later row with an email already seen is an error."""
    seen: dict[str, int] = {}
    for row in parsed.rows():
        record = row_to_record(kind, parsed.headers, mapping, row)
        email = record.values.get("email")
        if email and not record.errors and kind == ImportKind.CANDIDATES:
            first = seen.setdefault(email.lower(), record.line)
            if first != record.line:
                record.errors.append(
                    (_column_of(mapping, "email"), f"Same email as line {first}; row skipped.")
                )
        yield record


def _column_of(mapping: dict[str, str], key: str) -> str:
    return next((h for h, v in mapping.items() if v == key), key)


# --- Preview ------------------------------------------------------------------------------------


@dataclass
class Preview:
    total: int = 0
    valid: int = 0
    new: int = 0
    existing: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    sample: list[Record] = field(default_factory=list)


PROGRESS_EVERY = 1000


def import_preview(
    job: ImportJob, *, progress: Callable[[int, int | None], bool] | None = None
) -> Preview:
    """Dry run: validate every row and count what would be created, without writing.

    `progress(rows_checked, estimated_rows)` is called every PROGRESS_EVERY rows; when it
    returns False the dry run stops (a newer one replaced it) and raises DryRunSuperseded."""
    parsed = job_parse(job)
    preview = Preview()
    emails: list[str] = []
    for record in iter_records(job.kind, parsed, job.mapping):
        preview.total += 1
        tick = progress is not None and preview.total % PROGRESS_EVERY == 0
        if tick and not progress(preview.total, parsed.estimated_rows):  # type: ignore[misc]
            raise DryRunSuperseded
        if len(preview.sample) < PREVIEW_ROWS:
            preview.sample.append(record)
        if record.errors:
            preview.error_count += 1
            for column, reason in record.errors:
                if len(preview.errors) < 500:
                    preview.errors.append({"line": record.line, "column": column, "reason": reason})
            continue
        preview.valid += 1
        emails.append(record.values["email"].lower())
    known = set()
    for start in range(0, len(emails), 5000):
        known |= set(
            Candidate.objects.annotate(e=Lower("email"))
            .filter(e__in=emails[start : start + 5000])
            .values_list("e", flat=True)
        )
    preview.existing = len(set(emails) & known)
    preview.new = len(set(emails)) - preview.existing
    return preview


# --- Jobs ---------------------------------------------------------------------------------------


def job_parse(job: ImportJob) -> ParsedFile:
    with job.file.open("rb") as handle:
        data = handle.read()
    return parse_bytes(job.original_name, data)


@transaction.atomic
def import_job_create(*, kind: str, upload: UploadedFile, actor: User | None) -> ImportJob:
    """Validate the file as a whole and store it; the mapping step comes next."""
    if kind not in ImportKind.values:
        raise ImportFileError("Choose what the file contains: candidates or applications.")
    if upload.size and upload.size > settings.MAX_UPLOAD_BYTES:
        raise ImportFileError(_too_big(upload.size))
    data = upload.read(settings.MAX_UPLOAD_BYTES + 1)
    parsed = parse_bytes(upload.name or "upload.csv", data)
    job = ImportJob(
        kind=kind,
        created_by=actor if actor and actor.pk else None,
        original_name=(upload.name or "upload.csv")[-255:],
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        headers=parsed.headers,
    )
    job.mapping = mapping_guess(kind, parsed.headers)
    job.file.save(_safe_name(job.original_name), ContentFile(data), save=False)
    job.save()
    return job


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", name)[-80:]
    return stem or "upload.csv"


@transaction.atomic
def import_mapping_set(*, job: ImportJob, mapping: dict[str, str], actor: User | None) -> ImportJob:
    if job.status != ImportStatus.UPLOADED:
        raise ImportFileError("This import has already started; upload the file again to remap.")
    mapping = {h: mapping.get(h, "") for h in job.headers}
    problems = mapping_validate(job.kind, job.headers, mapping)
    if problems:
        raise ImportFileError(" ".join(problems))
    job.mapping = mapping
    job.save(update_fields=["mapping"])
    ImportMapping.objects.update_or_create(
        kind=job.kind,
        signature=headers_signature(job.kind, job.headers),
        defaults={"mapping": mapping},
    )
    return job


@transaction.atomic
def import_job_start(*, job: ImportJob, actor: User | None) -> ImportJob:
    from candidates.tasks import import_job_run_task

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job_resumable(job):
        return job
    problems = mapping_validate(job.kind, job.headers, job.mapping)
    if problems:
        raise ImportFileError(" ".join(problems))
    job.status = ImportStatus.QUEUED
    job.message = ""
    job.save(update_fields=["status", "message", "updated_at"])
    transaction.on_commit(lambda: import_job_run_task.delay(job.pk))
    return job


def job_resumable(job: ImportJob) -> bool:
    if job.purged_at is not None:
        return False  # its file was deleted (retention, or an erasure of someone in it)
    if job.status in (ImportStatus.UPLOADED, ImportStatus.FAILED):
        return True
    stale = timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS)
    return job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING) and job.updated_at < stale


def import_jobs_resume_stale() -> int:
    """Restart jobs whose worker died (no progress for STALE_AFTER_SECONDS); they continue from
    their cursor. Returns how many were restarted."""
    stale = timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS)
    restarted = 0
    for job in ImportJob.objects.filter(
        status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING], updated_at__lt=stale
    ):
        import_job_start(job=job, actor=None)
        restarted += 1
    return restarted


def import_job_run(job_id: int) -> ImportJob:
    """Process the job from its cursor to the end; safe to call again after a crash, and safe
    if two runs overlap (a chunk is committed by exactly one of them)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status == ImportStatus.DONE or job.purged_at is not None:
            return job
        job.status = ImportStatus.RUNNING
        job.save(update_fields=["status", "updated_at"])
    try:
        parsed = job_parse(job)
    except ImportFileError as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, message=str(exc))
        job.refresh_from_db()
        return job
    if not job.total_rows:
        job.total_rows = sum(1 for _ in parsed.rows())
        ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
    writer = _CandidateWriter(job) if job.kind == ImportKind.CANDIDATES else _ApplicationWriter(job)
    try:
        _run_chunks(writer, job, parsed)
    except _Superseded:
        job.refresh_from_db()
        return job
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, finished_at=timezone.now(), updated_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def _run_chunks(writer: _Writer, job: ImportJob, parsed: ParsedFile) -> None:
    chunk: list[Record] = []
    for index, record in enumerate(iter_records(job.kind, parsed, job.mapping)):
        if index < job.cursor:
            continue  # committed by an earlier run (the loop still saw it for duplicates)
        chunk.append(record)
        if len(chunk) >= CHUNK_SIZE:
            writer.write_chunk(chunk)
            chunk = []
    if chunk:
        writer.write_chunk(chunk)


def import_job_fail(*, job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).exclude(status=ImportStatus.DONE).update(
        status=ImportStatus.FAILED, message=message[:300]
    )


class _Writer(abc.ABC):
    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.actor_id = job.created_by_id

    def write_chunk(self, records: list[Record]) -> None:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=self.job.pk)
            # purged: an erasure deleted the file mid-run; it must not bring the person back.
            if job.cursor != self.job.cursor or job.purged_at is not None:
                raise _Superseded
            valid = [r for r in records if not r.errors]
            created, updated, unchanged, changed_ids = self.write(valid)
            errors = [
                {"line": r.line, "column": c, "reason": reason}
                for r in records
                for c, reason in r.errors
            ]
            room = max(0, MAX_STORED_ERRORS - len(job.errors))
            job.errors = job.errors + errors[:room]
            job.error_count += sum(1 for r in records if r.errors)
            job.created_count += created
            job.updated_count += updated
            job.unchanged_count += unchanged
            job.cursor += len(records)
            job.save(
                update_fields=[
                    "errors",
                    "error_count",
                    "created_count",
                    "updated_count",
                    "unchanged_count",
                    "cursor",
                    "updated_at",
                ]
            )
            changed_on_commit(changed_ids, "import")
            self.job = job

    @abc.abstractmethod
    def write(self, records: list[Record]) -> tuple[int, int, int, list[int]]:
        """Upsert one chunk; return (created, updated, unchanged, changed candidate ids)."""

    def activities(self, candidate_ids: list[int], code: str) -> None:
        if not candidate_ids:
            return
        params = {"file": self.job.original_name}
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Activity._meta.db_table} "  # noqa: S608 (model table name)
                "(candidate_id, kind, at, actor_id, code, params, summary, body, ref, data) "
                "SELECT c, %s, now(), %s, %s, %s::jsonb, %s, '', %s, '{}'::jsonb "
                "FROM unnest(%s::bigint[]) c",
                [
                    ActivityKind.IMPORT,
                    self.actor_id,
                    code,
                    json.dumps(params),
                    timeline_summary(code, params),
                    f"candidates.importjob:{self.job.pk}",
                    candidate_ids,
                ],
            )

    def upsert_candidates(
        self, records: list[Record], fields: tuple[str, ...]
    ) -> tuple[dict[str, int], set[int], set[int]]:
        """Fill-blanks upsert by email; (lower email -> id, created ids, updated ids).

        New people are inserted with one INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO
        NOTHING (a handful of parameters instead of one per cell: this is where the time of a
        bulk import goes); the ones that conflicted already exist and are completed instead.
        """
        by_email: dict[str, dict[str, Any]] = {}
        for record in records:
            by_email.setdefault(record.values["email"].lower(), record.values)
        created = _insert_candidates(list(by_email.values()), fields)
        found = self._load([e for e in by_email if e not in created])
        to_update: dict[int, Candidate] = {}
        touched_fields: set[str] = set()
        for email, candidate in found.items():
            values = by_email[email]
            for key in fields:
                value = values.get(key)
                if value in (None, "", []):
                    continue
                if getattr(candidate, key) in (None, "", []):
                    setattr(candidate, key, value)
                    to_update[candidate.pk] = candidate
                    touched_fields.add(key)
        if to_update:
            Candidate.objects.bulk_update(
                list(to_update.values()), [*sorted(touched_fields), "updated_at"]
            )
        ids = {**created, **{email: c.pk for email, c in found.items()}}
        return ids, set(created.values()), set(to_update)

    def _load(self, emails: list[str]) -> dict[str, Candidate]:
        if not emails:
            return {}
        rows = list(Candidate.objects.annotate(e=Lower("email")).filter(e__in=emails))
        forwards = {c.merged_into_id for c in rows if c.merged_into_id}
        targets = Candidate.objects.in_bulk(forwards) if forwards else {}
        now = timezone.now()
        result = {}
        for c in rows:
            target = targets.get(c.merged_into_id, c) if c.merged_into_id else c
            target.updated_at = now
            result[c.e] = target
        return result


class _CandidateWriter(_Writer):
    FIELDS = (
        "first_name",
        "last_name",
        "phone",
        "city",
        "country",
        "languages",
        "preferred_language",
        "profession",
        "seniority",
        "years_experience",
        "interests",
        "desired_positions",
        "desired_locations",
        "age_bracket",
        "source",
        "notes",
    )

    def write(self, records: list[Record]) -> tuple[int, int, int, list[int]]:
        if not records:
            return 0, 0, 0, []
        ids, created, updated = self.upsert_candidates(records, self.FIELDS)
        updated |= self._relations(records, ids, "skills", CandidateSkill, skills_get_or_create)
        updated |= self._relations(records, ids, "tags", CandidateTag, tags_get_or_create)
        updated -= created
        self.activities(sorted(created), "import.created")
        self.activities(sorted(updated), "import.completed")
        Candidate.objects.filter(pk__in=updated).update(last_activity_at=timezone.now())
        unchanged = len(records) - len(created) - len(updated)
        return len(created), len(updated), max(0, unchanged), sorted(created | updated)

    def _relations(
        self,
        records: list[Record],
        ids: dict[str, int],
        key: str,
        through: Any,
        resolve: Callable[[list[str]], list[Any]],
    ) -> set[int]:
        """Add skills/tags; returns the candidates that got a new one."""
        wanted: dict[int, list[str]] = {}
        for record in records:
            names = record.values.get(key)
            if names:
                wanted.setdefault(ids[record.values["email"].lower()], []).extend(names)
        if not wanted:
            return set()
        all_names = sorted({n for names in wanted.values() for n in names})
        objects = {o.name.lower(): o.pk for o in resolve(all_names)}
        pairs = {
            (cid, objects[name.lower()])
            for cid, names in wanted.items()
            for name in names
            if name.lower() in objects
        }
        extra = ", set_by_rule" if through is CandidateTag else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {through._meta.db_table} (content_object_id, tag_id{extra}) "  # noqa: S608
                f"SELECT c, t{', false' if extra else ''} "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS x(c, t) "
                "ON CONFLICT DO NOTHING RETURNING content_object_id",
                [[c for c, _ in pairs], [t for _, t in pairs]],
            )
            return {row[0] for row in cursor.fetchall()}


class _ApplicationWriter(_Writer):
    def __init__(self, job: ImportJob) -> None:
        super().__init__(job)
        self.stages = {}
        for stage in Stage.objects.all():
            self.stages[stage.slug.lower()] = stage
            self.stages[stage.name.lower()] = stage

    def write(self, records: list[Record]) -> tuple[int, int, int, list[int]]:
        usable = []
        for record in records:
            stage = self.stages.get(record.values.get("stage", "").lower())
            if stage is None:
                record.errors.append(
                    (
                        _column_of(self.job.mapping, "stage"),
                        f"Unknown stage “{record.values.get('stage', '')[:40]}” (known: "
                        + ", ".join(sorted({s.name for s in self.stages.values()}))
                        + ").",
                    )
                )
            else:
                record.values["stage_obj"] = stage
                usable.append(record)
        if not usable:
            return 0, 0, 0, []
        ids, _created, _updated = self.upsert_candidates(usable, ("first_name", "last_name"))
        titles = {r.values["position"] for r in usable}
        positions: dict[str, Position] = {}
        matching = Position.objects.annotate(lower_title=Lower("title")).filter(
            lower_title__in=[t.lower() for t in titles]
        )
        for p in matching.order_by("-status", "pk"):
            positions.setdefault(p.title.lower(), p)
        missing = [t for t in dict.fromkeys(titles) if t.lower() not in positions]
        for title in missing:
            # Past openings: they exist so history is kept, but are not advertised.
            position = Position.objects.create(
                title=title, status=PositionStatus.CLOSED, closed_at=timezone.now()
            )
            positions[title.lower()] = position
        pairs = {
            (ids[r.values["email"].lower()], positions[r.values["position"].lower()].pk): r
            for r in usable
        }
        existing = {
            (a.candidate_id, a.position_id): a
            for a in Application.objects.select_related("furthest_stage").filter(
                candidate_id__in={c for c, _ in pairs}, position_id__in={p for _, p in pairs}
            )
        }
        new, changed = [], []
        for (cid, pid), record in pairs.items():
            stage = record.values["stage_obj"]
            outcome = record.values.get("outcome", Outcome.ACTIVE)
            at = record.values.get("applied_at") or timezone.now()
            app = existing.get((cid, pid))
            if app is None:
                new.append(
                    Application(
                        candidate_id=cid,
                        position_id=pid,
                        stage=stage,
                        furthest_stage=stage,
                        outcome=outcome,
                        source="import",
                        applied_at=at,
                        outcome_at=at if outcome != Outcome.ACTIVE else None,
                    )
                )
                continue
            dirty = False
            if stage.order > app.furthest_stage.order:
                app.furthest_stage = stage
                if app.outcome == Outcome.ACTIVE:
                    app.stage = stage
                dirty = True
            if app.outcome == Outcome.ACTIVE and outcome != Outcome.ACTIVE:
                app.outcome, app.outcome_at = outcome, at
                dirty = True
            if dirty:
                changed.append(app)
        Application.objects.bulk_create(new, ignore_conflicts=True)
        if changed:
            Application.objects.bulk_update(
                changed, ["stage", "furthest_stage", "outcome", "outcome_at"]
            )
        names = {p.pk: p.title for p in positions.values()}
        created_ids = sorted({a.candidate_id for a in new})
        Activity.objects.bulk_create(
            [
                timeline_entry(
                    code="application.imported",
                    params={
                        "position": names[app.position_id],
                        "stage": app.furthest_stage.name,
                        "outcome": app.outcome,
                    },
                    candidate_id=app.candidate_id,
                    kind=ActivityKind.IMPORT,
                    actor_id=self.actor_id,
                    ref=f"candidates.importjob:{self.job.pk}",
                    at=app.applied_at,
                )
                for app in new
            ]
        )
        changed_ids = sorted(set(created_ids) | {a.candidate_id for a in changed})
        unchanged = len(usable) - len(new) - len(changed)
        return len(new), len(changed), max(0, unchanged), changed_ids


_INSERT_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "city",
    "country",
    "languages",
    "preferred_language",
    "profession",
    "seniority",
    "years_experience",
    "interests",
    "desired_positions",
    "desired_locations",
    "age_bracket",
    "source",
    "notes",
)


def _insert_candidates(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> dict[str, int]:
    """Insert the people not known yet; lower(email) -> id of those actually inserted."""
    if not rows:
        return {}
    columns: dict[str, list[Any]] = {c: [] for c in _INSERT_COLUMNS}
    for values in rows:
        for column in _INSERT_COLUMNS:
            value = values.get(column) if column in fields or column == "email" else None
            if column == "source":
                value = value or "import"
            if column in LIST_TARGETS:
                value = json.dumps(value or [])
            elif column != "years_experience" and value is None:
                value = ""
            columns[column].append(value)
    names = ", ".join(f'"{c}"' for c in _INSERT_COLUMNS)
    select = ", ".join(f'"{c}"::jsonb' if c in LIST_TARGETS else f'"{c}"' for c in _INSERT_COLUMNS)
    arrays = ", ".join(
        "%s::int[]" if c == "years_experience" else "%s::text[]" for c in _INSERT_COLUMNS
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Candidate._meta.db_table} ({names}, created_at, updated_at, "  # noqa: S608
            f"last_activity_at) SELECT {select}, now(), now(), now() "
            f"FROM unnest({arrays}) AS t({names}) "
            "ON CONFLICT DO NOTHING RETURNING lower(email), id",
            [columns[c] for c in _INSERT_COLUMNS],
        )
        return dict(cursor.fetchall())


def error_report_rows(job: ImportJob) -> Iterator[list[str]]:
    yield ["line", "column", "reason"]
    for error in job.errors:
        yield [str(error.get("line", "")), error.get("column", ""), error.get("reason", "")]
