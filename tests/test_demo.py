"""`seed_demo` (run by `make run`): the demo tenant, its logins and every app's demo data; a
second run keeps everything and adds nothing."""

from __future__ import annotations

from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import AuditLog, Role, User
from demo.services import DEMO_APPS, DEMO_PASSWORD, SEEDED_ACTION
from tenants.models import Tenant


def _row_counts() -> dict[str, int]:
    with schema_context("demo"):
        return {
            model._meta.label: model.objects.count()
            for model in apps.get_models()
            if model._meta.app_label in {"accounts", *DEMO_APPS}
        }


def test_seed_demo_gives_working_logins_and_a_second_run_adds_nothing(db, capsys, settings):
    # As under `make run`: development mode (pytest turns DEBUG off; plain-http links, such as
    # the demo's unsubscribe links, are accepted only in development).
    settings.DEBUG = True
    call_command("seed_demo")
    assert "Created demo tenant Demo Company" in capsys.readouterr().out
    tenant = Tenant.objects.get(schema_name="demo")
    assert tenant.get_primary_domain().domain == "demo.localhost"
    with schema_context("demo"):
        hr = User.objects.get(email="hr@demo.localhost")
        recruiter = User.objects.get(email="recruiter@demo.localhost")
        assert hr.role == Role.HR_ADMIN and recruiter.role == Role.RECRUITER
        seeded = set(AuditLog.objects.filter(action=SEEDED_ACTION).values_list("target", flat=True))
        assert "candidates" in seeded
    with schema_context("public"):
        assert User.objects.get(email="admin@localhost").is_superuser

    client = Client(HTTP_HOST="demo.localhost")
    response = client.post(
        "/accounts/login/", {"username": "recruiter@demo.localhost", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert b"Dashboard" in client.get("/").content
    operator = Client(HTTP_HOST="localhost")
    response = operator.post(
        "/admin/login/?next=/admin/", {"username": "admin@localhost", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert operator.get("/admin/tenants/tenant/").status_code == 200

    before = _row_counts()
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Kept existing demo tenant" in out
    assert "demo data seeded: none;" in out
    grown = {label: (before[label], n) for label, n in _row_counts().items() if n != before[label]}
    assert grown == {}, f"a second seed_demo added rows (before, after): {grown}"
