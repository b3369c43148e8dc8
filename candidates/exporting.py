"""CSV export of the candidate list. Cells that a spreadsheet would run as a formula are
neutralised (OWASP CSV injection): a leading = + - @ tab or CR gets a leading apostrophe."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from candidates.models import Candidate

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_COLUMNS = [
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("email", _("Email")),
    ("phone", _("Phone")),
    ("city", _("City")),
    ("country", _("Country")),
    ("profession", _("Profession")),
    ("seniority", _("Seniority")),
    ("years_experience", _("Years of experience")),
    ("skills", _("Skills")),
    ("tags", _("Tags")),
    ("languages", _("Languages")),
    ("interests", _("Interests")),
    ("desired_positions", _("Desired positions")),
    ("age_bracket", _("Age bracket")),
    ("source", _("Source")),
    ("last_activity_at", _("Last activity")),
]


def csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _value(candidate: Candidate, key: str) -> Any:
    if key == "skills":
        return ", ".join(sorted(s.name for s in candidate.skills.all()))
    if key == "tags":
        return ", ".join(sorted(t.name for t in candidate.tags.all()))
    value = getattr(candidate, key)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if key == "last_activity_at":
        return value.isoformat(timespec="seconds")
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[Any]], *, bom: bool = True) -> Iterator[str]:
    """Stream rows as CSV lines with every cell formula-safe (shared by every export)."""
    writer = csv.writer(_Echo())
    if bom:
        yield "\ufeff"  # so Excel opens UTF-8 correctly
    for row in rows:
        yield writer.writerow([csv_safe(v) for v in row])


def candidate_export_rows(queryset: QuerySet[Candidate]) -> Iterator[list[Any]]:
    # The header is made now, in the reader's language: the rows are streamed after the view
    # returned, when the request's language is no longer active.
    header = [str(label) for _key, label in EXPORT_COLUMNS]
    return itertools.chain([header], _candidate_rows(queryset))


def _candidate_rows(queryset: QuerySet[Candidate]) -> Iterator[list[Any]]:
    for candidate in queryset.iterator(chunk_size=2000):
        yield [_value(candidate, key) for key, _label in EXPORT_COLUMNS]
