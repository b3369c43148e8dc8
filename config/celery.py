"""Celery app: tenant-aware (tenant-schemas-celery) and strict about it.

Every task is sent with the schema it was enqueued from and runs inside that schema. A task that
arrives without a schema (or with `public`) refuses to run, unless it is a declared fan-out
dispatcher (`runs_in_public = True`) that enqueues one task per tenant.
"""

from __future__ import annotations

import os
from typing import Any

from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class MissingTenantSchemaError(RuntimeError):
    """A tenant task was received without a tenant schema."""


class SchemaRequiredTask(TenantTask):
    abstract = True
    runs_in_public = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from tenants.context import current_tenant_or_none, in_public_schema
        from tenants.i18n import localised, tenant_zone

        if not self.runs_in_public and in_public_schema():
            raise MissingTenantSchemaError(
                f"Task {self.name} needs a tenant schema; it was sent without one."
            )
        # Times a task writes into emails, PDFs or messages are the tenant's; a worker process
        # runs many tenants' tasks in turn, so the zone is put back after each.
        with localised(zone=tenant_zone(current_tenant_or_none())):
            return super().__call__(*args, **kwargs)


app = CeleryApp("talentcrm", task_cls="config.celery:SchemaRequiredTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
