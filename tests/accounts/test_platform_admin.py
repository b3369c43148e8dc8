"""The platform operators' admin (public host) deactivates operators, never deletes them:
a delete would collect the tenant apps' rows pointing at users, tables the public schema does
not have, and answer a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.models import User


@pytest.mark.django_db
def test_an_operator_can_be_deactivated_but_not_deleted_on_the_public_admin():
    with schema_context(get_public_schema_name()):
        root = User.objects.create_superuser(email="root@platform.example", password="x-Pass-1234")
        other = User.objects.create_user(email="op@platform.example", password="x-Pass-1234")
        other.is_staff = True
        other.save()
    client = Client(HTTP_HOST="localhost")
    client.force_login(root)
    page = client.get(f"/admin/accounts/user/{other.pk}/change/")
    assert page.status_code == 200
    assert f"/admin/accounts/user/{other.pk}/delete/" not in page.content.decode()
    delete_url = f"/admin/accounts/user/{other.pk}/delete/"
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = client.get("/admin/accounts/user/").content.decode()
    assert 'value="delete_selected"' not in changelist
    with schema_context(get_public_schema_name()):
        assert User.objects.filter(pk=other.pk).exists()
