"""Outbound webhooks: subscriptions, the PostgreSQL outbox and its delivery.

An event becomes one `WebhookEvent` (its `msg_id` is the Standard Webhooks `webhook-id`) and
one `WebhookDelivery` per enabled subscription to that event type, in one transaction; the
worker is kicked on commit and a periodic sweep picks up anything left behind. A delivery is
claimed with FOR UPDATE SKIP LOCKED and a lease, so two workers never send it at once; once a
2xx answer is recorded it is never sent again. Failures are retried on WEBHOOK_RETRY_SCHEDULE
until the event is WEBHOOK_MAX_AGE_HOURS old; then the delivery fails, the subscription is
disabled and the HR admins get an email.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from accounts.models import User
from accounts.services import audit_log_record
from integrations.models import (
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventType,
    WebhookSubscription,
)
from integrations.notify import staff_notify
from integrations.webhooks.signing import secret_new, signed_headers
from integrations.webhooks.transport import WebhookUrlError, post, url_target
from tenants.links import tenant_absolute_url

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)


class WebhookError(Exception):
    """A webhook action was refused; the message is shown to the user."""


# --- Subscriptions --------------------------------------------------------------------------------


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = [e for e in WebhookEventType.values if e in set(events)]
    unknown = set(events) - set(WebhookEventType.values)
    if unknown or not chosen:
        raise WebhookError(_("Choose at least one of the listed events."))
    return chosen


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 1000:
        raise WebhookError(_("The URL is longer than 1,000 characters."))
    try:
        url_target(url)
    except WebhookUrlError as exc:
        raise WebhookError(str(exc)) from None
    return url


@transaction.atomic
def subscription_create(
    *, url: str, events: Iterable[str], actor: User | None, description: str = ""
) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.create(
        url=_clean_url(url),
        events=_clean_events(events),
        description=description.strip()[:200],
        secret=secret_new(),
        created_by=actor if actor and actor.pk else None,
    )
    audit_log_record(actor=actor, action="integrations.webhook_create", target=subscription.url)
    return subscription


@transaction.atomic
def subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str,
    events: Iterable[str],
    enabled: bool,
    actor: User | None,
    description: str = "",
) -> WebhookSubscription:
    subscription.url = _clean_url(url)
    subscription.events = _clean_events(events)
    subscription.description = description.strip()[:200]
    if enabled and not subscription.enabled:
        subscription.disabled_at, subscription.disabled_reason = None, ""
    subscription.enabled = enabled
    subscription.save()
    audit_log_record(actor=actor, action="integrations.webhook_update", target=subscription.url)
    return subscription


@transaction.atomic
def subscription_secret_rotate(
    *, subscription: WebhookSubscription, actor: User | None
) -> WebhookSubscription:
    subscription.secret = secret_new()
    subscription.save(update_fields=["secret"])
    audit_log_record(actor=actor, action="integrations.webhook_rotate", target=subscription.url)
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription, actor: User | None) -> None:
    audit_log_record(actor=actor, action="integrations.webhook_delete", target=subscription.url)
    subscription.delete()


# --- The outbox -----------------------------------------------------------------------------------


def _kick() -> None:
    from integrations.tasks import webhooks_deliver_task

    try:
        webhooks_deliver_task.delay()
    except (OperationalError, OSError):
        log.warning("broker unavailable; the webhook sweep delivers later")


@transaction.atomic
def webhook_event_emit(
    *, event_type: str, data: dict[str, Any], candidate_id: int | None = None
) -> WebhookEvent | None:
    """Record an event for every enabled subscription that wants it (None when none does)."""
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(enabled=True)
        if event_type in (s.events or [])
    ]
    if not subscriptions:
        return None
    now = timezone.now()
    event = WebhookEvent.objects.create(
        msg_id="msg_" + secrets.token_urlsafe(18),
        event_type=event_type,
        payload=json.loads(
            json.dumps(
                {"type": event_type, "timestamp": now.isoformat(), "data": data},
                cls=DjangoJSONEncoder,
            )
        ),
        candidate_id=candidate_id,
        created_at=now,
    )
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(subscription=s, event=event, next_attempt_at=now) for s in subscriptions]
    )
    transaction.on_commit(_kick)
    return event


def _claim(limit: int) -> list[WebhookDelivery]:
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .select_related("event", "subscription")
            .order_by("next_attempt_at", "id")[:limit]
        )
        # A delivery whose worker died mid-request gets its lease back after LEASE.
        stale = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=DeliveryStatus.DELIVERING, lease_until__lt=now)
            .select_related("event", "subscription")[:limit]
        )
        rows += stale
        WebhookDelivery.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=DeliveryStatus.DELIVERING, lease_until=now + LEASE
        )
    return rows


def _body(event: WebhookEvent) -> bytes:
    return json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()


def delivery_attempt(delivery: WebhookDelivery) -> bool:
    """POST one claimed delivery and record the outcome; True if it was delivered."""
    subscription, event = delivery.subscription, delivery.event
    if not subscription.enabled:
        _finish(delivery, DeliveryStatus.FAILED, None, "the subscription is disabled", tried=False)
        return False
    body = _body(event)
    headers = signed_headers(
        secret=subscription.secret,
        msg_id=event.msg_id,
        timestamp=int(timezone.now().timestamp()),
        body=body,
    )
    result = post(subscription.url, body=body, headers=headers)
    DeliveryAttempt.objects.create(
        delivery=delivery,
        status_code=result.status,
        error=result.error[:500],
        duration_ms=result.duration_ms,
    )
    if result.ok:
        _finish(delivery, DeliveryStatus.DELIVERED, result.status, "")
        return True
    _retry_or_fail(delivery, result.status, result.error)
    return False


def _finish(
    delivery: WebhookDelivery, status: str, code: int | None, error: str, *, tried: bool = True
) -> None:
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        attempts=delivery.attempts + int(tried),
        last_status_code=code,
        last_error=error[:500],
        delivered_at=now if status == DeliveryStatus.DELIVERED else None,
        lease_until=None,
    )


def _retry_or_fail(delivery: WebhookDelivery, code: int | None, error: str) -> None:
    schedule = settings.WEBHOOK_RETRY_SCHEDULE or [60]
    attempts = delivery.attempts + 1
    gap = timedelta(seconds=schedule[min(attempts - 1, len(schedule) - 1)])
    deadline = delivery.window_start + timedelta(hours=settings.WEBHOOK_MAX_AGE_HOURS)
    next_at = timezone.now() + gap
    if next_at > deadline:
        _finish(delivery, DeliveryStatus.FAILED, code, error)
        subscription_disable(
            subscription=delivery.subscription,
            reason=f"Deliveries failed for {settings.WEBHOOK_MAX_AGE_HOURS} hours "
            f"(last error: {error})",
        )
        return
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        attempts=attempts,
        next_attempt_at=next_at,
        last_status_code=code,
        last_error=error[:500],
        lease_until=None,
    )
    _schedule(gap.total_seconds())


def _schedule(seconds: float) -> None:
    from integrations.tasks import webhooks_deliver_task

    try:
        webhooks_deliver_task.apply_async(countdown=max(0.0, seconds))
    except (OperationalError, OSError):
        log.warning("broker unavailable; the webhook sweep retries later")


@transaction.atomic
def subscription_disable(*, subscription: WebhookSubscription, reason: str) -> None:
    """Stop a subscription that keeps failing; tell the HR admins (once)."""
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not locked.enabled:
        return
    now = timezone.now()
    locked.enabled, locked.disabled_at, locked.disabled_reason = False, now, reason[:300]
    locked.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
    WebhookDelivery.objects.filter(subscription=locked, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, last_error="the subscription was disabled"
    )
    staff_notify(
        key=f"webhook-disabled:{locked.pk}:{int(now.timestamp())}",
        recipients=User.objects.filter(role="hr_admin", is_active=True),
        subject="A webhook was disabled: {{ url }}",
        body=(
            "We stopped sending events to **{{ url }}**: {{ reason }}\n\n"
            "Events for it are kept in the delivery log. Fix the receiver, enable the webhook "
            "again and replay the failed deliveries: {{ settings_url }}"
        ),
        context={
            "url": locked.url,
            "reason": reason,
            "settings_url": tenant_absolute_url(reverse("integrations:webhooks")),
        },
    )


def deliveries_run(*, limit: int = 50, budget_seconds: float = 20.0) -> int:
    """Deliver what is due (the task and the sweep call this); returns how many succeeded."""
    started = timezone.now()
    delivered = 0
    while (timezone.now() - started).total_seconds() < budget_seconds:
        batch = _claim(limit)
        if not batch:
            break
        for delivery in batch:
            delivered += delivery_attempt(delivery)
    return delivered


@transaction.atomic
def delivery_replay(*, delivery: WebhookDelivery, actor: User | None) -> WebhookDelivery:
    """Send an event again (same webhook-id: a receiver that already has it ignores it)."""
    if not delivery.subscription.enabled:
        raise WebhookError(_("Enable the webhook before replaying its deliveries."))
    if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.DELIVERING):
        raise WebhookError(_("This delivery is already waiting to be sent."))
    if delivery.event.payload.get("erased"):
        raise WebhookError(_("This event's personal data was erased; it cannot be sent again."))
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, window_start=now, lease_until=None
    )
    audit_log_record(
        actor=actor, action="integrations.webhook_replay", target=delivery.event.msg_id
    )
    transaction.on_commit(_kick)
    delivery.refresh_from_db()
    return delivery
