"""Which language and which time zone apply: the one place every app asks.

- `tenant_language()` / `tenant_zone()`: the company's default language and its time zone
  (an unknown zone name counts as UTC, never an error on a page or in a task).
- `language_chain(language)`: the order in which per-language content is looked for: the
  reader's language, the company's default, English.
- `pick_language(available, language)`: the first language of that chain the content exists
  in (else any it exists in), so tenant-edited texts fall back in one well-defined way.
- `localised(language=, zone=)`: a context manager for tasks, emails and PDFs: everything
  rendered inside speaks that language and shows times in that zone, and both are restored on
  the way out, whatever happens.
- `TenantLocaleMiddleware` (tenants.middleware) activates the tenant's zone for each request
  and always deactivates it afterwards.

Candidates' own language and zone are `candidates.i18n`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest
from django.utils import formats, timezone, translation
from django.utils.functional import lazy
from django.utils.translation.trans_real import parse_accept_lang_header

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from tenants.context import current_tenant_or_none

UTC = ZoneInfo("UTC")


def language_codes() -> tuple[str, ...]:
    return tuple(code for code, _name in settings.LANGUAGES)


def _tenant(tenant: Any = None) -> Any:
    tenant = tenant if tenant is not None else current_tenant_or_none()
    if tenant is None or getattr(tenant, "schema_name", "public") == "public":
        return None
    return tenant


def tenant_language(tenant: Any = None) -> str:
    """The company's default language (English outside a tenant)."""
    language = getattr(_tenant(tenant), "default_language", "")
    return language if language in language_codes() else settings.LANGUAGE_CODE


@lru_cache(maxsize=512)
def zone_named(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def tenant_zone(tenant: Any = None) -> ZoneInfo:
    """The company's time zone (UTC outside a tenant or for a name zoneinfo does not know)."""
    return zone_named(getattr(_tenant(tenant), "time_zone", "") or "") or UTC


def language_chain(language: str | None, tenant: Any = None) -> tuple[str, ...]:
    """Reader's language → company default → English, without repeats or unknown codes."""
    known = language_codes()
    chain = (language or "", tenant_language(tenant), settings.LANGUAGE_CODE)
    return tuple(dict.fromkeys(code for code in chain if code in known))


def pick_language(available: Iterable[str], language: str | None, tenant: Any = None) -> str | None:
    """The language to show content in: the first of `language_chain(language)` it exists in,
    else the first it exists in (in settings.LANGUAGES order); None when it exists in none."""
    present = set(available)
    for code in language_chain(language, tenant):
        if code in present:
            return code
    return next((code for code in language_codes() if code in present), None)


def missing_languages(present: Iterable[str]) -> list[str]:
    """The product's languages a piece of content does not exist in yet (for editors' badges)."""
    have = set(present)
    return [code for code in language_codes() if code not in have]


def visitor_language(request: HttpRequest) -> str:
    """For a candidate page without a known person: the first of the browser's languages we
    speak ("fr-CH" counts as French), else the company's (a Japanese browser does not get
    English just because English is the product's own language)."""
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return tenant_language(getattr(request, "tenant", None))


@contextmanager
def localised(*, language: str | None = None, zone: dt.tzinfo | None = None) -> Iterator[None]:
    """Render in `language` and show times in `zone` (either may be None: left as it is); both
    are put back on exit, also when the body raises."""
    with ExitStack() as stack:
        if language:
            stack.enter_context(translation.override(language))
        if zone is not None:
            stack.enter_context(timezone.override(zone))
        yield


def zone_abbreviation(value: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """The zone's name at that moment, as people read it: "CET", "CEST", "GMT"; zones without
    a letter abbreviation show their offset ("UTC+04")."""
    local = value.astimezone(zone or timezone.get_current_timezone())
    name = local.tzname() or ""
    if name and name[0] in "+-":
        offset = local.utcoffset() or dt.timedelta()
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        return f"UTC{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")
    return name


def format_zoned(value: dt.datetime | None, *, with_date: bool = True) -> str:
    """ "12 mars 2026 18:02 CET": a moment in the active zone and language, the zone named (an
    email or PDF is read far from where it was written)."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    time = formats.time_format(local, "TIME_FORMAT")
    text = f"{formats.date_format(local, 'DATE_FORMAT')}, {time}" if with_date else time
    return f"{text} {zone_abbreviation(local)}"


def _interpolate(message: StrOrPromise, values: dict[str, Any]) -> str:
    return str(message) % values


_lazy_interpolate = lazy(_interpolate, str)


def lazy_format(message: StrOrPromise, **values: Any) -> str:
    """`gettext_lazy(message) % values`, translated when shown rather than when made: for an
    error raised before the page knows its reader's language."""
    return _lazy_interpolate(message, values)
