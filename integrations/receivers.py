"""What integrations hears from the apps it is built on: consent and application events become
outbound webhook events (an erasure too, announced without the person: their data here is erased
through the personal-data registry, integrations/privacy.py); inbound mail
(anymail's `inbound` signal) becomes a reply on the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from anymail.signals import inbound
from django.db import transaction
from django.dispatch import receiver

from candidates.events import application_created
from candidates.models import Application, Candidate
from consent.events import candidate_erased, consent_changed
from consent.models import Action, Purpose, Source
from integrations.models import WebhookEventType
from integrations.webhooks.outbox import webhook_event_emit
from tenants.context import in_public_schema

_UNSUBSCRIBE_SOURCES = {Source.UNSUBSCRIBE, Source.COMPLAINT}


def candidate_summary(candidate: Candidate) -> dict[str, Any]:
    return {
        "id": candidate.pk,
        "email": candidate.email,
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
    }


@receiver(consent_changed, dispatch_uid="integrations.webhooks.consent")
def consent_to_webhooks(*, candidate: Candidate, events: list[Any], **_: Any) -> None:
    if in_public_schema():
        return
    changes = [
        {
            "purpose": e.purpose,
            "action": e.action,
            "source": e.source,
            "frequency": e.frequency,
            "at": e.at,
        }
        for e in events
    ]
    # An erasure withdraws everything; `candidate.erased` says it, without the person.
    if any(e.source == Source.ERASURE for e in events):
        return
    person = candidate_summary(candidate)
    with transaction.atomic():
        webhook_event_emit(
            event_type=WebhookEventType.CONSENT_CHANGED,
            data={"candidate": person, "changes": changes},
            candidate_id=candidate.pk,
        )
        opted_in = [
            e for e in events if e.purpose == Purpose.TALENT_POOL and e.action == Action.GRANTED
        ]
        if opted_in:
            webhook_event_emit(
                event_type=WebhookEventType.OPTED_IN,
                data={"candidate": person, "source": opted_in[0].source, "at": opted_in[0].at},
                candidate_id=candidate.pk,
            )
        stopped = [
            e for e in events if e.action == Action.WITHDRAWN and e.source in _UNSUBSCRIBE_SOURCES
        ]
        if stopped:
            webhook_event_emit(
                event_type=WebhookEventType.UNSUBSCRIBED,
                data={
                    "candidate": person,
                    "source": stopped[0].source,
                    "purposes": [e.purpose for e in stopped],
                    "at": stopped[0].at,
                },
                candidate_id=candidate.pk,
            )


@receiver(application_created, dispatch_uid="integrations.webhooks.reapplied")
def reapplied_to_webhooks(*, application: Application, **_: Any) -> None:
    """A person who applied before (or came through a re-apply link) applied again."""
    if in_public_schema():
        return
    earlier = (
        Application.objects.filter(candidate_id=application.candidate_id)
        .exclude(pk=application.pk)
        .filter(applied_at__lte=application.applied_at)
        .exists()
    )
    if not earlier and application.source != "re-apply link":
        return
    candidate = Candidate.objects.get(pk=application.candidate_id)
    position = application.position
    with transaction.atomic():
        webhook_event_emit(
            event_type=WebhookEventType.REAPPLIED,
            data={
                "candidate": candidate_summary(candidate),
                "application": {
                    "id": application.pk,
                    "source": application.source,
                    "applied_at": application.applied_at,
                    "position": {"id": position.pk, "title": position.title},
                },
            },
            candidate_id=candidate.pk,
        )


@receiver(candidate_erased, dispatch_uid="integrations.erasure")
def erased(
    *, candidate_ids: list[int], email_hashes: Sequence[str] = (), reason: str = "", **_: Any
) -> None:
    """Tell subscribers (GDPR art. 19: recipients are told of an erasure), with only our ids
    (merged duplicates included) and the addresses' hashes. This app's own copies of the
    person were erased by the registry walk, in the erasure's transaction
    (integrations/privacy.py)."""
    if in_public_schema():
        return
    webhook_event_emit(
        event_type=WebhookEventType.ERASED,
        data={
            "candidate_ids": list(candidate_ids),
            "email_sha256": list(email_hashes),
            "reason": reason,
        },
    )


@receiver(inbound, dispatch_uid="integrations.replies.inbound")
def inbound_mail(sender: Any, event: Any, esp_name: str, **_: Any) -> None:
    from integrations.replies import reply_receive

    if in_public_schema():
        return
    reply_receive(message=event.message, esp_name=esp_name, event_id=event.event_id or "")
