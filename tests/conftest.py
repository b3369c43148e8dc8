"""Shared test base: two provisioned tenants (alpha, beta) with named users, made once per test
database; each test runs in a transaction that is rolled back.

Browser and worker tests that need committed data use `committed_tenant`, a fresh tenant schema
created for the test and dropped after it (no table flush, so the shared tenants stay intact).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists

from tests.public_forms import fresh_form_limits  # noqa: F401 (a fixture for every test module)

os.environ.setdefault("TESTING", "1")


def pytest_configure(config: pytest.Config) -> None:
    """The translation catalogues are build output (`make` compiles them); a bare `pytest`
    compiles the missing or stale ones too, so no test ever runs against English fallbacks."""
    from config.catalogues import compile_all

    compile_all()


PASSWORD = "correct-horse-battery-staple"


@dataclass
class TenantWorld:
    """A tenant with its named users and an HTTP client bound to its host."""

    tenant: object
    host: str
    hr_admin: object
    recruiter: object

    def client(self, user: object | None = None) -> Client:
        client = Client(HTTP_HOST=self.host)
        if user is not None:
            self.activate()  # the session row is written in this tenant's schema
            client.force_login(user)
        return client

    def activate(self) -> None:
        connection.set_tenant(self.tenant)


def _ensure_tenant(schema: str, name: str) -> object:
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    tenant = Tenant.objects.filter(schema_name=schema).first()
    if tenant is None and schema_exists(schema):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    result = tenant_provision(
        name=name,
        domain=f"{schema}.localhost",
        admin_email=f"hr@{schema}.example",
        admin_password=PASSWORD,
    )
    return result.tenant


def _ensure_users(tenant: object) -> None:
    from accounts.models import Role, User

    connection.set_tenant(tenant)
    for email, role in [
        (f"hr@{tenant.schema_name}.example", Role.HR_ADMIN),
        (f"recruiter@{tenant.schema_name}.example", Role.RECRUITER),
    ]:
        if not User.objects.filter(email=email).exists():
            User.objects.create_user(email, password=PASSWORD, role=role, full_name=role.label)
    connection.set_schema_to_public()


@pytest.fixture(scope="session")
def django_db_setup(  # type: ignore[no-untyped-def]
    request, django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb
):
    """The test database, then the shared tenants.

    pytest-django's own fixture creates the test database only when a selected test asks for
    `db` (or its live server); browser and worker tests use committed data without either, and
    run alone they would have written to the real database. So the default database is always
    set up here (same keep/create options as pytest-django)."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default"},
            keepdb=django_db_keepdb and not django_db_createdb,
        )
        test_name = connection.settings_dict["TEST"]["NAME"]
        assert connection.settings_dict["NAME"] == test_name, "not on the test database"
        for schema, name in [("alpha", "Alpha Corp"), ("beta", "Beta GmbH")]:
            _ensure_users(_ensure_tenant(schema, name))
        connection.set_schema_to_public()
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


def _world(schema: str) -> TenantWorld:
    from accounts.models import User
    from tenants.models import Tenant

    connection.set_schema_to_public()
    tenant = Tenant.objects.get(schema_name=schema)
    connection.set_tenant(tenant)
    return TenantWorld(
        tenant=tenant,
        host=f"{schema}.localhost",
        hr_admin=User.objects.get(email=f"hr@{schema}.example"),
        recruiter=User.objects.get(email=f"recruiter@{schema}.example"),
    )


@pytest.fixture
def tenant_b(db) -> Iterator[TenantWorld]:  # type: ignore[no-untyped-def]
    world = _world("beta")
    yield world
    connection.set_schema_to_public()


@pytest.fixture
def tenant_a(db) -> Iterator[TenantWorld]:  # type: ignore[no-untyped-def]
    """Tenant alpha; the connection is left in alpha's schema for the test body."""
    world = _world("alpha")
    yield world
    connection.set_schema_to_public()


@pytest.fixture
def committed_tenant(django_db_setup, django_db_blocker) -> Iterator[TenantWorld]:  # type: ignore[no-untyped-def]
    """A fresh tenant whose writes are committed (for browser and worker tests); dropped after.

    Needs `django_db_setup`: without it a run of only such tests would use the real database."""
    from tenants.models import Tenant
    from tenants.services import tenant_schema_drop

    schema = f"t{uuid.uuid4().hex[:10]}"
    with django_db_blocker.unblock():
        tenant = _ensure_tenant(schema, f"Test {schema}")
        _ensure_users(tenant)
        world = _world(schema)
        try:
            yield world
        finally:
            connection.set_schema_to_public()
            tenant_schema_drop(tenant=Tenant.objects.get(schema_name=schema))


@pytest.fixture
def celery_worker(tmp_path, django_db_setup, django_db_blocker) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A real `celery worker` process on the test database; use with `committed_tenant`."""
    from tests.worker import WorkerProcess

    worker = WorkerProcess(tmp_path / "worker.log")
    with django_db_blocker.unblock():
        worker.start()
    try:
        yield worker
    finally:
        worker.stop()
