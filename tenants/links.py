"""Absolute links to a tenant's site, for emails and PDFs (no request at hand)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from tenants.models import Tenant


def tenant_base_url(tenant: Tenant | None = None) -> str:
    tenant = tenant or connection.tenant
    domain = tenant.get_primary_domain()
    host = domain.domain if domain else f"{tenant.schema_name}.{settings.BASE_DOMAIN}"
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{host}{port}"


def tenant_absolute_url(path: str, tenant: Tenant | None = None) -> str:
    return tenant_base_url(tenant) + path
