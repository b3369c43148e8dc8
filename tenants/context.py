"""The tenant of the current database connection, typed.

django-tenants sets `connection.tenant` as a dynamic attribute on Django's connection, so
every `connection.tenant.<field>` is untyped (and `getattr(connection.tenant, ...)` hides
typos). `current_tenant()` is the one typed way to read it; `current_tenant_or_none()` for
code that also runs in the public schema or before a tenant is set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db import connection
from django_tenants.utils import get_public_schema_name

if TYPE_CHECKING:
    from tenants.models import Tenant


def current_tenant_or_none() -> Tenant | None:
    """The connection's tenant, or None outside a tenant (public schema, no tenant set)."""
    from tenants.models import Tenant

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant) and tenant.schema_name != get_public_schema_name():
        return tenant
    return None


def current_tenant() -> Tenant:
    """The connection's tenant; a RuntimeError outside one (a bug, never user input)."""
    tenant = current_tenant_or_none()
    if tenant is None:
        raise RuntimeError("no tenant is active on this connection")
    return cast("Tenant", tenant)
