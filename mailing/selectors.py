from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext_lazy as _

from mailing.models import Message


def messages_filtered(*, status: str = "", q: str = "") -> QuerySet[Message]:
    queryset = Message.objects.select_related("candidate").defer("html", "text")
    if status:
        queryset = queryset.filter(status=status)
    if q:
        queryset = queryset.filter(Q(to_email__icontains=q) | Q(subject__icontains=q))
    return queryset


def status_counts() -> dict[str, int]:
    from django.db.models import Count

    return dict(Message.objects.values_list("status").annotate(n=Count("id")).order_by())


def messages_by_message_id(message_ids: list[str]) -> QuerySet[Message]:
    """Our messages whose Message-ID header is one of `message_ids` (as written, with the angle
    brackets): the message a reply answers (In-Reply-To, References). Uses the index."""
    return Message.objects.annotate(mid=KeyTextTransform("Message-ID", "headers")).filter(
        mid__in=message_ids
    )


def message_by_message_id_prefix(prefix: str) -> Message | None:
    """The message whose Message-ID starts with `prefix` (e.g. "<digest.schema@": a reply token
    knows the digest, not the sender domain the tenant had when it was sent)."""
    if not prefix:
        return None
    return (
        Message.objects.annotate(mid=KeyTextTransform("Message-ID", "headers"))
        .filter(mid__startswith=prefix)
        .order_by("pk")
        .first()
    )


@dataclass(frozen=True)
class TimelineStep:
    at: datetime
    label: str
    detail: str = ""
    tone: str = ""  # "ok", "bad", "wait" or "" (a badge colour)


_EVENT_LABELS = {
    "queued": (_("Accepted by the email provider"), ""),
    "sent": (_("Sent by the email provider"), ""),
    "deferred": (_("Delivery delayed; the provider retries"), "wait"),
    "delivered": (_("Delivered"), "ok"),
    "opened": (_("Opened"), "ok"),
    "clicked": (_("Link clicked"), "ok"),
    "bounced": (_("Bounced"), "bad"),
    "complained": (_("Marked as spam"), "bad"),
    "unsubscribed": (_("Unsubscribed"), "bad"),
    "rejected": (_("Rejected by the provider"), "bad"),
    "failed": (_("Could not be sent"), "bad"),
}


def message_timeline(message: Message) -> list[TimelineStep]:
    """What happened to one email, oldest first: queued, scheduled, sent, then the ESP's
    tracking events, and a cancellation or failure."""
    steps = [TimelineStep(message.queued_at, str(_("Queued")))]
    send_after = message.send_after
    if send_after and send_after > message.queued_at and message.status == "queued":
        steps.append(TimelineStep(send_after, str(_("Scheduled")), tone="wait"))
    if message.sent_at:
        steps.append(TimelineStep(message.sent_at, str(_("Handed to the email provider"))))
    for event in message.events.all():
        label, tone = _EVENT_LABELS.get(event.event_type, (event.event_type.capitalize(), ""))
        steps.append(TimelineStep(event.at, str(label), event.description, tone))
    if message.status in ("cancelled", "failed", "suppressed"):
        label = {
            "cancelled": _("Cancelled before it left"),
            "failed": _("Could not be sent"),
            "suppressed": _("Not sent: the address is on the suppression list or refused mail"),
        }[message.status]
        steps.append(TimelineStep(message.updated_at, str(label), message.last_error, "bad"))
    # Queued is the first step whatever its time says (imported or backdated rows).
    return [steps[0], *sorted(steps[1:], key=lambda s: s.at)]
