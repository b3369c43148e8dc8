from __future__ import annotations

from celery import shared_task

from config.celery import SchemaRequiredTask
from integrations.services import integrations_sweep
from integrations.webhooks.outbox import deliveries_run
from tenants.fanout import enqueue_for_each_tenant


@shared_task(acks_late=True)
def webhooks_deliver_task() -> int:
    """Deliver this tenant's outbound webhooks that are due."""
    return deliveries_run()


@shared_task(acks_late=True)
def integrations_sweep_task() -> int:
    return integrations_sweep()


@shared_task(base=SchemaRequiredTask, runs_in_public=True)
def integrations_sweep_dispatch_task() -> int:
    """Beat: deliver what is due in every tenant (a lost kick, a retry whose task was lost) and
    forget idempotency records older than 24 hours."""
    return enqueue_for_each_tenant(integrations_sweep_task)
