"""`{{ moment|zoned }}`: a date and time in the active zone and language with the zone named
("12 March 2026, 18:02 CET"), for pages, emails and PDFs where a bare time could be misread.
`{{ moment|zoned:"time" }}` leaves the date out."""

from __future__ import annotations

import datetime as dt

from django import template

from tenants.i18n import format_zoned

register = template.Library()


@register.filter
def zoned(value: dt.datetime | None, part: str = "") -> str:
    if not isinstance(value, dt.datetime):
        return ""
    return format_zoned(value, with_date=part != "time")
