"""A candidate's language and time zone: one answer each, used by every email, page and PDF.

Language: `Candidate.preferred_language` is the one truth. The preference centre writes it (the
person's own choice, through `candidate_language_set`), a recruiter may set it on the profile,
an import fills it when blank. Empty means "the company's language".

Time zone: a candidate has no zone field (nobody would fill one in). It is derived from the
country when the country has a single zone (France: Europe/Paris); for a country spanning
several zones (Spain with the Canaries, Portugal with the Azores, the US…) or no country, the
company's zone is used. Send windows and "tomorrow at 9:00" use it; the consent, rejection
and nurture emails state times in the company's zone, named ("18:02 CET").
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from candidates.models import Candidate
from candidates.services import changed_on_commit
from tenants.i18n import language_chain, localised, tenant_zone, visitor_language, zone_named

# Countries (ISO 3166-1 alpha-2) lying in one time zone, with that zone. Countries spanning
# several zones are deliberately absent: for them the company's zone is used.
COUNTRY_ZONES: dict[str, str] = {
    "AD": "Europe/Andorra",
    "AL": "Europe/Tirane",
    "AT": "Europe/Vienna",
    "BA": "Europe/Sarajevo",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "BY": "Europe/Minsk",
    "CH": "Europe/Zurich",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "GR": "Europe/Athens",
    "HR": "Europe/Zagreb",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IS": "Atlantic/Reykjavik",
    "IT": "Europe/Rome",
    "LI": "Europe/Vaduz",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "LV": "Europe/Riga",
    "MC": "Europe/Monaco",
    "MD": "Europe/Chisinau",
    "ME": "Europe/Podgorica",
    "MK": "Europe/Skopje",
    "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "PL": "Europe/Warsaw",
    "RO": "Europe/Bucharest",
    "RS": "Europe/Belgrade",
    "SE": "Europe/Stockholm",
    "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava",
    "SM": "Europe/San_Marino",
    "TR": "Europe/Istanbul",
    "VA": "Europe/Vatican",
    "IL": "Asia/Jerusalem",
    "IN": "Asia/Kolkata",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "SG": "Asia/Singapore",
    "MA": "Africa/Casablanca",
    "TN": "Africa/Tunis",
    "ZA": "Africa/Johannesburg",
}


class LanguageError(ValueError):
    """Not one of the product's languages."""


def candidate_language(candidate: Candidate | None) -> str:
    """The language everything a candidate reads is in: their preference, else the company's
    default language (English outside a tenant). None (an unknown person) gets the company's."""
    return language_chain(candidate.preferred_language if candidate else "")[0]


def candidate_language_choice(candidate: Candidate) -> str:
    """The language the person chose themselves ("" = none: they read the company's), for a
    form that shows their choice (the preference centre). Everything else reads
    `candidate_language`."""
    return candidate.preferred_language


def country_zone(country: str) -> ZoneInfo | None:
    """The zone of a single-zone country; None for a country spanning several or unknown."""
    return zone_named(COUNTRY_ZONES.get((country or "").strip().upper(), ""))


def candidate_zone(candidate: Candidate | None) -> ZoneInfo:
    """Where the candidate's mornings are: their country's zone when it has one, else the
    company's."""
    zone = country_zone(candidate.country) if candidate else None
    return zone or tenant_zone()


@transaction.atomic
def candidate_language_set(*, candidate: Candidate, language: str) -> bool:
    """Set the language the person reads us in ("" = the company's); True if it changed, and
    then announced like any edit (`candidates_changed(reason="edit")`: pool rules re-run)."""
    if language and language not in dict(settings.LANGUAGES):
        raise LanguageError(f"{language!r} is not one of the offered languages.")
    changed = Candidate.objects.filter(pk=candidate.pk).exclude(preferred_language=language)
    if not changed.update(preferred_language=language):
        return False
    candidate.preferred_language = language
    changed_on_commit([candidate.pk], "edit")
    return True


def candidate_render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    candidate: Candidate | None = None,
    status: int = 200,
) -> HttpResponse:
    """A candidate page, in the person's language when we know who they are, else in the
    visitor's (browser, else the company's); `<html lang>` follows (LANGUAGE_CODE)."""
    language = candidate_language(candidate) if candidate else visitor_language(request)
    with localised(language=language):
        return render(request, template, context, status=status)


def in_visitor_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run a public candidate view in the visitor's language from its first line, so what it
    says before rendering (form errors, refusals, rate limits) is in that language too."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with localised(language=visitor_language(request)):
            return view(request, *args, **kwargs)

    return wrapped
