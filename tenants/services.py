"""Tenant provisioning.

A new tenant's schema is cloned from a template schema that is migrated once (measured faster
than replaying every migration per tenant: see bench/bench_provisioning.py), then each app
installs its defaults through the `tenant_provisioned` event, all in one step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import (
    get_public_schema_name,
    get_tenant_base_schema,
    schema_context,
    schema_exists,
)

from tenants.context import activate_public_schema, activate_tenant
from tenants.events import tenant_provisioned
from tenants.models import Domain, Tenant

_SCHEMA_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$")
_RESERVED_SCHEMAS = {"public", "information_schema", "pg_catalog", "tenant_template", "www"}


class ProvisioningError(Exception):
    """Provisioning refused; the message says why and what to do."""


@dataclass
class ProvisionResult:
    tenant: Tenant
    created: bool
    notes: list[str] = field(default_factory=list)


def schema_name_for_domain(domain: str) -> str:
    label = domain.split(".", 1)[0]
    return re.sub(r"[^a-z0-9_]", "_", label.lower())


def _validate(name: str, domain: str, schema_name: str, admin_email: str) -> None:
    if not name.strip():
        raise ProvisioningError("The tenant needs a name.")
    if not _DOMAIN_RE.match(domain):
        raise ProvisioningError(f"{domain!r} is not a valid host name (e.g. acme.localhost).")
    # PostgreSQL reserves the pg_ prefix for its own schemas.
    reserved = schema_name in _RESERVED_SCHEMAS or schema_name.startswith("pg_")
    if not _SCHEMA_RE.match(schema_name) or reserved:
        raise ProvisioningError(
            f"{schema_name!r} cannot be a schema name: use 2-63 lowercase letters, digits or _, "
            "starting with a letter, and not a reserved name."
        )
    try:
        validate_email(admin_email)
    except ValidationError:
        raise ProvisioningError(f"{admin_email!r} is not a valid email address.") from None


def _template_is_current(template: str) -> bool:
    """True when the template schema has every tenant migration applied."""
    if not schema_exists(template):
        return False
    loader = MigrationLoader(None, ignore_no_migrations=True)
    tenant_apps = {app.split(".")[-1] for app in settings.TENANT_APPS}
    wanted = {key for key in loader.graph.nodes if key[0] in tenant_apps}
    with schema_context(template):
        applied = set(MigrationRecorder(connection).applied_migrations())
    return wanted <= applied


def template_schema_refresh(*, force: bool = False) -> bool:
    """(Re)build the template schema if it is missing or behind; True when it was rebuilt."""
    template = get_tenant_base_schema()
    if not template or (not force and _template_is_current(template)):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{template}" CASCADE')
        cursor.execute(f'CREATE SCHEMA "{template}"')
    call_command(
        "migrate_schemas", tenant=True, schema_name=template, interactive=False, verbosity=0
    )
    activate_public_schema()
    return True


def tenant_provision(
    *,
    name: str,
    domain: str,
    admin_email: str,
    schema_name: str | None = None,
    admin_password: str | None = None,
    **attributes: object,
) -> ProvisionResult:
    """Create (or complete) a tenant with its schema, HR admin and defaults. Idempotent."""
    domain = domain.strip().lower()
    admin_email = admin_email.strip().lower()
    schema_name = schema_name or schema_name_for_domain(domain)
    _validate(name, domain, schema_name, admin_email)

    activate_public_schema()
    existing_domain = Domain.objects.select_related("tenant").filter(domain=domain).first()
    tenant = Tenant.objects.filter(schema_name=schema_name).first()
    if existing_domain and existing_domain.tenant.schema_name != schema_name:
        raise ProvisioningError(
            f"The domain {domain} is already used by tenant {existing_domain.tenant.name!r}."
        )
    if tenant and not existing_domain and tenant.domains.exists():
        raise ProvisioningError(
            f"The schema {schema_name!r} is already taken by tenant {tenant.name!r} "
            f"({tenant.get_primary_domain()}). Choose another domain or pass --schema."
        )
    if tenant is None and schema_exists(schema_name, case_sensitive=False):
        raise ProvisioningError(f"A database schema named {schema_name!r} already exists.")

    created = tenant is None
    if created:
        if settings.TENANT_CREATION_FAKES_MIGRATIONS:
            template_schema_refresh()
        with transaction.atomic():
            tenant = Tenant(schema_name=schema_name, name=name.strip(), **attributes)
            tenant.save(verbosity=0)
            Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
    elif not existing_domain:
        Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
    assert tenant is not None

    notes: list[str] = []
    with schema_context(tenant.schema_name), transaction.atomic():
        activate_tenant(tenant)
        for _receiver, note in tenant_provisioned.send(
            sender=Tenant, tenant=tenant, admin_email=admin_email, admin_password=admin_password
        ):
            if note:
                notes.append(str(note))
    activate_public_schema()
    return ProvisionResult(tenant=tenant, created=created, notes=notes)


def tenant_schema_drop(*, tenant: Tenant) -> None:
    """Remove a tenant and its schema (tests and operators; not reachable from the web)."""
    if tenant.schema_name == get_public_schema_name():
        raise ProvisioningError("The public schema cannot be dropped.")
    activate_public_schema()
    tenant.delete(force_drop=True)
