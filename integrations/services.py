"""Housekeeping shared by the integration features."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from integrations.models import IdempotencyRecord
from integrations.webhooks.outbox import deliveries_run


def idempotency_records_expire(*, now: datetime | None = None) -> int:
    """Forget Idempotency-Key answers older than API_IDEMPOTENCY_HOURS (their bodies can hold
    a person's data); returns how many went."""
    horizon = (now or timezone.now()) - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=horizon).delete()
    return deleted


def integrations_sweep() -> int:
    """Forget expired Idempotency-Key answers; deliver due webhooks. Returns deliveries made."""
    idempotency_records_expire()
    return deliveries_run()
