from __future__ import annotations

from celery import shared_task

from consent.retention import retention_run
from tenants.fanout import enqueue_for_each_tenant


@shared_task
def retention_run_task() -> dict[str, int]:
    return vars(retention_run())


@shared_task(runs_in_public=True)
def retention_dispatch_task() -> int:
    """Daily: one retention run per tenant."""
    return enqueue_for_each_tenant(retention_run_task)
