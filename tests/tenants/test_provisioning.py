"""Provisioning a tenant: schema, domain, HR admin and defaults in one idempotent step."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from accounts.models import AuditLog, Role, User
from candidates.models import Stage
from tenants.models import Domain, Tenant
from tenants.services import ProvisioningError, tenant_provision


def _provision(**overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "name": "Gamma Ltd",
        "domain": "gamma.localhost",
        "admin_email": "boss@gamma.example",
    }
    values.update(overrides)
    return tenant_provision(**values)  # type: ignore[arg-type]


def test_provisioning_creates_schema_domain_hr_admin_and_defaults(db):
    result = _provision(admin_password="gamma-admin-pass-2026")
    assert result.created
    tenant = result.tenant
    assert tenant.schema_name == "gamma"
    assert schema_exists("gamma")
    assert [d.domain for d in tenant.domains.all()] == ["gamma.localhost"]
    assert tenant.domains.get().is_primary
    with schema_context("gamma"):
        admin = User.objects.get()
        assert admin.email == "boss@gamma.example" and admin.role == Role.HR_ADMIN
        assert admin.check_password("gamma-admin-pass-2026")
        assert Stage.objects.count() == 5
        assert AuditLog.objects.filter(action="user.provisioned").count() == 1
    connection.set_schema_to_public()


def test_without_a_password_the_admin_gets_a_set_password_link(db):
    result = _provision()
    assert any("/accounts/password-reset/" in note for note in result.notes), result.notes
    with schema_context("gamma"):
        assert not User.objects.get().has_usable_password()


def test_provisioning_twice_changes_nothing(db):
    first = _provision(admin_password="gamma-admin-pass-2026")
    with schema_context("gamma"):
        Stage.objects.filter(slug="offer").update(name="Offer made")
    second = _provision(admin_password="another-password")
    assert not second.created
    assert second.tenant.pk == first.tenant.pk
    assert Tenant.objects.filter(schema_name="gamma").count() == 1
    assert Domain.objects.filter(tenant=first.tenant).count() == 1
    assert any("already exists" in note for note in second.notes)
    with schema_context("gamma"):
        assert User.objects.count() == 1
        assert User.objects.get().check_password("gamma-admin-pass-2026")
        # Defaults are installed once; an admin's edits survive a re-run.
        assert Stage.objects.count() == 5
        assert Stage.objects.get(slug="offer").name == "Offer made"


def test_a_taken_domain_is_refused(db):
    with pytest.raises(ProvisioningError, match=r"alpha\.localhost is already used by tenant"):
        _provision(domain="alpha.localhost", schema_name="gamma")
    assert not Tenant.objects.filter(schema_name="gamma").exists()
    assert not schema_exists("gamma")


def test_a_taken_schema_is_refused(db):
    with pytest.raises(ProvisioningError, match="'alpha' is already taken by tenant"):
        _provision(domain="alpha-two.localhost", schema_name="alpha")
    assert not Domain.objects.filter(domain="alpha-two.localhost").exists()


def test_a_leftover_database_schema_is_refused(db):
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "leftover"')
    with pytest.raises(ProvisioningError, match="schema named 'leftover' already exists"):
        _provision(domain="leftover.localhost")
    assert not Tenant.objects.filter(schema_name="leftover").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "needs a name"),
        ({"domain": "not a domain"}, "not a valid host name"),
        ({"domain": "-bad-.localhost"}, "not a valid host name"),
        ({"domain": "x" * 64 + ".localhost"}, "not a valid host name"),
        ({"schema_name": "1abc"}, "cannot be a schema name"),
        ({"schema_name": "Bad-Name"}, "cannot be a schema name"),
        ({"schema_name": "pg_toast"}, "cannot be a schema name"),
        ({"admin_email": "nobody"}, "not a valid email address"),
    ],
)
def test_invalid_input_is_refused_with_a_clear_message(db, overrides, message):
    with pytest.raises(ProvisioningError, match=message):
        _provision(**overrides)
    assert not Tenant.objects.filter(name="Gamma Ltd").exists()


@pytest.mark.parametrize("reserved", ["public", "www", "tenant_template", "information_schema"])
def test_reserved_names_are_refused(db, reserved):
    with pytest.raises(ProvisioningError, match="reserved name"):
        _provision(domain=f"{reserved}.localhost".replace("_", "-"), schema_name=reserved)


def test_www_host_cannot_become_a_tenant(db):
    with pytest.raises(ProvisioningError, match="cannot be a schema name"):
        _provision(domain="www.localhost")


def test_the_management_command_provisions_and_reports(db, capsys):
    call_command(
        "provision_tenant",
        "--name",
        "Delta SA",
        "--domain",
        "Delta.Localhost",
        "--admin-email",
        "HR@Delta.example",
    )
    out = capsys.readouterr().out
    assert "Created tenant Delta SA" in out
    assert "choose a password at http://delta.localhost:8000/accounts/password-reset/" in out
    tenant = Tenant.objects.get(schema_name="delta")
    assert tenant.get_primary_domain().domain == "delta.localhost"
    with schema_context("delta"):
        assert User.objects.get().email == "hr@delta.example"

    call_command(
        "provision_tenant", "--name", "Delta SA", "--domain", "delta.localhost",
        "--admin-email", "hr@delta.example",
    )  # fmt: skip
    assert "Already provisioned" in capsys.readouterr().out


def test_the_management_command_reports_errors_without_a_traceback(db):
    with pytest.raises(CommandError, match="already used by tenant 'Alpha Corp'"):
        call_command(
            "provision_tenant", "--name", "X", "--domain", "alpha.localhost",
            "--admin-email", "x@x.example", "--schema", "xray",
        )  # fmt: skip
    with pytest.raises(CommandError, match="not a valid email address"):
        call_command(
            "provision_tenant", "--name", "X", "--domain", "xray.localhost",
            "--admin-email", "nope",
        )  # fmt: skip


def test_a_provisioned_tenant_is_reachable_at_its_domain(db):
    from django.test import Client

    _provision(admin_password="gamma-admin-pass-2026")
    client = Client(HTTP_HOST="gamma.localhost")
    assert client.get("/accounts/login/").status_code == 200
    response = client.post(
        "/accounts/login/",
        {"username": "boss@gamma.example", "password": "gamma-admin-pass-2026"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
