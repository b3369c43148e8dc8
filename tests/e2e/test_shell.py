from __future__ import annotations

import io
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_exists
from playwright.sync_api import expect

from demo.services import DEMO_PASSWORD


def test_hr_admin_signs_in_and_sees_dashboard_and_navigation(site, page):
    site.login(page, site.world.hr_admin)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for label in ["Candidates", "Pools", "Feedback", "Campaigns", "Consent", "Settings"]:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    nav.get_by_role("link", name="Settings", exact=True).click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    assert site.foreign_requests() == []


def test_recruiter_does_not_see_hr_admin_settings(site, page):
    site.login(page, site.world.recruiter)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Candidates", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Settings", exact=True)).to_have_count(0)
    response = page.goto(site.url("/accounts/settings/"))
    assert response is not None and response.status == 403


@pytest.fixture
def demo_base_url(django_db_setup, django_db_blocker, tenant_live_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The demo company of `make run` (tenant and logins, without app data), committed for the
    browser and dropped after."""
    from tenants.models import Tenant
    from tenants.services import tenant_schema_drop

    with django_db_blocker.unblock():
        if not Tenant.objects.filter(schema_name="demo").exists() and schema_exists("demo"):
            with connection.cursor() as cursor:  # left by an interrupted run
                cursor.execute('DROP SCHEMA "demo" CASCADE')
        call_command("seed_demo", "--logins-only", stdout=io.StringIO())
        try:
            yield f"http://demo.localhost:{urlsplit(tenant_live_server.url).port}"
        finally:
            connection.set_schema_to_public()
            tenant_schema_drop(tenant=Tenant.objects.get(schema_name="demo"))


def test_the_demo_hr_admin_signs_in_at_demo_localhost(demo_base_url, page):
    page.goto(demo_base_url + "/accounts/login/")
    page.get_by_label("Email").fill("hr@demo.localhost")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(demo_base_url + "/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for label in ["Candidates", "Pools", "Feedback", "Campaigns", "Consent", "Settings"]:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
