"""The daily retention job through a real worker: beat's public dispatcher fans out one task per
tenant, each running in its own schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from consent.models import Registration
from consent.tasks import retention_dispatch_task
from tests.worker import wait_until


@pytest.mark.worker
def test_dispatcher_runs_retention_in_every_tenant(committed_tenant, celery_worker):
    committed_tenant.activate()
    stale = Registration.objects.create(
        email="stale@example.com", created_at=timezone.now() - timedelta(days=8)
    )
    fresh = Registration.objects.create(email="fresh@example.com")
    connection.set_schema_to_public()
    retention_dispatch_task.delay()

    def purged() -> bool:
        committed_tenant.activate()
        return not Registration.objects.filter(pk=stale.pk).exists()

    assert wait_until(purged, timeout=60), celery_worker.log()[-3000:]
    assert Registration.objects.filter(pk=fresh.pk).exists()
