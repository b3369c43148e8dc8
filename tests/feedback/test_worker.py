"""A large bulk rejection runs on a real Celery worker."""

from __future__ import annotations

import pytest

from candidates.models import Application, Candidate, Outcome, Position, Stage
from feedback.models import BulkRejectRun, RunStatus
from feedback.services import bulk_run_start
from mailing.models import Message
from tests.worker import wait_until

pytestmark = pytest.mark.worker


def test_bulk_run_rejects_on_the_worker(committed_tenant, celery_worker):
    committed_tenant.activate()
    stage = Stage.objects.get(slug="applied")
    position = Position.objects.create(title="Analyst")
    ids = [
        Application.objects.create(
            candidate=Candidate.objects.create(first_name=f"W{n}", email=f"w{n}@example.com"),
            position=position,
            stage=stage,
            furthest_stage=stage,
        ).pk
        for n in range(5)
    ]
    run = bulk_run_start(application_ids=ids, actor=committed_tenant.recruiter)
    assert wait_until(lambda: BulkRejectRun.objects.get(pk=run.pk).is_finished, timeout=60)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert run.rejected_count == 5
    assert Application.objects.filter(pk__in=ids, outcome=Outcome.REJECTED).count() == 5
    assert Message.objects.filter(send_key__in=[f"rejection:{i}" for i in ids]).count() == 5
