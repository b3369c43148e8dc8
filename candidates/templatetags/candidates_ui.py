"""Template filters shared by every screen that shows candidates' data."""

from __future__ import annotations

from django import template

from candidates.sources import source_label as _source_label

register = template.Library()


@register.filter
def source_label(value: object) -> str:
    """{{ application.source|source_label }}: the one wording of a source everywhere."""
    return _source_label(value)
