from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from campaigns.planner import nurture_plan
from campaigns.sending import BATCH_SIZE, nurture_send_batch, planned_delivery_ids
from config.celery import SchemaRequiredTask
from tenants.fanout import enqueue_for_each_tenant


@shared_task
def nurture_send_batch_task(delivery_ids: list[int]) -> int:
    return nurture_send_batch(delivery_ids=delivery_ids).queued


@shared_task
def nurture_tenant_task() -> int:
    """Plan this tenant's nurture now and fan the rendering out in batches after commit."""
    with transaction.atomic():
        result = nurture_plan()
        ids = planned_delivery_ids()
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start : start + BATCH_SIZE]
            transaction.on_commit(partial(nurture_send_batch_task.delay, chunk))
    return result.planned


@shared_task(base=SchemaRequiredTask, runs_in_public=True)
def nurture_dispatch_task() -> int:
    return enqueue_for_each_tenant(nurture_tenant_task)


@shared_task
def campaign_send_task(campaign_id: int) -> int:
    from campaigns.services import campaign_send_due

    return campaign_send_due(campaign_id=campaign_id)


@shared_task
def campaigns_due_tenant_task() -> int:
    from campaigns.services import campaigns_send_scheduled

    return campaigns_send_scheduled()


@shared_task(base=SchemaRequiredTask, runs_in_public=True)
def campaigns_due_dispatch_task() -> int:
    return enqueue_for_each_tenant(campaigns_due_tenant_task)
