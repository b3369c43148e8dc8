from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from accounts.models import User
from candidates.models import Candidate
from config.celery import MissingTenantSchemaError
from tenants.tasks import HEARTBEAT_KEY, tenant_heartbeat_task
from tests.worker import wait_until


def test_users_of_one_tenant_do_not_exist_in_another(tenant_a, tenant_b):
    tenant_a.activate()
    assert User.objects.filter(email="recruiter@alpha.example").exists()
    tenant_b.activate()
    assert not User.objects.filter(email="recruiter@alpha.example").exists()


def test_a_user_of_tenant_a_cannot_sign_in_at_tenant_b(tenant_a, tenant_b):
    from tests.conftest import PASSWORD

    response = tenant_b.client().post(
        "/accounts/login/", {"username": "recruiter@alpha.example", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in tenant_b.client().session
    assert b"Please enter a correct" in response.content


def test_a_session_from_tenant_a_is_not_valid_at_tenant_b(tenant_a, tenant_b):
    client = tenant_a.client(tenant_a.recruiter)
    assert client.get("/").status_code == 200
    session_cookie = client.cookies["sessionid"].value
    other = tenant_b.client()
    other.cookies["sessionid"] = session_cookie
    response = other.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_data_is_per_tenant(tenant_a, tenant_b):
    tenant_a.activate()
    Candidate.objects.create(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    assert Candidate.objects.count() == 1
    tenant_b.activate()
    assert Candidate.objects.count() == 0
    # The same person may exist independently in another tenant.
    Candidate.objects.create(first_name="Ada", last_name="L.", email="ada@example.com")


def test_cache_entries_are_per_tenant(tenant_a, tenant_b):
    tenant_a.activate()
    cache.set("isolation-probe", "alpha", 30)
    tenant_b.activate()
    assert cache.get("isolation-probe") is None
    cache.set("isolation-probe", "beta", 30)
    tenant_a.activate()
    assert cache.get("isolation-probe") == "alpha"
    cache.delete("isolation-probe")
    tenant_b.activate()
    cache.delete("isolation-probe")


def test_unknown_host_is_not_found(db):
    from django.test import Client

    assert Client(HTTP_HOST="nobody.localhost").get("/accounts/login/").status_code == 404


def test_task_without_a_schema_refuses_to_run(db):
    connection.set_schema_to_public()
    with pytest.raises(MissingTenantSchemaError):
        tenant_heartbeat_task.apply(throw=True)


@pytest.mark.worker
def test_tasks_run_in_the_schema_they_were_sent_from(committed_tenant, celery_worker):
    from tenants.models import Tenant

    beta = Tenant.objects.get(schema_name="beta")
    connection.set_tenant(beta)
    cache.delete(HEARTBEAT_KEY)
    committed_tenant.activate()
    cache.delete(HEARTBEAT_KEY)
    tenant_heartbeat_task.delay()
    assert wait_until(lambda: cache.get(HEARTBEAT_KEY) is not None)
    connection.set_tenant(beta)
    assert cache.get(HEARTBEAT_KEY) is None


@pytest.mark.worker
def test_a_task_sent_without_schema_fails_in_the_worker(committed_tenant, celery_worker):
    from config.celery import app

    committed_tenant.activate()
    cache.delete(HEARTBEAT_KEY)
    # Bypass tenant-schemas-celery's header injection, as a foreign producer would.
    app.send_task("tenants.tasks.tenant_heartbeat_task", headers={"_schema_name": ""})
    assert wait_until(lambda: "MissingTenantSchemaError" in celery_worker.log())
    assert cache.get(HEARTBEAT_KEY) is None
