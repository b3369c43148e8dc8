"""Entries written once and read by many people: stored as a stable code plus parameters, read
as a sentence in the reader's language.

A timeline entry or an audit-log entry is written when something happens, by whoever caused
it, in whatever language was active then; it is read later by people who speak other
languages. So an entry stores a code ("application.stage_moved") and its parameters as JSON
({"position": "Data analyst", "from": "Screening", "to": "Interview"}), never the sentence.
The owning app keeps an `EntryKinds` registry: code → translatable message format
(`gettext_lazy("%(position)s: %(from)s → %(to)s")`) and, for a parameter that is itself a
stored code (an outcome, a list of field names), how it reads. `render()` builds the sentence
at display time in the active language.

Contract:
- A code, once written to a table, is never renamed or dropped (old rows keep it); its
  message may be reworded, and it must keep using only parameters old rows have.
- `render()` returns None for an unknown code or for parameters that no longer fill the message
  (an erasure blanked them): the caller falls back to what it stored otherwise.
- Parameter values are JSON (str, int, list of those). A list reads as its items joined by
  ", " after each item went through the parameter's reader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.functional import Promise

from tenants.i18n import format_zoned

Reader = Callable[[Any], str]
# A sentence too varied for one format (a list of changes, each with its own wording) is built
# by a function of the parameters, from translatable pieces.
Composer = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class EntryKind:
    code: str
    message: str | Promise | Composer
    readers: Mapping[str, Reader] = field(default_factory=dict)

    def render(self, params: Mapping[str, Any]) -> str:
        if not isinstance(self.message, str | Promise):
            return self.message(params)
        values = {name: self._read(name, value) for name, value in params.items()}
        return str(self.message) % values

    def _read(self, name: str, value: Any) -> str:
        reader = self.readers.get(name, _plain)
        if isinstance(value, list | tuple):
            return ", ".join(reader(v) for v in value)
        return reader(value)


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def moment(value: Any) -> str:
    """A reader for a moment stored as ISO 8601: shown in the active zone and language, the
    zone named ("12 mars 2026, 18:02 CET")."""
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return format_zoned(parsed) if parsed.tzinfo else str(value)


class EntryKinds:
    """One registry of entry kinds (the timeline's, the audit log's)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._kinds: dict[str, EntryKind] = {}

    def register(self, code: str, message: str | Promise | Composer, **readers: Reader) -> None:
        known = self._kinds.get(code)
        if known is not None and known.message != message:
            raise ImproperlyConfigured(f"{self.name} entry {code!r} is registered twice.")
        self._kinds[code] = EntryKind(code, message, readers)

    def __contains__(self, code: object) -> bool:
        return code in self._kinds

    def codes(self) -> list[str]:
        return sorted(self._kinds)

    def render(self, code: str, params: Mapping[str, Any] | None) -> str | None:
        """The sentence in the active language; None if the code is unknown or its parameters
        no longer fill the message."""
        kind = self._kinds.get(code)
        if kind is None or not isinstance(params, Mapping):
            return None
        try:
            return kind.render(params)
        except (KeyError, TypeError, ValueError):
            return None

    def english(self, code: str, params: Mapping[str, Any] | None) -> str:
        """The sentence in English (what is kept as the entry's plain text)."""
        with translation.override("en"):
            return self.render(code, params) or code
