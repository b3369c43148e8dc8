"""Single-line fields (names, phone, city…) refuse line breaks wherever a value comes in:
model validation (forms and the candidate services), the public forms and imports.

A line break in a name has no honest use, and a dishonest one: it breaks email headers,
CSV/PDF layouts and log lines, or smuggles a second line into a place that shows one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Every character Python's str.splitlines() breaks on.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# Candidate fields that hold one line (Candidate model field names).
SINGLE_LINE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "city",
    "profession",
    "source",
)
MESSAGE = _("Line breaks are not allowed here: this field takes a single line.")


def has_line_break(value: Any) -> bool:
    return isinstance(value, str) and any(char in LINE_BREAKS for char in value)


def validate_single_line(value: Any) -> None:
    if has_line_break(value):
        raise ValidationError(MESSAGE, code="line_break")


def single_line_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """field -> message for each single-line field of `values` that holds a line break (for
    code that validates candidate data without a form or a model instance, e.g. bulk APIs)."""
    return {
        name: str(MESSAGE)
        for name in SINGLE_LINE_FIELDS
        if name in values and has_line_break(values[name])
    }
