"""Reads shared by views, the PDF report and the dashboard panel: campaign stats and insights.

Other apps' tables are read through their models only (mailing messages and tracking events,
consent ledger, feedback rejections, candidates' applications)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from candidates.models import AgeBracket, Application, Candidate, Outcome
from consent.models import Action, CandidateConsent, ConsentEvent, Purpose
from consent.selectors import affirmative_grants
from feedback.models import Branch, Rejection
from mailing.kinds import CONTENT_TOPICS, MessageKind
from mailing.models import LEFT_STATUSES, Message, MessageStatus, TrackingEvent

# The European survey the product is based on: share of rejected candidates who agree to stay
# in touch with the company.
SURVEY_OVERALL = 67
SURVEY_BY_COUNTRY = {"IT": 75, "FR": 67, "DE": 60}
SURVEY_FR_18_24 = 82

_DELIVERED = {MessageStatus.DELIVERED, MessageStatus.OPENED, MessageStatus.CLICKED}
_OPENED = {MessageStatus.OPENED, MessageStatus.CLICKED}


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
            sum(n for s, n in by_status.items() if s in _DELIVERED),
            _events(ids, "delivered"),
        ),
        opened=max(sum(n for s, n in by_status.items() if s in _OPENED), _events(ids, "opened")),
        clicked=max(by_status[MessageStatus.CLICKED], _events(ids, "clicked")),
        unsubscribed=max(unsubscribed, _events(ids, "unsubscribed")),
        complaints=max(by_status[MessageStatus.COMPLAINED], _events(ids, "complained")),
        bounced=by_status[MessageStatus.BOUNCED],
        refused=by_status[MessageStatus.SUPPRESSED] + by_status[MessageStatus.FAILED],
        reapplied=later.values("candidate_id").distinct().count(),
        hired=later.filter(outcome=Outcome.HIRED).values("candidate_id").distinct().count(),
    )


# --- Insights -----------------------------------------------------------------------------------


@dataclass
class Insights:
    funnel: list[tuple[str, int]]
    by_stage: list[tuple[str, list[int]]]
    by_reason: list[tuple[str, list[int]]]
    by_topic_funnel: list[tuple[str, list[int]]]
    by_topic: list[tuple[str, int, int, int]]  # topic label, sent, opened, clicked
    optin_by_month: list[tuple[str, int, int]]  # month label, rejected, opted in
    optin_by_country: list[tuple[str, int, int, int | None]]  # country, rejected, in, survey
    optin_by_age: list[tuple[str, int, int]]
    optin_fr_young: tuple[int, int]  # French 18-24 year-olds: rejected, opted in
    top_skills: list[tuple[str, int]]
    generated_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def optin_rate(self) -> int:
        rejected = self.funnel[0][1]
        return round(100 * self.funnel[2][1] / rejected) if rejected else 0


# Counts of people at each step ("Hired": how many were hired), hence the context.
FUNNEL_STEPS = [
    pgettext_lazy("funnel", "Rejected"),
    pgettext_lazy("funnel", "Personalised feedback"),
    pgettext_lazy("funnel", "Opted in"),
    pgettext_lazy("funnel", "Engaged"),
    pgettext_lazy("funnel", "Re-applied"),
    pgettext_lazy("funnel", "Hired"),
]


def _rejections() -> QuerySet[Application]:
    """Rejected applications annotated with what happened after them, one row per application.

    Every rejection counts, whether or not it went through feedback (a status set on the
    candidate page, an import): feedback's `Rejection`, when there is one, says whether the
    feedback was personalised and gives the decision's date and stage."""
    after = OuterRef("decided")
    candidate = OuterRef("candidate_id")
    # Honest opt-ins only: a ticked box or a recruiter's record (consent.selectors).
    opted = affirmative_grants().filter(candidate_id=candidate, at__gte=after)
    engaged = Message.objects.filter(
        candidate_id=candidate,
        kind__in=[*CONTENT_TOPICS, MessageKind.POOL_INVITATION],
        status__in=_OPENED,
    )
    reapplied = Application.objects.filter(candidate_id=candidate, applied_at__gt=after)
    return (
        Application.objects.filter(outcome=Outcome.REJECTED)
        .annotate(
            decided=Coalesce("rejection__decided_at", "outcome_at", "applied_at"),
            stage_name=Coalesce("rejection__stage__name", "stage__name"),
            stage_order=Coalesce("rejection__stage__order", "stage__order"),
            personalised=Coalesce(
                Q(rejection__branch=Branch.PERSONALISED), Value(False), output_field=BooleanField()
            ),
        )
        .annotate(
            opted=Exists(opted),
            engaged=Exists(engaged),
            reapplied=Exists(reapplied),
            hired=Exists(reapplied.filter(outcome=Outcome.HIRED)),
        )
    )


@dataclass(frozen=True)
class _Row:
    candidate_id: int
    decided_at: dt.datetime
    stage: str
    month: dt.date
    country: str
    age: str
    personalised: bool
    opted: bool
    engaged: bool
    reapplied: bool
    hired: bool


def _funnel_counts(rows: list[_Row]) -> list[int]:
    return [
        len(rows),
        sum(r.personalised for r in rows),
        sum(r.opted for r in rows),
        sum(r.opted and r.engaged for r in rows),
        sum(r.reapplied for r in rows),
        sum(r.hired for r in rows),
    ]


def _optin(rows: list[_Row]) -> tuple[int, int]:
    return len(rows), sum(r.opted for r in rows)


def _funnel_by_topic(every: list[_Row]) -> list[tuple[str, list[int]]]:
    """Per content topic: of all rejections, those followed by an opt-in to that topic, then
    engagement with that topic's emails, re-application and hire."""
    ids = list({r.candidate_id for r in every})
    grants: dict[tuple[int, str], dt.datetime] = {}
    engaged: set[tuple[int, str]] = set()
    for start in range(0, len(ids), 20000):
        chunk = ids[start : start + 20000]
        for cid, purpose, at in (
            affirmative_grants()
            .filter(candidate_id__in=chunk, purpose__in=list(CONTENT_TOPICS))
            .values_list("candidate_id", "purpose", "at")
        ):
            grants[(cid, purpose)] = max(at, grants.get((cid, purpose), at))
        engaged.update(
            Message.objects.filter(
                candidate_id__in=chunk, kind__in=list(CONTENT_TOPICS), status__in=_OPENED
            ).values_list("candidate_id", "kind")
        )
    result = []
    for topic in CONTENT_TOPICS:
        opted = [
            r
            for r in every
            if grants.get((r.candidate_id, topic), r.decided_at) >= r.decided_at
            and (r.candidate_id, topic) in grants
        ]
        result.append(
            (
                MessageKind(topic).label,
                [
                    len(every),
                    sum(r.personalised for r in every),
                    len(opted),
                    sum((r.candidate_id, topic) in engaged for r in opted),
                    sum(r.reapplied for r in opted),
                    sum(r.hired for r in opted),
                ],
            )
        )
    return result


def insights() -> Insights:
    """One pass over the rejected applications, each annotated in SQL with what followed it."""
    rejections = _rejections().values_list(
        "pk",
        "stage_name",
        "stage_order",
        "decided",
        "candidate__country",
        "candidate__age_bracket",
        "candidate_id",
        "personalised",
        "opted",
        "engaged",
        "reapplied",
        "hired",
    )
    rows: dict[int, _Row] = {}
    stage_order: dict[str, int] = {}
    for pk, stage, order, decided, country, age, cid, *flags in rejections.iterator(
        chunk_size=5000
    ):
        stage_order[stage] = order
        month = decided.date().replace(day=1)
        rows[pk] = _Row(cid, decided, stage, month, country or "", age or "", *flags)
    every = list(rows.values())
    funnel = list(zip(FUNNEL_STEPS, _funnel_counts(every), strict=True))

    by_stage = [
        (stage, _funnel_counts([r for r in every if r.stage == stage]))
        for stage in sorted(stage_order, key=stage_order.__getitem__)
    ]
    reasons: dict[str, list[_Row]] = {}
    through = Rejection.reasons.through
    for application_id, label in through.objects.filter(
        rejection__application_id__in=list(rows)
    ).values_list("rejection__application_id", "rejectionreason__label"):
        reasons.setdefault(label, []).append(rows[application_id])
    by_reason = sorted(
        ((label, _funnel_counts(group)) for label, group in reasons.items()),
        key=lambda r: -r[1][0],
    )

    by_topic_funnel = _funnel_by_topic(every)

    by_topic = []
    for topic in [*CONTENT_TOPICS, MessageKind.POOL_INVITATION]:
        counts = Message.objects.filter(kind=topic).aggregate(
            sent=Count("id", filter=Q(status__in=LEFT_STATUSES)),
            opened=Count("id", filter=Q(status__in=_OPENED)),
            clicked=Count("id", filter=Q(status=MessageStatus.CLICKED)),
        )
        by_topic.append(
            (MessageKind(topic).label, counts["sent"], counts["opened"], counts["clicked"])
        )

    months = sorted({r.month for r in every})[-12:]
    optin_by_month = [
        (date_format(m, "YEAR_MONTH_FORMAT"), *_optin([r for r in every if r.month == m]))
        for m in months
    ]
    countries = Counter(r.country for r in every)
    optin_by_country = [
        (
            country or "—",
            *_optin([r for r in every if r.country == country]),
            SURVEY_BY_COUNTRY.get(country),
        )
        for country, _n in countries.most_common(10)
    ]
    optin_by_age = [
        (label, *_optin([r for r in every if r.age == value]))
        for value, label in AgeBracket.choices
        if any(r.age == value for r in every)
    ]
    return Insights(
        funnel=funnel,
        by_stage=by_stage,
        by_reason=by_reason[:10],
        by_topic_funnel=by_topic_funnel,
        by_topic=by_topic,
        optin_by_month=optin_by_month,
        optin_by_country=optin_by_country,
        optin_by_age=optin_by_age,
        optin_fr_young=_optin([r for r in every if r.country == "FR" and r.age == "18_24"]),
        top_skills=top_matched_skills(),
    )


def top_matched_skills(limit: int = 10) -> list[tuple[str, int]]:
    """Skills that most often made a job offer match, across every digest sent."""
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT skill, count(*) FROM {table},
                    jsonb_array_elements_text(matched_skills) AS skill
                WHERE status = 'queued' GROUP BY skill ORDER BY count(*) DESC, skill LIMIT %s""",  # noqa: S608 (table name from the model)
            [limit],
        )
        return [(skill, count) for skill, count in cursor.fetchall()]


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
