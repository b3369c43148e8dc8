from __future__ import annotations

import threading
from typing import Any

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown

from config.celery import SchemaRequiredTask
from mailing.dispatch import next_retry_at, outbox_dispatch, outbox_sweep
from mailing.runs import watchdog_start
from tenants.fanout import enqueue_for_each_tenant


def _start_helper(run_id: str) -> None:
    outbox_dispatch_task.apply_async(kwargs={"run_id": run_id})


@shared_task(acks_late=True)
def outbox_dispatch_task(run_id: str = "") -> dict[str, int]:
    """Send this tenant's due messages (starting helpers for a large backlog); hand over to a
    fresh task when the time budget runs out, the rate limit says wait, or a dead worker's
    leases are about to lapse."""
    result = outbox_dispatch(run_id=run_id, start_helper=_start_helper)
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


@shared_task(base=SchemaRequiredTask, runs_in_public=True)
def outbox_sweep_dispatch_task() -> int:
    """Beat: re-enqueue what is left queued (broker lost, worker killed) in every tenant."""
    return enqueue_for_each_tenant(outbox_sweep_task)


def _restart(schema: str) -> None:
    outbox_dispatch_task.apply_async(headers={"_schema_name": schema})


_watchdog: list[threading.Event] = []


@worker_ready.connect(dispatch_uid="mailing-dispatch-watchdog")
def _watchdog_on(**kwargs: Any) -> None:
    """Every worker process watches for dispatchers that died (see mailing.runs)."""
    _watchdog.append(watchdog_start(_restart))


@worker_shutdown.connect(dispatch_uid="mailing-dispatch-watchdog-stop")
def _watchdog_off(**kwargs: Any) -> None:
    for stop in _watchdog:
        stop.set()
