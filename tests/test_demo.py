"""`seed_demo` (run by `make run`): the demo tenant, its logins and every app's demo data."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import Role, User
from demo.services import DEMO_PASSWORD
from tenants.models import Tenant


def test_seed_demo_gives_the_demo_company_with_working_logins(db, capsys, settings):
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
