from __future__ import annotations

from celery import shared_task

from mailing.dispatch import next_retry_at, outbox_dispatch, outbox_sweep
from tenants.fanout import enqueue_for_each_tenant


@shared_task(acks_late=True)
def outbox_dispatch_task() -> dict[str, int]:
    """Send this tenant's due messages; hand over to a fresh task when the time budget runs out
    or the rate limit says wait."""
    result = outbox_dispatch()
    if result.more:
        outbox_dispatch_task.apply_async(countdown=result.wait)
    elif result.retrying and (retry_at := next_retry_at()) is not None:
        outbox_dispatch_task.apply_async(eta=retry_at)
    return {"sent": result.sent, "failed": result.failed, "suppressed": result.suppressed}


@shared_task
def outbox_sweep_task() -> int:
    due = outbox_sweep()
    if due:
        outbox_dispatch_task.delay()
    return due


@shared_task(runs_in_public=True)
def outbox_sweep_dispatch_task() -> int:
    """Beat: re-enqueue what is left queued (broker lost, worker killed) in every tenant."""
    return enqueue_for_each_tenant(outbox_sweep_task)
