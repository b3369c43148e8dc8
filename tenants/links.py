"""Absolute links to a tenant's site, for emails and PDFs (no request at hand)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection

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
    tenant = tenant or connection.tenant
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{_host(tenant)}{port}"


def tenant_absolute_url(path: str, tenant: Tenant | None = None) -> str:
    return tenant_base_url(tenant) + path
