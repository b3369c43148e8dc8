"""Periodic work: one public dispatcher task fans out one task per tenant (DESIGN §3)."""

from __future__ import annotations

from typing import Any

from celery import Task
from django_tenants.utils import get_public_schema_name, tenant_context

from tenants.models import Tenant


def enqueue_for_each_tenant(task: Task, *args: Any, **kwargs: Any) -> int:
    count = 0
    tenants = Tenant.objects.filter(is_active=True).exclude(schema_name=get_public_schema_name())
    for tenant in tenants:
        with tenant_context(tenant):
            task.delay(*args, **kwargs)
        count += 1
    return count
