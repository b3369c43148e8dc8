from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from config.celery import SchemaRequiredTask
from tenants.fanout import enqueue_for_each_tenant

HEARTBEAT_KEY = "worker:heartbeat"


@shared_task
def tenant_heartbeat_task() -> str:
    """Proves a worker serves this tenant: /healthz on the tenant host shows when it last ran."""
    stamp = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, stamp, 24 * 3600)
    return stamp


@shared_task(base=SchemaRequiredTask, runs_in_public=True)
def heartbeat_dispatch_task() -> int:
    return enqueue_for_each_tenant(tenant_heartbeat_task)
