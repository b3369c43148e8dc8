"""Reads shared by views and the dashboard panel: campaign progress and stats, the nurture
overview, referrals (the insights page has its own module, `campaigns.insights`).

Other apps' tables are read through their models only (mailing messages and tracking events,
consent ledger, feedback rejections, candidates' applications)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import (
    Count,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from candidates.models import Application, Candidate, Outcome
from consent.models import Action, CandidateConsent, ConsentEvent, Purpose
from mailing.kinds import CONTENT_TOPICS, MessageKind
from mailing.models import LEFT_STATUSES, Message, MessageStatus, TrackingEvent

DELIVERED = {MessageStatus.DELIVERED, MessageStatus.OPENED, MessageStatus.CLICKED}
OPENED = {MessageStatus.OPENED, MessageStatus.CLICKED}


@dataclass(frozen=True)
class CampaignStats:
    recipients: int
    sent: int
    delivered: int
    opened: int
    clicked: int
    unsubscribed: int
    complaints: int
    bounced: int
    refused: int
    reapplied: int
    hired: int

    def _keyed_rows(self) -> list[tuple[str, str, int]]:
        return [
            ("queued", pgettext("campaign stats", "Queued"), self.recipients),
            ("sent", pgettext("campaign stats", "Sent"), self.sent),
            ("delivered", pgettext("campaign stats", "Delivered"), self.delivered),
            ("opened", pgettext("campaign stats", "Opened"), self.opened),
            ("clicked", pgettext("campaign stats", "Clicked"), self.clicked),
            ("unsubscribed", pgettext("campaign stats", "Unsubscribed"), self.unsubscribed),
            ("complaints", pgettext("campaign stats", "Complaints"), self.complaints),
            ("bounced", pgettext("campaign stats", "Bounced"), self.bounced),
            ("refused", pgettext("campaign stats", "Not sent (consent, cap)"), self.refused),
            ("reapplied", pgettext("funnel", "Re-applied"), self.reapplied),
            ("hired", pgettext("funnel", "Hired"), self.hired),
        ]

    def rows(self) -> list[tuple[str, int]]:
        """(label in the reader's language, count)."""
        return [(label, n) for _key, label, n in self._keyed_rows()]

    def rated_rows(self) -> list[tuple[str, int, str]]:
        """(label, count, rate) with the rates a recruiter compares campaigns by: delivery
        and bounces of what was sent; opens, clicks and opt-outs of what was delivered."""
        base = self.delivered or self.sent

        def pct(n: int, of: int) -> str:
            return f"{round(100 * n / of)}%" if of else ""

        rates = {
            "delivered": pct(self.delivered, self.sent),
            "opened": pct(self.opened, base),
            "clicked": pct(self.clicked, base),
            "unsubscribed": pct(self.unsubscribed, base),
            "complaints": pct(self.complaints, base),
            "bounced": pct(self.bounced, self.sent),
        }
        return [(label, n, rates.get(key, "")) for key, label, n in self._keyed_rows()]


@dataclass(frozen=True)
class CampaignProgress:
    total: int  # emails the campaign queued
    waiting: int  # still in the outbox (queued or being sent)
    sent: int  # handed to the email provider
    not_sent: int  # failed, refused at send time or withdrawn
    done: bool

    @property
    def percent(self) -> int:
        return round(100 * (self.total - self.waiting) / self.total) if self.total else 100


def campaign_progress(campaign: Campaign) -> CampaignProgress:
    """How far the sending of a campaign is; `done` once nothing is left to happen (the page
    stops polling then)."""
    ids = Delivery.objects.filter(campaign=campaign).exclude(message_id=None).values("message_id")
    by_status = Counter(
        dict(Message.objects.filter(pk__in=ids).values_list("status").annotate(n=Count("id")))
    )
    waiting = by_status[MessageStatus.QUEUED] + by_status[MessageStatus.SENDING]
    sent = sum(n for status, n in by_status.items() if status in LEFT_STATUSES)
    total = sum(by_status.values())
    queued_now = campaign.status == CampaignStatus.SENDING or (
        campaign.status == CampaignStatus.SCHEDULED
        and campaign.scheduled_at is not None
        and campaign.scheduled_at <= timezone.now()
    )
    return CampaignProgress(
        total=total,
        waiting=waiting,
        sent=sent,
        not_sent=total - waiting - sent,
        done=not queued_now and waiting == 0,
    )


def _events(message_ids: QuerySet, *types: str) -> int:
    return (
        TrackingEvent.objects.filter(message_id__in=message_ids, event_type__in=types)
        .values("message_id")
        .distinct()
        .count()
    )


def campaign_stats(campaign: Campaign) -> CampaignStats:
    deliveries = Delivery.objects.filter(campaign=campaign)
    ids = deliveries.exclude(message_id=None).values("message_id")
    messages = Message.objects.filter(pk__in=ids)
    by_status = Counter(dict(messages.values_list("status").annotate(n=Count("id"))))
    candidate_ids = deliveries.values("candidate_id")
    since = campaign.sent_at or campaign.created_at
    unsubscribed = (
        ConsentEvent.objects.filter(
            candidate_id__in=candidate_ids,
            purpose=campaign.item.topic,
            action=Action.WITHDRAWN,
            at__gte=since,
        )
        .values("candidate_id")
        .distinct()
        .count()
    )
    later = Application.objects.filter(candidate_id__in=candidate_ids, applied_at__gte=since)
    return CampaignStats(
        recipients=sum(by_status.values()),
        sent=sum(n for s, n in by_status.items() if s in LEFT_STATUSES),
        delivered=max(
            sum(n for s, n in by_status.items() if s in DELIVERED),
            _events(ids, "delivered"),
        ),
        opened=max(sum(n for s, n in by_status.items() if s in OPENED), _events(ids, "opened")),
        clicked=max(by_status[MessageStatus.CLICKED], _events(ids, "clicked")),
        unsubscribed=max(unsubscribed, _events(ids, "unsubscribed")),
        complaints=max(by_status[MessageStatus.COMPLAINED], _events(ids, "complained")),
        bounced=by_status[MessageStatus.BOUNCED],
        refused=by_status[MessageStatus.SUPPRESSED] + by_status[MessageStatus.FAILED],
        reapplied=later.values("candidate_id").distinct().count(),
        hired=later.filter(outcome=Outcome.HIRED).values("candidate_id").distinct().count(),
    )


# --- Dashboard panel ------------------------------------------------------------------------------


def nurture_overview() -> dict[str, int]:
    """Dashboard panel figures."""
    week_ago = timezone.now() - dt.timedelta(days=7)
    return {
        "contactable": CandidateConsent.objects.active()
        .filter(purpose__in=list(CONTENT_TOPICS))
        .values("candidate_id")
        .distinct()
        .count(),
        "talent_pool": CandidateConsent.objects.active()
        .filter(purpose=Purpose.TALENT_POOL)
        .count(),
        "digests_week": Delivery.objects.filter(sent_at__gte=week_ago, campaign=None).count(),
        "campaigns": Campaign.objects.count(),
        "candidates": Candidate.objects.active().count(),
    }


# --- Referrals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralFunnel:
    links_sent: int  # "share with a friend" links in the job-offer digests that went out
    applications: int  # applications through such a link
    hires: int  # of those, hired
    ambassadors: list[tuple[Candidate, int, int]]  # referrer, applications, hires (top ones)

    def steps(self) -> list[tuple[str, int]]:
        return [
            (_("Share links sent"), self.links_sent),
            (_("Referred applications"), self.applications),
            (_("Referred hires"), self.hires),
        ]


def referral_funnel(limit: int = 10) -> ReferralFunnel:
    """Shares → applications → hires. Every job in a job-offer digest carries a share link,
    so the links sent are the jobs in the digests that left."""
    links = (
        Delivery.objects.filter(
            topic=MessageKind.JOB_OFFERS, campaign__isnull=True, status=DeliveryStatus.QUEUED
        ).aggregate(
            n=Sum(
                Func(F("position_ids"), function="jsonb_array_length", output_field=IntegerField())
            )
        )["n"]
        or 0
    )
    referred = Application.objects.filter(source="referral")
    hired = Q(outcome=Outcome.HIRED)
    top = list(
        referred.exclude(candidate__referred_by=None)
        .values("candidate__referred_by")
        .annotate(n=Count("pk"), hires=Count("pk", filter=hired))
        .order_by("-n", "-hires", "candidate__referred_by")[:limit]
    )
    people = Candidate.objects.active().in_bulk([row["candidate__referred_by"] for row in top])
    return ReferralFunnel(
        links_sent=links,
        applications=referred.count(),
        hires=referred.filter(hired).count(),
        ambassadors=[
            (people[row["candidate__referred_by"]], row["n"], row["hires"])
            for row in top
            if row["candidate__referred_by"] in people
        ],
    )
