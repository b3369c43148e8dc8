"""TENANT_LIMIT_SET_CALLS caches the search_path; a rolled-back SET must never leave queries
running in another tenant's schema."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from candidates.models import Candidate


def test_the_search_path_cache_is_on():
    assert settings.TENANT_LIMIT_SET_CALLS is True


def test_a_savepoint_rollback_does_not_leave_queries_in_the_wrong_schema(tenant_a, tenant_b):
    tenant_a.activate()
    Candidate.objects.create(first_name="Only", last_name="Alpha", email="only@alpha.example")
    tenant_b.activate()
    try:
        with transaction.atomic():
            # The first query after switching issues SET search_path inside this savepoint...
            assert not Candidate.objects.filter(email="only@alpha.example").exists()
            raise IntegrityError("roll the savepoint back")
    except IntegrityError:
        pass
    # ...which PostgreSQL reverted; the next query must still run in beta, not alpha.
    assert not Candidate.objects.filter(email="only@alpha.example").exists()
    tenant_a.activate()
    with transaction.atomic():
        assert Candidate.objects.filter(email="only@alpha.example").exists()
    assert connection.schema_name == "alpha"


def test_the_server_binding_cursor_runs_in_the_active_tenant_and_is_logged(tenant_a, tenant_b):
    from django.test.utils import CaptureQueriesContext

    from tenants.db import server_binding_cursor

    tenant_a.activate()
    alpha = Candidate.objects.create(first_name="A", last_name="A", email="a@alpha.example")
    tenant_b.activate()
    beta = Candidate.objects.create(first_name="B", last_name="B", email="b@beta.example")
    table = Candidate._meta.db_table
    for tenant, own, other in ((tenant_a, alpha, beta), (tenant_b, beta, alpha)):
        tenant.activate()
        with CaptureQueriesContext(connection) as queries, server_binding_cursor() as cursor:
            # A binary array parameter of 50k ids, most of which exist nowhere.
            cursor.execute(
                f"SELECT id, email FROM {table} WHERE id = ANY(%b::bigint[])",  # noqa: S608
                [[*range(100000, 150000), own.pk, other.pk]],
            )
            rows = cursor.fetchall()
        # Only this tenant's row: the other tenant's id, if it exists here, is another person.
        assert (own.pk, own.email) in rows
        assert all(email.endswith(f"@{tenant.tenant.schema_name}.example") for _, email in rows)
        assert any("ANY(" in q["sql"] for q in queries.captured_queries)
