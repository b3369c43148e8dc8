"""The nurture planner: who gets which digest now, then the digests themselves.

Two steps, so that what changes in between is honoured:

1. `nurture_plan` (set-based): for every topic whose send window is open where the candidate
   is (their country's time zone when it has a single one, else the tenant's; see `Window`),
   the candidates with an active consent for it whose chosen interval has passed since
   their last email of that topic and who have fresh relevant content; the global cap keeps one
   topic per candidate (by priority, with segment emphasis). Writes `Delivery` rows (planned).
2. `campaigns.sending.nurture_send_batch` (per chunk of deliveries): re-checks consent and
   content, renders each digest and writes it to the mailing outbox.

Re-running either step never doubles an email: `Delivery` is unique per candidate, topic and
period and the outbox per send key.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from campaigns.matching import item_matches, job_matches
from campaigns.models import (
    Delivery,
    DeliveryStatus,
    NurtureSettings,
    TopicSchedule,
    period_key,
)
from candidates.i18n import COUNTRY_ZONES
from candidates.models import Candidate, CandidateTag
from consent.models import FREQUENCY_DAYS, FREQUENCY_ORDER, CandidateConsent, Purpose
from consent.selectors import contactable, topic_settings
from mailing.kinds import NURTURE_KINDS, MessageKind
from mailing.models import Message
from tenants.db import Each, Same, rows_insert, server_binding_cursor
from tenants.i18n import tenant_zone, zone_named

JOBS_PER_DIGEST = 3
ITEMS_PER_DIGEST = 5


@dataclass
class HeldBack:
    """Candidates a topic did not reach in one planning run, counted under the first of these
    rules that stopped them. Those not counted were not due yet (their chosen interval) or
    had no fresh content for them."""

    consent: int = 0  # no active consent for the topic (or anonymised, merged away)
    window: int = 0  # could get it, but the topic's send window is closed at this time
    cap: int = 0  # a nurture email within the cap days, or a topic ranked first got the slot


@dataclass
class PlanResult:
    planned: int = 0
    by_topic: Counter[str] = field(default_factory=Counter)
    open_topics: list[str] = field(default_factory=list)
    # Per enabled topic, only when asked for (`count_held_back`): counting costs queries.
    held_back: dict[str, HeldBack] = field(default_factory=dict)


def in_window(schedule: TopicSchedule, local: dt.datetime) -> bool:
    """Whether `local` (an aware time in the reader's zone) is inside the topic's send window.
    Hours are wall-clock hours, so the window stays 9-17 local across daylight-saving changes."""
    return (
        local.weekday() in (schedule.send_weekdays or [])
        and schedule.send_hour_start <= local.hour < schedule.send_hour_end
    )


@dataclass(frozen=True)
class Window:
    """Where a topic's send window is open at one moment. A candidate's wall clock is their
    country's zone when the country has a single one (candidates.i18n.COUNTRY_ZONES), else the
    tenant's: at 9:00 in Paris the window is open for France and Germany, not yet for the UK."""

    company: bool  # open in the tenant's zone: for candidates without a zone of their own
    countries: frozenset[str]  # countries whose zone has it open
    considered: frozenset[str] = frozenset()  # countries with candidates, open or not

    @classmethod
    def at(
        cls, schedule: TopicSchedule, now: dt.datetime, tz: dt.tzinfo, countries: Iterable[str]
    ) -> Window:
        """The window at `now` for the company's zone and each of `countries` (those with
        candidates: see `countries_with_candidates`)."""
        open_in = frozenset(
            country
            for country in countries
            if (zone := zone_named(COUNTRY_ZONES[country])) is not None
            and in_window(schedule, now.astimezone(zone))
        )
        return cls(
            company=in_window(schedule, now.astimezone(tz)),
            countries=open_in,
            considered=frozenset(countries),
        )

    @property
    def anywhere(self) -> bool:
        return self.company or bool(self.countries)

    def filter(self, candidates: QuerySet[Candidate]) -> QuerySet[Candidate]:
        """The candidates for whom the window is open now."""
        if self.company and self.countries == self.considered:
            return candidates  # open everywhere someone lives: the plain query
        where = Q(country__in=sorted(self.countries))
        if self.company:
            where |= ~Q(country__in=sorted(COUNTRY_ZONES))
        return candidates.filter(where)


def countries_with_candidates() -> list[str]:
    """The single-zone countries some active candidate lives in: one index probe per country
    (the partial index on active candidates' country), not a scan of every candidate. A window
    open only in a zone nobody lives in opens nothing."""
    table = Candidate._meta.db_table
    with server_binding_cursor() as cursor:
        cursor.execute(
            f"""SELECT c FROM unnest(%b::text[]) AS c
                WHERE EXISTS (SELECT 1 FROM {table} WHERE country = c
                              AND anonymised_at IS NULL AND merged_into_id IS NULL)""",  # noqa: S608
            [sorted(COUNTRY_ZONES)],
        )
        return [row[0] for row in cursor.fetchall()]


def _clamp(frequency: str | None, allowed: Sequence[str], default: str) -> str:
    """The candidate's choice, kept inside the range the tenant allows today."""
    if not frequency or frequency not in FREQUENCY_ORDER:
        frequency = default
    if frequency in allowed:
        return frequency
    index = FREQUENCY_ORDER.index(frequency)
    return allowed[0] if index < FREQUENCY_ORDER.index(allowed[0]) else allowed[-1]


def _last_sent(topic: str) -> tuple[Subquery, Subquery]:
    """Last planned delivery and last email that left, of this topic, per candidate: campaign
    mail and anything sent outside the planner counts too (as it does for the send gate)."""
    delivery = (
        Delivery.objects.filter(candidate=OuterRef("pk"), topic=topic)
        .order_by("-sent_at")
        .values("sent_at")[:1]
    )
    message = (
        Message.objects.filter(candidate=OuterRef("pk"), kind=topic, sent_at__isnull=False)
        .order_by("-sent_at")
        .values("sent_at")[:1]
    )
    return Subquery(delivery), Subquery(message)


def _latest(*values: dt.datetime | None) -> dt.datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def talent_pool_member() -> Exists:
    return Exists(
        CandidateConsent.objects.active().filter(
            candidate=OuterRef("pk"), purpose=Purpose.TALENT_POOL
        )
    )


@transaction.atomic
def nurture_plan(*, now: dt.datetime | None = None, count_held_back: bool = False) -> PlanResult:
    """Plan who gets which digest at `now`. With `count_held_back`, also count per topic who
    was held back by send window, consent and cap (operators' `nurture_run` shows them)."""
    now = now or timezone.now()
    tz = tenant_zone()
    local = now.astimezone(tz)
    today = local.date()
    rules = NurtureSettings.load()
    enabled = list(TopicSchedule.objects.filter(enabled=True))
    countries = countries_with_candidates() if enabled else []
    windows = {s.topic: Window.at(s, now, tz, countries) for s in enabled}
    schedules = [s for s in enabled if windows[s.topic].anywhere]
    result = PlanResult(open_topics=[s.topic for s in schedules])
    if count_held_back:
        closed = [s.topic for s in enabled if s not in schedules]
        _count_held_back(result, closed, base=None, ranges=topic_settings(), windows=windows)
    if not schedules:
        return result

    ranges = topic_settings()
    cap_from = now - dt.timedelta(days=rules.cap_days)
    base = (
        Candidate.objects.active()
        .exclude(pk__in=Delivery.objects.filter(sent_at__gt=cap_from).values("candidate_id"))
        .exclude(
            pk__in=Message.objects.filter(kind__in=NURTURE_KINDS, sent_at__gt=cap_from).values(
                "candidate_id"
            )
        )
    )
    if count_held_back:
        _count_held_back(
            result, [s.topic for s in schedules], base=base, ranges=ranges, windows=windows
        )
    lookback = now - dt.timedelta(days=rules.first_lookback_days)
    # candidate id -> topic -> (period, content counts as new after this time)
    due: dict[int, dict[str, tuple[str, dt.datetime]]] = defaultdict(dict)

    for schedule in schedules:
        topic = schedule.topic
        last_delivery, last_message = _last_sent(topic)
        reachable_now = windows[topic].filter(base)
        if topic == MessageKind.POOL_INVITATION:
            interval = rules.invitation_interval_days
            period = f"i{today.toordinal() // interval}"
            invitees = (
                contactable(reachable_now, topic=topic)
                .exclude(talent_pool_member())
                .annotate(ld=last_delivery, lm=last_message)
                .order_by()
                .values_list("pk", "ld", "lm")
            )
            for cid, ld, lm in invitees.iterator(chunk_size=5000):
                last = _latest(ld, lm)
                if last is None or last <= now - dt.timedelta(days=interval):
                    due[cid][topic] = (period, now)
            continue
        setting = ranges.get(topic)
        if setting is None or not setting.enabled:
            continue
        allowed = setting.allowed_frequencies or [setting.default_frequency]
        chosen_frequency = CandidateConsent.objects.filter(
            candidate=OuterRef("pk"), purpose=topic
        ).values("frequency")[:1]
        subscribers = (
            contactable(reachable_now, topic=topic)
            .annotate(ld=last_delivery, lm=last_message, fq=Subquery(chosen_frequency))
            .order_by()  # not the candidates' default (name) order: 100k rows to sort for nothing
            .values_list("pk", "ld", "lm", "fq")
        )
        # Per frequency: this period's key and the latest send that still counts as recent.
        periods = {f: period_key(f, today) for f in FREQUENCY_DAYS}
        recent = {f: now - dt.timedelta(days=days) for f, days in FREQUENCY_DAYS.items()}
        for cid, ld, lm, fq in subscribers.iterator(chunk_size=5000):
            frequency = _clamp(fq, allowed, setting.default_frequency)
            last = _latest(ld, lm)
            period = periods[frequency]
            if last is not None and (
                last > recent[frequency]
                or period_key(frequency, last.astimezone(tz).date()) == period
            ):
                continue
            due[cid][topic] = (period, last or lookback)

    passed_over: Counter[str] | None = Counter() if count_held_back else None
    chosen = _choose_with_content(due, schedules, now, passed_over)
    for topic, count in (passed_over or {}).items():
        result.held_back.setdefault(topic, HeldBack()).cap += count
    rows: list[tuple] = []
    for cid, (topic, found) in chosen.items():
        jobs = found.jobs
        rows.append(
            (
                cid,
                topic,
                due[cid][topic][0],
                [m.position_id for m in jobs],
                {str(m.position_id): m.why for m in jobs},
                sorted({s for m in jobs for s in m.skills}),
                found.items or [],
            )
        )
        result.by_topic[topic] += 1
    _insert_planned(rows, now)
    result.planned = len(rows)
    return result


def _considered(topic: str, ranges: dict) -> bool:
    """Whether the planner looks at this topic at all (consent's topic settings can turn a
    topic off; the pool invitation has none)."""
    setting = ranges.get(topic)
    return topic == MessageKind.POOL_INVITATION or (setting is not None and setting.enabled)


def _reachable(candidates: QuerySet[Candidate], topic: str) -> QuerySet[Candidate]:
    reachable = contactable(candidates, topic=topic)
    if topic == MessageKind.POOL_INVITATION:
        return reachable.exclude(talent_pool_member())
    return reachable


def _count_held_back(
    result: PlanResult,
    topics: list[str],
    *,
    base: QuerySet[Candidate] | None,
    ranges: dict,
    windows: dict[str, Window],
) -> None:
    """Per topic: without consent; then, of those who could get it, held back by the window
    closed where they are (`base` None: these topics' windows are closed everywhere) or by the
    cap (not in `base`)."""
    active = Candidate.objects.active()
    everyone = active.count()
    for topic in topics:
        if not _considered(topic, ranges):
            continue
        held = HeldBack(consent=everyone - contactable(active, topic=topic).count())
        reachable = _reachable(active, topic).count()
        if base is None:
            held.window = reachable
        else:
            in_window_now = _reachable(windows[topic].filter(active), topic).count()
            held.window = reachable - in_window_now
            held.cap = in_window_now - _reachable(windows[topic].filter(base), topic).count()
        result.held_back[topic] = held


def _insert_planned(rows: list[tuple], now: dt.datetime) -> None:
    """Insert planned deliveries from binary arrays, skipping any already planned for the
    period (one statement per 20k rows instead of model instances)."""
    for start in range(0, len(rows), 20000):
        cid, topic, period, pids, why, skills, items = zip(
            *rows[start : start + 20000], strict=True
        )
        rows_insert(
            Delivery._meta.db_table,
            {
                "candidate_id": Each("bigint", cid),
                "topic": Each("text", topic),
                "period": Each("text", period),
                "sent_at": Same("timestamptz", now),
                "status": Same("text", DeliveryStatus.PLANNED),
                "position_ids": Each("jsonb", pids),
                "reasons": Each("jsonb", why),
                "matched_skills": Each("jsonb", skills),
                "item_ids": Each("jsonb", items),
            },
            on_conflict="(candidate_id, topic, period) DO NOTHING",
        )


@dataclass
class _Found:
    jobs: list = field(default_factory=list)
    items: list[int] = field(default_factory=list)


def _content(
    topic: str, targets: list[tuple[int, dt.datetime]], now: dt.datetime
) -> dict[int, _Found]:
    """Fresh relevant content of `topic` per candidate; a candidate without any is absent."""
    if topic == MessageKind.POOL_INVITATION:
        return {cid: _Found() for cid, _since in targets}
    if topic == MessageKind.JOB_OFFERS:
        matches = job_matches(targets=targets, now=now, limit=JOBS_PER_DIGEST)
        return {cid: _Found(jobs=jobs) for cid, jobs in matches.items()}
    items = item_matches(targets=targets, topic=topic, now=now, limit=ITEMS_PER_DIGEST)
    return {cid: _Found(items=ids) for cid, ids in items.items()}


def _choose_with_content(
    due: dict[int, dict[str, tuple[str, dt.datetime]]],
    schedules: Sequence[TopicSchedule],
    now: dt.datetime,
    passed_over: Counter[str] | None = None,
) -> dict[int, tuple[str, _Found]]:
    """One topic per candidate (the global cap): the first of their due topics, in priority
    order, that has fresh relevant content for them. Lowest priority number first, except that
    a topic with a priority tag goes first for the candidates carrying that tag.

    Content is looked up in rounds down each candidate's order: round one asks every candidate
    for their first topic, round two only those who had nothing there for their second, and so
    on. Matching is the costly part of planning, and most candidates are settled in round one.

    `passed_over`, when given, counts per topic the candidates due for it who got a topic
    ranked before it (the cap held it back; a topic ranked after is never asked for content)."""
    by_topic = {s.topic: s for s in schedules}
    tagged = _priority_tagged(due, schedules)

    def rank(cid: int, topic: str) -> tuple[int, int, str]:
        schedule = by_topic[topic]
        boosted = bool(schedule.priority_tag) and (cid, schedule.priority_tag) in tagged
        return (0 if boosted else 1, schedule.priority, topic)

    order = {cid: sorted(topics, key=lambda t: rank(cid, t)) for cid, topics in due.items()}
    chosen: dict[int, tuple[str, _Found]] = {}
    waiting = list(order)
    for round_ in range(max((len(topics) for topics in order.values()), default=0)):
        asked: dict[str, list[tuple[int, dt.datetime]]] = defaultdict(list)
        for cid in waiting:
            if round_ < len(order[cid]):
                topic = order[cid][round_]
                asked[topic].append((cid, due[cid][topic][1]))
        for topic, targets in asked.items():
            for cid, found in _content(topic, targets, now).items():
                chosen[cid] = (topic, found)
        waiting = [cid for cid in waiting if cid not in chosen]
    if passed_over is not None:
        for cid, (topic, _found) in chosen.items():
            passed_over.update(order[cid][order[cid].index(topic) + 1 :])
    return chosen


def _priority_tagged(
    due: dict[int, dict[str, tuple[str, dt.datetime]]], schedules: Sequence[TopicSchedule]
) -> set[tuple[int, str]]:
    """(candidate, tag) for the topics' priority tags, among candidates with a choice to make."""
    priority_tags = sorted({s.priority_tag for s in schedules if s.priority_tag})
    with_choice = [cid for cid, topics in due.items() if len(topics) > 1]
    if not priority_tags or not with_choice:
        return set()
    tag_model = CandidateTag._meta.get_field("tag").related_model
    with server_binding_cursor() as cursor:
        cursor.execute(
            f"""SELECT ct.content_object_id, tag.name
                FROM {CandidateTag._meta.db_table} ct
                JOIN {tag_model._meta.db_table} tag ON tag.id = ct.tag_id
                WHERE tag.name = ANY(%b::text[])
                  AND ct.content_object_id = ANY(%b::bigint[])""",  # noqa: S608 (model tables)
            [priority_tags, with_choice],
        )
        return set(cursor.fetchall())
