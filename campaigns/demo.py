"""Demo content for `make run`: one item per topic, a past event campaign to a pool whose
emails were delivered, opened and clicked, and job-offer emails to opted-in rejected candidates,
some of whom applied again (one was hired). Idempotent: nothing is added once the library has
content; the job-offer emails have fixed send keys."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import Role, User
from campaigns.defaults import topics_install_defaults
from campaigns.models import Campaign, ContentItem, Delivery
from campaigns.services import CampaignError, campaign_create, campaign_schedule, campaign_send_due
from candidates.models import (
    Activity,
    ActivityKind,
    Application,
    Candidate,
    Outcome,
    Position,
    PositionStatus,
    Stage,
)
from candidates.pipeline import application_create, application_outcome_set
from candidates.services import activity_record
from consent.links import unsubscribe_url
from consent.models import CandidateConsent
from mailing.kinds import MessageKind
from mailing.models import Message, MessageStatus, TrackingEvent
from mailing.services import message_enqueue
from pools.models import Pool

# How far each demo email got, by weight: most delivered, many opened, some clicked.
_OUTCOMES = [
    (MessageStatus.SENT, 1, []),
    (MessageStatus.DELIVERED, 6, ["delivered"]),
    (MessageStatus.OPENED, 6, ["delivered", "opened"]),
    (MessageStatus.CLICKED, 4, ["delivered", "opened", "clicked"]),
    (MessageStatus.BOUNCED, 1, ["bounced"]),
]


def demo_seed(*, rng: random.Random) -> None:
    topics_install_defaults()
    _job_offers(rng=rng)
    if ContentItem.objects.exists():
        return
    now = timezone.now()
    open_day = ContentItem.objects.create(
        topic="events",
        title="Open day at our Lyon office",
        summary="Meet the teams, see how we work and talk to the people who hire.",
        publish_at=now - timedelta(days=rng.randint(3, 10)),
        event_starts_at=now + timedelta(days=21, hours=2),
        event_place="Lyon, 12 rue de la République",
        registration_url="https://example.com/open-day",
        audience="Students and young graduates",
    )
    ContentItem.objects.create(
        topic="events",
        title="Online meetup: data careers",
        summary="Forty minutes with our data team, questions welcome.",
        publish_at=now - timedelta(days=2),
        event_starts_at=now + timedelta(days=9, hours=1),
        event_online_url="https://example.com/meetup",
        target_profession="Data analyst",
    )
    ContentItem.objects.create(
        topic="testimonials",
        title="“I applied twice, and the second time was the right one”",
        summary="Sara was a finalist in 2024; a year later she joined as a product designer.",
        employee_name="Sara B.",
        employee_role="Product designer",
        target_sector="Design",
        publish_at=now - timedelta(days=12),
    )
    ContentItem.objects.create(
        topic="company_news",
        title="We are opening a new office in Milan",
        summary="Thirty positions over the next year, across engineering and sales.",
        link_url="https://example.com/news/milan",
        publish_at=now - timedelta(days=5),
    )
    ContentItem.objects.create(
        topic="job_market",
        title="Training budgets: what you are entitled to in 2026",
        summary="A short guide to personal training accounts and how to use them.",
        link_url="https://example.com/guide/training",
        publish_at=now - timedelta(days=15),
    )
    hr_admin = User.objects.filter(role=Role.HR_ADMIN, is_active=True).order_by("pk").first()
    pool = Pool.objects.order_by("pk").first()
    if hr_admin is None or pool is None:
        return
    campaign = campaign_create(
        name="Open day invitation",
        subject="{{ first_name }}, come and meet us at our open day",
        item=open_day,
        pool=pool,
        actor=hr_admin,
    )
    try:
        campaign_schedule(campaign=campaign, at=None, actor=hr_admin)
    except CampaignError:
        return  # nobody in the pool is contactable for events: the draft stays
    campaign_send_due(campaign_id=campaign.pk)
    _campaign_delivered(campaign=campaign, rng=rng, sent_at=now - timedelta(days=6))


def _left(
    *, message: Message, rng: random.Random, sent_at: datetime, status: str | None = None
) -> str:
    """Demo history: the email left at `sent_at` and got this far (tracking events included);
    the "Email sent" timeline entry carries the status its badge shows."""
    if status is None:
        outcomes = [o for o, _w, _e in _OUTCOMES]
        status = rng.choices(outcomes, weights=[w for _o, w, _e in _OUTCOMES])[0]
    events = next(e for o, _w, e in _OUTCOMES if o == status)
    Message.objects.filter(pk=message.pk).update(
        status=status, sent_at=sent_at, attempts=1, esp_message_id=f"demo-{message.pk}"
    )
    for offset, event in enumerate(events, start=1):
        TrackingEvent.objects.get_or_create(
            event_id=f"demo:{message.pk}:{event}",
            defaults={
                "message": message,
                "event_type": event,
                "at": sent_at + timedelta(minutes=7 * offset),
            },
        )
    if message.candidate is not None:
        activity_record(
            candidate=message.candidate,
            kind=ActivityKind.EMAIL,
            code="email.sent",
            params={"subject": message.subject},
            ref=message.ref,
            data={"status": status, "kind": message.kind},
            at=sent_at,
        )
    return status


def _campaign_delivered(*, campaign: Campaign, rng: random.Random, sent_at: datetime) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(sent_at=sent_at)
    ids = Delivery.objects.filter(campaign=campaign).exclude(message_id=None)
    Delivery.objects.filter(campaign=campaign).update(sent_at=sent_at)
    queued = Message.objects.filter(
        pk__in=ids.values("message_id"), status=MessageStatus.QUEUED
    ).select_related("candidate")
    for message in queued.order_by("pk"):
        _left(message=message, rng=rng, sent_at=sent_at + timedelta(minutes=rng.randint(0, 30)))


def _job_offers(*, rng: random.Random) -> None:
    """Job-offer emails to rejected candidates who opted in to them; those who clicked applied
    again (from the email), and one of them was hired."""
    now = timezone.now()
    opted = (
        Candidate.objects.filter(
            pk__in=CandidateConsent.objects.filter(
                purpose=MessageKind.JOB_OFFERS, granted=True
            ).values("candidate_id"),
            applications__outcome=Outcome.REJECTED,
        )
        .distinct()
        .order_by("pk")
    )
    positions = list(Position.objects.filter(status=PositionStatus.OPEN).order_by("pk"))
    hired = Application.objects.filter(source="job offer email", outcome=Outcome.HIRED).exists()
    # Fixed outcomes: the demo must show re-applications from these emails, whatever the seed.
    outcomes = [MessageStatus.CLICKED, MessageStatus.OPENED, MessageStatus.CLICKED]
    outcomes += [MessageStatus.DELIVERED, MessageStatus.CLICKED, MessageStatus.OPENED]
    for index, candidate in enumerate(list(opted)[:8]):
        send_key = f"demo:job_offers:{candidate.pk}"
        if Message.objects.filter(send_key=send_key).exists():
            continue
        offers = [
            p
            for p in positions
            if p.profession == candidate.profession
            and not Application.objects.filter(candidate=candidate, position=p).exists()
        ]
        if not offers:
            continue
        position = offers[0]
        message = message_enqueue(
            send_key=send_key,
            kind=MessageKind.JOB_OFFERS,
            topic=MessageKind.JOB_OFFERS,
            to_email=candidate.email,
            subject=f"{candidate.first_name}, a new opening: {position.title}",
            html=f"<p>We are hiring: {position.title}.</p>",
            text=f"We are hiring: {position.title}.",
            candidate=candidate,
            unsubscribe_url=unsubscribe_url(candidate, MessageKind.JOB_OFFERS),
        )
        sent_at = now - timedelta(days=rng.randint(12, 30))
        status = _left(
            message=message, rng=rng, sent_at=sent_at, status=outcomes[index % len(outcomes)]
        )
        if status != MessageStatus.CLICKED:
            continue
        application, created = application_create(
            candidate=candidate, position=position, actor=None, source="job offer email"
        )
        if not created:
            continue
        applied_at = sent_at + timedelta(days=rng.randint(1, 3))
        Application.objects.filter(pk=application.pk).update(applied_at=applied_at)
        Activity.objects.filter(application=application).update(at=applied_at)
        if not hired:
            # Demo history: hired after the whole pipeline, nine days later.
            application_outcome_set(application=application, outcome=Outcome.HIRED, actor=None)
            last = Stage.objects.order_by("-order").first()
            hired_at = applied_at + timedelta(days=9)
            Application.objects.filter(pk=application.pk).update(
                outcome_at=hired_at, stage=last, furthest_stage=last
            )
            Activity.objects.filter(application=application, kind=ActivityKind.OUTCOME).update(
                at=hired_at
            )
            hired = True
