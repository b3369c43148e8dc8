"""Absolute links to a tenant's site, for emails and PDFs (no request at hand)."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from tenants import signing as bulk_signing
from tenants.context import connection_tenant, current_schema
from tenants.models import Tenant

# A bulk action signs several links per email for hundreds of people: the primary domain is
# remembered on the tenant object (one per request or task) for this long instead of being
# queried for every link. It changes only when an operator moves the tenant to a new domain.
DOMAIN_MEMO_SECONDS = 60.0


def _host(tenant: Tenant) -> str:
    memo = getattr(tenant, "_links_host_memo", None)
    now = time.monotonic()
    if memo is None or memo[0] < now:
        domain = tenant.get_primary_domain()
        host = domain.domain if domain else f"{tenant.schema_name}.{settings.BASE_DOMAIN}"
        memo = (now + DOMAIN_MEMO_SECONDS, host)
        tenant._links_host_memo = memo
    return memo[1]


def tenant_base_url(tenant: Tenant | None = None) -> str:
    tenant = tenant or connection_tenant()
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{_host(tenant)}{port}"


def tenant_absolute_url(path: str, tenant: Tenant | None = None) -> str:
    return tenant_base_url(tenant) + path


# Signed tokens (django.core.signing) are URL-safe base64 plus ":" and ".", characters reverse()
# leaves as they are; a digest carries several such links per person.
_URL_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_\-:.]+")
_PLACEHOLDER = "TOKEN0PLACEHOLDER"


@functools.lru_cache(maxsize=128)
def _token_path(viewname: str, urlconf: str | None, script_prefix: str) -> tuple[str, str]:
    path = reverse(viewname, args=[_PLACEHOLDER], urlconf=urlconf)
    prefix, _, suffix = path.partition(_PLACEHOLDER)
    return prefix, suffix


def tenant_token_url_builder(viewname: str, tenant: Tenant | None = None) -> Callable[[str], str]:
    """`tenant_token_url(viewname, token, tenant)` as a function of the token, with the host and
    the view's URL resolved now: a batch of digests signs thousands of links, and the per-link
    lookups (URL conf, script prefix, tenant, settings) cost more than signing itself."""
    tenant = tenant or connection_tenant()
    prefix, suffix = _token_path(viewname, get_urlconf(), get_script_prefix())
    head = tenant_base_url(tenant) + prefix

    def build(token: str) -> str:
        if not _URL_SAFE_TOKEN.fullmatch(token):
            return tenant_absolute_url(reverse(viewname, args=[token]), tenant)
        return head + token + suffix

    return build


def tenant_signed_url_builder(viewname: str, salt: str) -> Callable[[dict[str, Any]], str]:
    """A function of a payload: the absolute link to `viewname` with the payload, plus the
    current tenant's schema as "s", signed with `salt` (`tenants.signing.dumps`). Links whose
    token carries ids and the tenant (re-apply, share with a friend) are built with it."""
    schema = current_schema()
    url = tenant_token_url_builder(viewname)

    def build(fields: dict[str, Any]) -> str:
        return url(bulk_signing.dumps({"s": schema, **fields}, salt=salt))

    return build


def tenant_token_url(viewname: str, token: str, tenant: Tenant | None = None) -> str:
    """`tenant_absolute_url(reverse(viewname, args=[token]))` with the URL resolved once per
    view instead of per link (reverse() was a fifth of rendering a nurture digest)."""
    return tenant_token_url_builder(viewname, tenant)(token)
