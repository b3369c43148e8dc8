"""Merge tags for templates HR admins edit: `{{ tag }}` only, from an allow-list.

User-written text is never handed to a template engine. This module finds the tags with a
regular expression, refuses anything that looks like template code, and substitutes values as
plain strings (escaping is the caller's job, see `mailing.rendering`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TAG_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
# Anything between double braces, including the malformed (`{{ a.b }}`, `{{ x|upper }}`).
TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
# Template-engine syntax that has no meaning in our format and must not survive as text that a
# later engine could pick up.
FORBIDDEN = re.compile(r"\{%|%\}|\{#|#\}")


def _show(name: str) -> str:
    return "{{ " + name + " }}"


def find_tags(text: str) -> list[str]:
    """The tag names used in `text`, in order of first use (assumes `text` is valid)."""
    seen: dict[str, None] = {}
    for match in TAG.finditer(text or ""):
        seen.setdefault(match.group(1).strip(), None)
    return list(seen)


def validate_merge_tags(text: str, allowed: Iterable[str]) -> None:
    """Raise ValidationError naming every unknown or malformed tag in `text`."""
    allowed_set = set(allowed)
    text = text or ""
    errors: list[str] = []
    if FORBIDDEN.search(text):
        errors.append(
            _(
                "Template code such as {% … %} or {# … #} is not allowed; "
                "use merge tags like {{ first_name }} only."
            )
        )
    malformed: list[str] = []
    unknown: list[str] = []
    for match in TAG.finditer(text):
        name = match.group(1).strip()
        if not TAG_NAME.match(name):
            malformed.append(match.group(0))
        elif name not in allowed_set:
            unknown.append(name)
    # Braces left over once the well-formed tags are removed: `{{ first_name`, `}}`, `{{{x}}}`.
    remainder = TAG.sub("", text)
    if "{{" in remainder or "}}" in remainder:
        malformed.append(_("unbalanced %(open)s or %(close)s") % {"open": "{{", "close": "}}"})
    if malformed:
        errors.append(
            _("Malformed merge tags: %(tags)s.") % {"tags": ", ".join(dict.fromkeys(malformed))}
        )
    if unknown:
        allowed_list = ", ".join(_show(t) for t in sorted(allowed_set)) or _("none")
        errors.append(
            _("Unknown merge tags: %(tags)s. Allowed here: %(allowed)s.")
            % {"tags": ", ".join(_show(t) for t in dict.fromkeys(unknown)), "allowed": allowed_list}
        )
    if errors:
        raise ValidationError(errors)


@lru_cache(maxsize=256)
def _split(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The literal pieces of `text` and, between them, the tag names: a batch substitutes into
    the same few subjects thousands of times."""
    parts = TAG.split(text)
    return tuple(parts[0::2]), tuple(name.strip() for name in parts[1::2])


def substitute(text: str, values: Mapping[str, str], each: Callable[[str], str] = str) -> str:
    """Replace each `{{ tag }}` by `each(value)` as plain text (unknown tags become empty)."""
    literals, names = _split(text or "")
    parts = [literals[0]]
    for name, literal in zip(names, literals[1:], strict=True):
        parts += (each(values.get(name, "")), literal)
    return "".join(parts)
