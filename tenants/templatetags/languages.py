"""`{% missing_badge present %}`: the small "missing: de, it" badge editors show next to
content that HR keeps per language (tenants.i18n.missing_languages)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from tenants.i18n import missing_languages

register = template.Library()


@register.inclusion_tag("includes/missing_languages.html")
def missing_badge(
    languages: Iterable[str], *, note: str = "", missing: bool = False
) -> dict[str, Any]:
    """`languages` are the ones the content exists in; with `missing=True` they are already
    the missing ones."""
    codes = list(languages) if missing else missing_languages(languages)
    return {"missing": codes, "note": note}
