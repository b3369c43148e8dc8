"""Housekeeping shared by the integration features."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.models import IdempotencyRecord
from integrations.webhooks.outbox import deliveries_run


def integrations_sweep() -> int:
    """Forget expired Idempotency-Key answers; deliver due webhooks. Returns deliveries made."""
    horizon = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    IdempotencyRecord.objects.filter(created_at__lt=horizon).delete()
    return deliveries_run()
