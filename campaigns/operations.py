"""Nurture operations for HR admins: who would get which digest at a given time and why, who
is held back and why, and "run now" (the beat task, enqueued for this tenant).

The preview runs the real planner (`planner.nurture_plan`, the code the beat task runs) inside
a transaction that is rolled back: the planned deliveries are read, then discarded, so what the
page shows is exactly what a run at that time would plan, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_log_record
from campaigns.models import (
    PLANNED_TOPIC_CHOICES,
    ContentItem,
    Delivery,
    DeliveryStatus,
    NurtureSettings,
    TopicSchedule,
)
from campaigns.planner import HeldBack, in_window, nurture_plan, tenant_zone
from candidates.models import Candidate, Position

SAMPLE_SIZE = 25
TOPIC_LABELS = dict(PLANNED_TOPIC_CHOICES)


@dataclass
class TopicRow:
    topic: str
    label: str
    open: bool
    next_open: dt.datetime | None
    planned: int
    held: HeldBack


@dataclass
class PlannedDigest:
    candidate: Candidate
    topic_label: str
    positions: list[tuple[str, str]]  # (title, why it matched)
    matched_skills: list[str]
    items: list[str]


@dataclass
class CappedPerson:
    candidate: Candidate
    last_sent: dt.datetime


@dataclass
class NurturePreview:
    at: dt.datetime
    cap_days: int
    topics: list[TopicRow] = field(default_factory=list)
    planned: int = 0
    sample: list[PlannedDigest] = field(default_factory=list)
    capped: list[CappedPerson] = field(default_factory=list)


def next_opening(schedule: TopicSchedule, after: dt.datetime) -> dt.datetime | None:
    """The first full hour from `after` (in the tenant's zone) when the topic's send window is
    open, within a week; None if it never opens (no weekday, or an empty range)."""
    local = after.astimezone(tenant_zone())
    hour = local.replace(minute=0, second=0, microsecond=0)
    for step in range(0, 24 * 8):
        candidate = hour + dt.timedelta(hours=step)
        if candidate >= local and in_window(schedule, candidate):
            return candidate
    return None


def next_window(schedules: list[TopicSchedule], now: dt.datetime) -> dt.datetime:
    """Now if a topic's window is open, else when the first one opens (the next run that
    sends anything)."""
    local = now.astimezone(tenant_zone())
    if any(in_window(s, local) for s in schedules):
        return now
    openings = [o for o in (next_opening(s, now) for s in schedules) if o is not None]
    return min(openings) if openings else now


def _sample(limit: int) -> list[PlannedDigest]:
    rows = list(
        Delivery.objects.filter(status=DeliveryStatus.PLANNED, campaign__isnull=True)
        .select_related("candidate")
        .order_by("candidate__last_name", "candidate__first_name", "pk")[:limit]
    )
    position_ids = {int(p) for d in rows for p in d.position_ids}
    item_ids = {int(i) for d in rows for i in d.item_ids}
    titles = dict(Position.objects.filter(pk__in=position_ids).values_list("pk", "title"))
    items = dict(ContentItem.objects.filter(pk__in=item_ids).values_list("pk", "title"))
    return [
        PlannedDigest(
            candidate=d.candidate,
            topic_label=str(TOPIC_LABELS.get(d.topic, d.topic)),
            positions=[
                (titles.get(int(p), "?"), str((d.reasons or {}).get(str(p), "")))
                for p in d.position_ids
            ],
            matched_skills=list(d.matched_skills or []),
            items=[items.get(int(i), "?") for i in d.item_ids],
        )
        for d in rows
    ]


def _capped(at: dt.datetime, cap_days: int, limit: int) -> list[CappedPerson]:
    """People kept back by the cap: a nurture email in the last `cap_days`, most recent first."""
    since = at - dt.timedelta(days=cap_days)
    rows = (
        Delivery.objects.filter(sent_at__gt=since, sent_at__lte=at)
        .exclude(status=DeliveryStatus.PLANNED)
        .values("candidate_id")
        .annotate(last=Max("sent_at"))
        .order_by("-last")[:limit]
    )
    people = Candidate.objects.active().in_bulk([r["candidate_id"] for r in rows])
    return [
        CappedPerson(people[r["candidate_id"]], r["last"])
        for r in rows
        if r["candidate_id"] in people
    ]


def nurture_preview(*, at: dt.datetime | None = None) -> NurturePreview:
    """What a nurture run at `at` (default now) would do. Writes nothing."""
    schedules = list(TopicSchedule.objects.filter(enabled=True).order_by("-priority", "topic"))
    if at is None:
        at = next_window(schedules, timezone.now())
    rules = NurtureSettings.load()
    preview = NurturePreview(at=at, cap_days=rules.cap_days)
    with transaction.atomic():
        plan = nurture_plan(now=at, count_held_back=True)
        preview.sample = _sample(SAMPLE_SIZE)
        transaction.set_rollback(True)
    preview.planned = plan.planned
    local = at.astimezone(tenant_zone())
    for schedule in schedules:
        is_open = in_window(schedule, local)
        preview.topics.append(
            TopicRow(
                topic=schedule.topic,
                label=str(TOPIC_LABELS.get(schedule.topic, schedule.topic)),
                open=is_open,
                next_open=None if is_open else next_opening(schedule, at),
                planned=plan.by_topic.get(schedule.topic, 0),
                held=plan.held_back.get(schedule.topic, HeldBack()),
            )
        )
    preview.capped = _capped(at, rules.cap_days, 10)
    return preview


@transaction.atomic
def nurture_run_enqueue(*, actor: User, request: Any = None) -> None:
    """Run this tenant's nurture now, on the worker (what the beat does every 15 minutes)."""
    from campaigns.tasks import nurture_tenant_task

    audit_log_record(actor=actor, action="campaigns.nurture_run_now", request=request)
    transaction.on_commit(nurture_tenant_task.delay)
