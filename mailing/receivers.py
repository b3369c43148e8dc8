"""ESP tracking events (anymail's `tracking` signal), received on the tenant's own host.

Each tenant's ESP webhook points at `https://<tenant host>/mail/webhooks/anymail/<esp>/tracking/`,
so an event is handled inside that tenant's schema. The metadata every message carries
(`schema`, `message_id`) must match the host's schema; an event for another tenant's message is
ignored, never written here.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, tracking
from django.db import IntegrityError, transaction
from django.db.models.expressions import RawSQL
from django.dispatch import receiver

from mailing.events import message_status_changed, recipient_complained, recipient_unsubscribed
from mailing.gate import tracking_allowed
from mailing.models import STATUS_RANK, Message, MessageStatus, SuppressionReason, TrackingEvent
from mailing.services import suppression_add
from tenants.context import current_schema, in_public_schema

log = logging.getLogger(__name__)

_STATUS_FOR_EVENT = {
    EventType.DELIVERED: MessageStatus.DELIVERED,
    EventType.OPENED: MessageStatus.OPENED,
    EventType.CLICKED: MessageStatus.CLICKED,
    EventType.BOUNCED: MessageStatus.BOUNCED,
    EventType.COMPLAINED: MessageStatus.COMPLAINED,
    EventType.REJECTED: MessageStatus.FAILED,
    EventType.FAILED: MessageStatus.FAILED,
}
# The timeline entry of each tracking event (codes of mailing.entries).
_TIMELINE = {
    EventType.DELIVERED: "email.delivered",
    EventType.OPENED: "email.opened",
    EventType.CLICKED: "email.clicked",
    EventType.BOUNCED: "email.bounced",
    EventType.COMPLAINED: "email.complained",
    EventType.UNSUBSCRIBED: "email.unsubscribed",
    EventType.REJECTED: "email.rejected",
    EventType.FAILED: "email.failed",
}
_TRACKING_ONLY = {EventType.OPENED, EventType.CLICKED}


def _find_message(event: AnymailTrackingEvent) -> Message | None:
    metadata = event.metadata or {}
    if metadata.get("schema"):
        if metadata["schema"] != current_schema():
            return None
        if str(metadata.get("message_id", "")).isdigit():
            return Message.objects.filter(pk=int(metadata["message_id"])).first()
    if not event.message_id:
        return None
    candidates = Message.objects.filter(esp_message_id=event.message_id)
    if event.recipient:
        # Batch sends may share one ESP id; the recipient tells them apart.
        candidates = candidates.filter(to_email__iexact=event.recipient)
    return candidates.first()


def _soft_bounce(event: AnymailTrackingEvent) -> bool:
    # Anymail reports Postmark soft bounces as "bounced" too; only hard ones suppress.
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    return raw.get("Type") == "SoftBounce"


def _event_id(event: AnymailTrackingEvent, esp_name: str) -> str:
    if event.event_id:
        return f"{esp_name}:{event.event_id}"[:200]
    # Some ESPs send no id for some events: the same facts make the same id, so a replay of
    # the identical payload is still recognised.
    raw = f"{esp_name}|{event.event_type}|{event.message_id}|{event.recipient}|{event.timestamp}"
    return f"{esp_name}:h:{hashlib.sha256(raw.encode()).hexdigest()}"


def _timeline_status_set(*, message: Message, status: str) -> None:
    """Keep the "Email sent" timeline entry's status badge current: one UPDATE on the indexed
    ref, so the candidate page reads the status from its own rows (no query per email).
    Per-event entries carry `event`, not `status`, and are left as written."""
    from candidates.models import Activity, ActivityKind

    Activity.objects.filter(
        ref=message.ref, kind=ActivityKind.EMAIL, data__has_key="status"
    ).update(data=RawSQL("data || jsonb_build_object('status', %s::text)", [str(status)]))


@receiver(tracking, dispatch_uid="mailing.tracking")
def handle_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **_: Any) -> None:
    if in_public_schema():
        return
    message = _find_message(event)
    if message is None:
        log.info("tracking event %s for an unknown message ignored", event.event_type)
        return
    if event.event_type in _TRACKING_ONLY and not tracking_allowed(message):
        return
    tracking_event_record(message=message, event=event, esp_name=esp_name)


@transaction.atomic
def tracking_event_record(*, message: Message, event: AnymailTrackingEvent, esp_name: str) -> bool:
    """Apply one tracking event; False if it was already processed (replay)."""
    # The ESP's words about an erased person's message (a bounce quotes the address) are
    # not kept: only what happened.
    description = "" if message.is_erased else (event.description or event.mta_response or "")
    try:
        with transaction.atomic():
            TrackingEvent.objects.create(
                event_id=_event_id(event, esp_name),
                message=message,
                event_type=event.event_type,
                at=event.timestamp or message.updated_at,
                description=description[:500],
            )
    except IntegrityError:
        return False

    kind = event.event_type
    new_status = _STATUS_FOR_EVENT.get(kind)
    if new_status and STATUS_RANK.get(new_status, 0) > STATUS_RANK.get(message.status, 0):
        Message.objects.filter(pk=message.pk).update(status=new_status)
        message.status = new_status
        _timeline_status_set(message=message, status=new_status)
        if new_status == MessageStatus.FAILED:
            Message.objects.filter(pk=message.pk).update(
                last_error=(description or event.reject_reason or kind)[:2000]
            )
        transaction.on_commit(
            lambda: message_status_changed.send(sender=Message, message=message, status=new_status)
        )
    if kind == EventType.BOUNCED and not _soft_bounce(event):
        suppression_add(
            email=message.to_email, reason=SuppressionReason.HARD_BOUNCE, source=message.ref
        )
    if kind == EventType.COMPLAINED:
        suppression_add(
            email=message.to_email, reason=SuppressionReason.COMPLAINT, source=message.ref
        )
        transaction.on_commit(lambda: recipient_complained.send(sender=Message, message=message))
    if kind == EventType.UNSUBSCRIBED:
        topic = message.topic or None
        transaction.on_commit(
            lambda: recipient_unsubscribed.send(sender=Message, message=message, topic=topic)
        )
    if kind in _TIMELINE and message.candidate is not None:
        from candidates.models import ActivityKind
        from candidates.services import activity_record

        activity_record(
            candidate=message.candidate,
            kind=ActivityKind.EMAIL,
            code=_TIMELINE[kind],
            params={"subject": message.subject},
            ref=message.ref,
            data={"event": kind},
            at=event.timestamp,
        )
    return True
