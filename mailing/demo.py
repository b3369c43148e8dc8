"""Demo data: a few recruiter notes already sent, delivered and opened, so "Sent mail" and the
candidate timelines show the whole life of a message. Idempotent (fixed send keys)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from candidates.models import ActivityKind, Candidate
from candidates.services import activity_record
from mailing.kinds import MessageKind
from mailing.models import Message, MessageStatus, TrackingEvent
from mailing.services import email_template_render, message_enqueue

_LIFECYCLE = [
    (MessageStatus.SENT, []),
    (MessageStatus.DELIVERED, ["delivered"]),
    (MessageStatus.OPENED, ["delivered", "opened"]),
]


@transaction.atomic
def demo_seed(*, rng: random.Random) -> None:
    people = list(Candidate.objects.active().order_by("id")[:6])
    now = timezone.now()
    for index, candidate in enumerate(people):
        send_key = f"demo:recruiter_note:{candidate.pk}"
        if Message.objects.filter(send_key=send_key).exists():
            continue
        rendered = email_template_render(
            key="recruiter_note",
            context={
                "first_name": candidate.first_name,
                "last_name": candidate.last_name,
                "recruiter_name": "The recruiting team",
            },
            language=candidate.preferred_language or None,
        )
        message = message_enqueue(
            send_key=send_key,
            kind=MessageKind.TRANSACTIONAL,
            to_email=candidate.email,
            subject=rendered.subject,
            html=rendered.html,
            text=rendered.text,
            candidate=candidate,
        )
        status, events = _LIFECYCLE[index % len(_LIFECYCLE)]
        sent_at = now - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        Message.objects.filter(pk=message.pk).update(
            status=status,
            sent_at=sent_at,
            attempts=1,
            esp_message_id=f"demo-{message.pk}",
        )
        activity_record(
            candidate=candidate,
            kind=ActivityKind.EMAIL,
            code="email.sent",
            params={"subject": message.subject},
            ref=message.ref,
            data={"status": status, "kind": message.kind},
            at=sent_at,
        )
        for offset, event in enumerate(events, start=1):
            TrackingEvent.objects.create(
                event_id=f"demo:{message.pk}:{event}",
                message=message,
                event_type=event,
                at=sent_at + timedelta(minutes=5 * offset),
            )
