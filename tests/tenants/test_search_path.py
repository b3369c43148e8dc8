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
