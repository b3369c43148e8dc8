from __future__ import annotations

from celery import shared_task

from config.celery import SchemaRequiredTask
from consent.exports import access_export_run
from consent.retention import retention_run
from tenants.fanout import enqueue_for_each_tenant


@shared_task
def retention_run_task() -> dict[str, int]:
    return retention_run().as_dict()


@shared_task(base=SchemaRequiredTask, runs_in_public=True)
def retention_dispatch_task() -> int:
    """Daily: one retention run per tenant."""
    return enqueue_for_each_tenant(retention_run_task)


@shared_task(acks_late=True)
def access_export_task(export_id: int) -> str:
    """Prepare a copy of someone's data (GDPR art. 15)."""
    export = access_export_run(export_id=export_id)
    return export.status if export is not None else "dropped"
