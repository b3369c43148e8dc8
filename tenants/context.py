"""The tenant of the current database connection, typed.

django-tenants sets `connection.tenant` as a dynamic attribute on Django's connection, so
every `connection.tenant.<field>` is untyped (and `getattr(connection.tenant, ...)` hides
typos). `current_tenant()` is the one typed way to read it; `current_tenant_or_none()` for
code that also runs in the public schema or before a tenant is set; `connection_tenant()` for
links, which on the base domain point at the public ("Platform") row. The rest of what
django-tenants adds to the connection (`schema_name`, `set_tenant`, `set_schema_to_public`) is
read and called through `current_schema()`, `in_public_schema()`, `activate_tenant()` and
`activate_public_schema()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from django.db import connection
from django_tenants.utils import get_public_schema_name

if TYPE_CHECKING:
    from tenants.models import Tenant


class _TenantConnection(Protocol):
    """What django-tenants' database wrapper adds to Django's (untyped in the stubs)."""

    schema_name: str

    def set_tenant(self, tenant: Tenant, include_public: bool = True) -> None: ...

    def set_schema_to_public(self) -> None: ...


def _tenant_connection() -> _TenantConnection:
    # `connection` is a proxy to this thread's wrapper, django-tenants' one (settings' ENGINE).
    return cast("_TenantConnection", connection)


def current_schema() -> str:
    """The connection's schema name: a tenant's, or the public schema's."""
    return getattr(connection, "schema_name", None) or get_public_schema_name()


def in_public_schema() -> bool:
    """True outside a tenant (the public schema, e.g. the base domain or a dispatcher task)."""
    return current_schema() == get_public_schema_name()


def activate_tenant(tenant: Tenant) -> None:
    """Point the connection at the tenant's schema (commands, benchmarks, provisioning)."""
    _tenant_connection().set_tenant(tenant)


def activate_public_schema() -> None:
    """Point the connection back at the public schema."""
    _tenant_connection().set_schema_to_public()


def current_tenant_or_none() -> Tenant | None:
    """The connection's tenant, or None outside a tenant (public schema, no tenant set)."""
    from tenants.models import Tenant

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant) and tenant.schema_name != get_public_schema_name():
        return tenant
    return None


def connection_tenant() -> Tenant:
    """The Tenant row the connection is set to, the public one ("Platform") on the base domain
    included; a RuntimeError when none is (e.g. after `activate_public_schema()`)."""
    from tenants.models import Tenant

    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, Tenant):
        raise RuntimeError("the connection is set to no tenant row")
    return tenant


def current_tenant() -> Tenant:
    """The connection's tenant; a RuntimeError outside one (a bug, never user input)."""
    tenant = current_tenant_or_none()
    if tenant is None:
        raise RuntimeError("no tenant is active on this connection")
    return cast("Tenant", tenant)
