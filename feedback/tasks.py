from __future__ import annotations

from celery import shared_task

from feedback.models import BulkRejectRun
from feedback.services import bulk_run_execute


@shared_task(acks_late=True)
def bulk_reject_run_task(run_id: int) -> str:
    run = BulkRejectRun.objects.filter(pk=run_id).first()
    if run is None:
        return "missing"
    return bulk_run_execute(run=run).status
