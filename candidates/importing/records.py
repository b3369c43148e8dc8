"""What an import row becomes: the target fields a column can be mapped to (with header names
recognised in four languages), the mapping guessed or remembered per header set, and each row
validated into a Record of clean values or errors."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext, gettext_lazy

from candidates.fields import LIST_FIELDS
from candidates.importing.files import ParsedFile, Row
from candidates.models import AgeBracket, ImportKind, ImportMapping, Outcome, Seniority
from candidates.services import CandidateError, tag_names_validate
from candidates.validators import SINGLE_LINE_FIELDS, has_line_break

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- Target fields ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    key: str
    label: StrOrPromise  # shown in the reader's language on the mapping screen
    synonyms: tuple[str, ...] = ()
    max_length: int | None = None


# Header names recognised in English, French, German and Italian. They are compared after
# `_norm_header` (lower case, accents stripped, only letters and digits), so "Prénom",
# "PRENOM" and "prénom " all match "prenom".
CANDIDATE_TARGETS = [
    Target(
        "email",
        gettext_lazy("Email"),
        (
            *("email", "e-mail", "mail", "email address", "courriel", "adresse e-mail"),
            *("adresse mail", "adresse electronique", "e-mail-adresse", "mailadresse"),
            *("indirizzo email", "indirizzo e-mail", "posta elettronica"),
        ),
    ),
    Target(
        "first_name",
        gettext_lazy("First name"),
        ("first name", "given name", "forename", "prénom", "vorname", "nome"),
        100,
    ),
    Target(
        "last_name",
        gettext_lazy("Last name"),
        (
            *("last name", "surname", "family name", "nom", "nom de famille", "nachname"),
            *("familienname", "cognome"),
        ),
        100,
    ),
    Target(
        "full_name",
        gettext_lazy("Full name (split)"),
        (
            *("name", "full name", "candidate", "nom complet", "prénom et nom", "prénom nom"),
            *("vollständiger name", "vor- und nachname", "nome completo", "nome e cognome"),
            "nominativo",
        ),
    ),
    Target(
        "phone",
        gettext_lazy("Phone"),
        (
            *("phone", "mobile", "telephone", "tel", "phone number", "cell", "téléphone"),
            *("portable", "numéro de téléphone", "telefon", "telefonnummer", "handy", "mobil"),
            *("telefono", "cellulare", "numero di telefono"),
        ),
        40,
    ),
    Target(
        "city",
        gettext_lazy("City"),
        ("city", "town", "ville", "commune", "stadt", "ort", "wohnort", "città", "comune"),
        100,
    ),
    Target(
        "country",
        gettext_lazy("Country (ISO code)"),
        ("country", "country code", "pays", "code pays", "land", "ländercode", "paese", "nazione"),
    ),
    Target(
        "languages",
        gettext_lazy("Languages (list)"),
        ("languages", "langues", "sprachen", "lingue"),
    ),
    Target(
        "preferred_language",
        gettext_lazy("Preferred email language"),
        (
            *("preferred language", "language", "langue", "langue préférée", "sprache"),
            *("bevorzugte sprache", "lingua", "lingua preferita"),
        ),
    ),
    Target(
        "profession",
        gettext_lazy("Profession"),
        (
            *("profession", "job", "job title", "occupation", "métier", "fonction", "beruf"),
            *("berufsbezeichnung", "professione", "mestiere", "qualifica"),
        ),
        120,
    ),
    Target(
        "seniority",
        gettext_lazy("Seniority"),
        ("seniority", "level", "niveau", "séniorité", "erfahrungsstufe", "livello", "anzianità"),
    ),
    Target(
        "years_experience",
        gettext_lazy("Years of experience"),
        (
            *("years experience", "years of experience", "experience", "years"),
            *("années d'expérience", "expérience", "berufserfahrung", "jahre erfahrung"),
            *("erfahrung", "anni di esperienza", "esperienza"),
        ),
    ),
    Target(
        "skills",
        gettext_lazy("Skills (list)"),
        (
            *("skills", "compétences", "kenntnisse", "fähigkeiten", "kompetenzen"),
            *("competenze", "abilità"),
        ),
    ),
    Target(
        "interests",
        gettext_lazy("Interests (list)"),
        ("interests", "intérêts", "centres d'intérêt", "interessen", "interessi"),
    ),
    Target(
        "desired_positions",
        gettext_lazy("Desired positions (list)"),
        (
            *("desired positions", "desired position", "postes souhaités", "poste souhaité"),
            *("wunschpositionen", "wunschposition", "posizioni desiderate"),
            "posizione desiderata",
        ),
    ),
    Target(
        "desired_locations",
        gettext_lazy("Desired locations (list)"),
        (
            *("desired locations", "desired location", "lieux souhaités", "lieu souhaité"),
            *("wunschorte", "wunschort", "sedi desiderate", "sede desiderata"),
        ),
    ),
    Target(
        "age_bracket",
        gettext_lazy("Age bracket"),
        (
            *("age bracket", "age", "age group", "tranche d'âge", "âge", "altersgruppe"),
            *("alter", "fascia d'età", "età"),
        ),
    ),
    Target(
        "source",
        gettext_lazy("Source"),
        ("source", "origin", "channel", "origine", "canal", "quelle", "herkunft", "fonte"),
        60,
    ),
    Target(
        "notes",
        gettext_lazy("Notes"),
        (
            *("notes", "note", "comments", "comment", "remarques", "commentaires"),
            *("notizen", "bemerkungen", "anmerkungen", "kommentar", "commenti"),
        ),
    ),
    Target(
        "tags",
        gettext_lazy("Tags (list)"),
        ("tags", "labels", "étiquettes", "schlagwörter", "etichette"),
    ),
]
APPLICATION_TARGETS = [
    Target(
        "email",
        gettext_lazy("Candidate email"),
        (
            *("email", "e-mail", "mail", "candidate email", "courriel", "adresse e-mail"),
            *("e-mail-adresse", "indirizzo email", "posta elettronica"),
        ),
    ),
    Target(
        "first_name",
        gettext_lazy("First name"),
        ("first name", "given name", "prénom", "vorname", "nome"),
        100,
    ),
    Target(
        "last_name",
        gettext_lazy("Last name"),
        ("last name", "surname", "nom", "nom de famille", "nachname", "cognome"),
        100,
    ),
    Target(
        "full_name",
        gettext_lazy("Full name (split)"),
        ("name", "full name", "candidate", "nom complet", "nome completo", "nominativo"),
    ),
    Target(
        "position",
        gettext_lazy("Position title"),
        (
            *("position", "job", "job title", "title", "poste", "intitulé du poste", "stelle"),
            *("stellenbezeichnung", "posizione", "ruolo"),
        ),
        200,
    ),
    Target(
        "stage",
        gettext_lazy("Stage reached"),
        ("stage", "stage reached", "step", "étape", "phase", "stufe", "fase"),
    ),
    Target(
        "outcome",
        gettext_lazy("Outcome"),
        ("outcome", "status", "result", "résultat", "statut", "ergebnis", "esito", "stato"),
    ),
    Target(
        "applied_at",
        gettext_lazy("Applied on (date)"),
        (
            *("applied at", "applied on", "date", "applied", "date de candidature"),
            *("bewerbungsdatum", "datum", "data", "data candidatura", "data di candidatura"),
        ),
    ),
]
REQUIRED: dict[str, list[str]] = {
    ImportKind.CANDIDATES: ["email"],
    ImportKind.APPLICATIONS: ["email", "position", "stage"],
}
LIST_TARGETS = {*LIST_FIELDS, "skills", "tags"}


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
            problems.append(gettext("Unknown field “%(key)s”.") % {"key": key})
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(
            gettext("Two columns are mapped to %(field)s; map only one.")
            % {"field": _label(kind, key)}
        )
    mapped = set(keys)
    for key in REQUIRED[kind]:
        if key not in mapped:
            problems.append(
                gettext("Map a column to %(field)s: it is required.") % {"field": _label(kind, key)}
            )
    if "full_name" not in mapped and "first_name" not in mapped and kind == ImportKind.CANDIDATES:
        problems.append(gettext("Map a column to First name or Full name."))
    return problems


def _label(kind: str, key: str) -> str:
    return str(next((t.label for t in targets_for(kind) if t.key == key), key))


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
                gettext(
                    "This row has %(cells)s cells but the header has %(columns)s columns "
                    "(a separator inside a value without quotes?)."
                )
                % {"cells": len(cells), "columns": len(headers)},
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
        error(key, gettext("This cell holds a line break; the field takes a single line."))
    if broken:
        return record
    email = raw.get("email", "")
    if not email:
        error("email", gettext("The email is missing."))
    else:
        try:
            validate_email(email)
        except ValidationError:
            error(
                "email",
                gettext("“%(value)s” is not a valid email address.") % {"value": email[:80]},
            )
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
            error(
                key,
                gettext("Too long (%(length)s characters; at most %(limit)s).")
                % {"length": len(value), "limit": limit},
            )
            continue
        if key in LIST_TARGETS:
            items = _split_list(value)
            if any(len(i) > 100 for i in items):
                error(key, gettext("An item of this list is longer than 100 characters."))
            elif key == "tags":
                try:
                    values[key] = tag_names_validate(items)
                except CandidateError as exc:
                    error(key, str(exc))
            else:
                values[key] = items
        elif key == "country":
            if not re.fullmatch(r"[A-Za-z]{2}", value):
                error(
                    key,
                    gettext("“%(value)s” is not a two-letter country code (e.g. FR).")
                    % {"value": value[:40]},
                )
            else:
                values[key] = value.upper()
        elif key == "seniority":
            if value.lower() not in _SENIORITY:
                error(
                    key,
                    gettext("Unknown seniority “%(value)s” (junior, mid, senior or lead).")
                    % {"value": value[:40]},
                )
            else:
                values[key] = _SENIORITY[value.lower()]
        elif key == "age_bracket":
            normal = value.lower().replace("–", "-").replace(" ", "")
            if normal not in _AGE:
                error(
                    key,
                    gettext("Unknown age bracket “%(value)s” (e.g. 25-34).")
                    % {"value": value[:40]},
                )
            else:
                values[key] = _AGE[normal]
        elif key == "years_experience":
            if not value.isdigit() or int(value) > 70:
                error(
                    key,
                    gettext("“%(value)s” is not a number of years (0-70).") % {"value": value[:40]},
                )
            else:
                values[key] = int(value)
        elif key == "preferred_language":
            code = value.lower()[:2]
            if code not in _LANGUAGES:
                error(
                    key,
                    gettext("Unsupported language “%(value)s” (%(known)s).")
                    % {"value": value[:40], "known": ", ".join(sorted(_LANGUAGES))},
                )
            else:
                values[key] = code
        elif key == "outcome":
            if value.lower() not in _OUTCOME:
                error(
                    key,
                    gettext("Unknown outcome “%(value)s” (active, rejected, withdrawn, hired).")
                    % {"value": value[:40]},
                )
            else:
                values[key] = _OUTCOME[value.lower()]
        elif key == "applied_at":
            moment = parse_datetime(value) or (
                datetime.combine(day, datetime.min.time()) if (day := _parse_day(value)) else None
            )
            if moment is None:
                error(
                    key, gettext("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value[:40]}
                )
            else:
                values[key] = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        else:
            values[key] = value
    if not values.get("first_name") and kind == ImportKind.CANDIDATES and "email" in values:
        error("first_name", gettext("The first name is missing."))
    for key in REQUIRED[kind]:
        if key != "email" and not raw.get(key):
            error(key, gettext("%(field)s is missing.") % {"field": _label(kind, key)})
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
                    (
                        column_of(mapping, "email"),
                        gettext("Same email as line %(line)s; row skipped.") % {"line": first},
                    )
                )
        yield record


def column_of(mapping: dict[str, str], key: str) -> str:
    return next((h for h, v in mapping.items() if v == key), key)
