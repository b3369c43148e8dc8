"""The second half of a nurture day: render the planned digests and queue them in the outbox.

`nurture_send_batch` takes a chunk of planned `Delivery` rows (the tasks fan them out in
batches of BATCH_SIZE), re-checks consent and content (a position closed or a consent withdrawn
since planning drops the digest), renders each digest and writes it to the mailing outbox with
the send key `nurture:{topic}:{candidate}:{period}`, so a re-run never doubles an email.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from campaigns.defaults import template_for
from campaigns.digest import JobEntry, items_digest, jobs_digest
from campaigns.job_scoring import explain
from campaigns.models import ContentItem, Delivery, DeliveryStatus, TopicTemplate
from campaigns.planner import PlanResult, nurture_plan, talent_pool_member
from campaigns.referrals import share_url_builder
from candidates.i18n import candidate_language
from candidates.links import reapply_url_builder
from candidates.models import Candidate, Position, PositionStatus
from consent.links import CandidateLinks, links_prepare
from consent.selectors import contactable
from mailing.kinds import MessageKind
from mailing.rendering import render_email
from mailing.services import OutgoingEmail, message_enqueue_many
from tenants.context import current_tenant
from tenants.db import Each, Same, rows_update
from tenants.i18n import localised, tenant_zone

BATCH_SIZE = 500


@dataclass
class SendResult:
    queued: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    by_topic: Counter[str] = field(default_factory=Counter)


def planned_delivery_ids() -> list[int]:
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PLANNED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


_DELIVERY_FIELDS = (
    "topic",
    "period",
    "position_ids",
    "item_ids",
    "reasons",
    "candidate__first_name",
    "candidate__last_name",
    "candidate__email",
    "candidate__preferred_language",
    "candidate__consent_profile__link_key",
)
# The merge tags of a pool invitation (job and item digests bring their own).
_INVITATION_TAGS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "company_name",
    "join_url",
    "decline_url",
)


def _templates() -> dict[str, dict[str, TopicTemplate]]:
    """Topic -> language -> HR's template."""
    found: dict[str, dict[str, TopicTemplate]] = {}
    for t in TopicTemplate.objects.select_related("schedule"):
        found.setdefault(t.schedule.topic, {})[t.language] = t
    return found


@transaction.atomic
def nurture_send_batch(
    *, delivery_ids: Sequence[int], now: dt.datetime | None = None
) -> SendResult:
    """Render and queue the planned digests among `delivery_ids`; those whose consent or
    content went away since planning are dropped (deleted: nothing was sent)."""
    return _send_batch(delivery_ids, now or timezone.now())


def _send_batch(delivery_ids: Sequence[int], now: dt.datetime) -> SendResult:
    result = SendResult()
    deliveries = list(
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=delivery_ids, status=DeliveryStatus.PLANNED)
        .select_related("candidate", "candidate__consent_profile")
        # Only what a digest uses: the rest (notes, JSON lists, timestamps) was a third of
        # loading the batch.
        .only(*_DELIVERY_FIELDS)
        .order_by("pk")
    )
    if not deliveries:
        return result
    tenant = current_tenant()
    tz = tenant_zone()

    allowed: dict[str, set[int]] = {}
    for topic in {d.topic for d in deliveries}:
        ids = [d.candidate_id for d in deliveries if d.topic == topic]
        qs = contactable(Candidate.objects.filter(pk__in=ids), topic=topic)
        if topic == MessageKind.POOL_INVITATION:
            qs = qs.exclude(talent_pool_member())
        allowed[topic] = set(qs.values_list("pk", flat=True))
    open_positions = (
        Position.objects.filter(
            pk__in={p for d in deliveries for p in d.position_ids}, status=PositionStatus.OPEN
        )
        .only("title", "location", "remote_policy")
        .in_bulk()
    )
    live_items = (
        ContentItem.objects.published(now)
        .filter(pk__in={i for d in deliveries for i in d.item_ids})
        .exclude(event_starts_at__lte=now)
        .in_bulk()
    )
    templates = _templates()

    # Link keys of people who have none yet, in one statement before any link is signed.
    links_prepare([d.candidate for d in deliveries if d.candidate_id in allowed[d.topic]])
    # Host, schema and view URLs resolved once for the batch's thousands of signed links.
    links, reapply_url, share_url = CandidateLinks(), reapply_url_builder(), share_url_builder()
    dropped: list[int] = []
    queued: list[Delivery] = []
    emails: list[OutgoingEmail] = []
    # Each digest is composed in its reader's language (activated per delivery below) and the
    # company's time zone; both are restored after the batch.
    with localised(language=translation.get_language() or settings.LANGUAGE_CODE, zone=tz):
        for delivery in deliveries:
            candidate = delivery.candidate
            if candidate.pk not in allowed[delivery.topic]:
                dropped.append(delivery.pk)
                result.dropped["no consent"] += 1
                continue
            template = template_for(
                templates.get(delivery.topic, {}), delivery.topic, candidate_language(candidate)
            )
            if template is None:
                dropped.append(delivery.pk)
                result.dropped["no template"] += 1
                continue
            # Everything of this digest speaks the template's language: fixed words, why a job
            # was chosen, dates, the layout's footer.
            language = template.language
            translation.activate(language)
            base = {
                "first_name": candidate.first_name,
                "last_name": candidate.last_name,
                "company_name": tenant.from_name,
            }
            if delivery.topic == MessageKind.POOL_INVITATION:
                digest_source, tags, context = (
                    template.body,
                    _INVITATION_TAGS,
                    base
                    | {
                        "join_url": links.optin(candidate, source="pool_invitation"),
                        "decline_url": links.unsubscribe(candidate, MessageKind.POOL_INVITATION),
                    },
                )
            elif delivery.topic == MessageKind.JOB_OFFERS:
                positions = [
                    open_positions[p] for p in delivery.position_ids if p in open_positions
                ]
                if not positions:
                    dropped.append(delivery.pk)
                    result.dropped["positions closed"] += 1
                    continue
                digest = jobs_digest(
                    template_body=template.body,
                    jobs=[
                        JobEntry(
                            position=p,
                            reason=explain(delivery.reasons.get(str(p.pk), "")),
                            apply_url=reapply_url(candidate, p),
                            share_url=share_url(candidate, p),
                        )
                        for p in positions
                    ],
                    language=language,
                    base=base,
                )
                delivery.position_ids = [p.pk for p in positions]
                digest_source, tags, context = (
                    digest.body_source,
                    digest.allowed_tags,
                    digest.context,
                )
            else:
                items = [live_items[i] for i in delivery.item_ids if i in live_items]
                if not items:
                    dropped.append(delivery.pk)
                    result.dropped["content withdrawn"] += 1
                    continue
                digest = items_digest(
                    template_body=template.body, items=items, language=language, base=base, tz=tz
                )
                delivery.item_ids = [i.pk for i in items]
                digest_source, tags, context = (
                    digest.body_source,
                    digest.allowed_tags,
                    digest.context,
                )

            unsubscribe = links.unsubscribe(candidate, delivery.topic)
            rendered = render_email(
                subject_source=template.subject,
                body_source=digest_source,
                context=context,
                allowed_tags=tags,
                tenant=tenant,
                unsubscribe_url=unsubscribe,
                preferences_url=links.preferences(candidate),
                language=language,
            )
            emails.append(
                OutgoingEmail(
                    send_key=f"nurture:{delivery.topic}:{candidate.pk}:{delivery.period}",
                    kind=delivery.topic,
                    to_email=candidate.email,
                    subject=rendered.subject,
                    html=rendered.html,
                    text=rendered.text,
                    candidate=candidate,
                    topic=delivery.topic,
                    unsubscribe_url=unsubscribe,
                )
            )
            queued.append(delivery)
    # One INSERT for the batch's digests (a key already in the outbox returns its message).
    for delivery, message in zip(queued, message_enqueue_many(emails=emails), strict=True):
        delivery.message_id = message.pk
        delivery.status = DeliveryStatus.QUEUED
    Delivery.objects.filter(pk__in=dropped).delete()
    _mark_queued(queued)
    result.queued = len(queued)
    result.by_topic.update(d.topic for d in queued)
    return result


def _mark_queued(deliveries: list[Delivery]) -> None:
    """One UPDATE from arrays (Django's bulk_update builds a CASE per row and column, which
    grows quadratically with the batch)."""
    rows_update(
        Delivery._meta.db_table,
        "id",
        {
            "id": Each("bigint", [d.pk for d in deliveries]),
            "status": Same("text", DeliveryStatus.QUEUED),
            "message_id": Each("bigint", [d.message_id for d in deliveries]),
            "position_ids": Each("jsonb", [d.position_ids for d in deliveries]),
            "item_ids": Each("jsonb", [d.item_ids for d in deliveries]),
        },
    )


def nurture_run(
    *, now: dt.datetime | None = None, count_held_back: bool = False
) -> tuple[PlanResult, SendResult]:
    """Plan, then send every planned digest in batches (the tasks do the same in parallel)."""
    plan = nurture_plan(now=now, count_held_back=count_held_back)
    sent = SendResult()
    ids = planned_delivery_ids()
    for start in range(0, len(ids), BATCH_SIZE):
        batch = nurture_send_batch(delivery_ids=ids[start : start + BATCH_SIZE], now=now)
        sent.queued += batch.queued
        sent.dropped.update(batch.dropped)
        sent.by_topic.update(batch.by_topic)
    return plan, sent
