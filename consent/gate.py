"""The send gate mailing asks at send time (registered in ConsentConfig.ready()).

Suppression, bounces and complaints are mailing's own checks. This gate answers the consent
side: a nurture email leaves only if, right now, the candidate has an active consent for its
topic, the topic's chosen frequency allows another email, and the weekly cap is not reached.
The campaigns planner plans by the same rules; this is the last word.

`consent_send_gate_many` is what mailing calls: one claim of up to 500 messages in three
queries (consents, the policy, the candidates' recent nurture mail). `consent_send_gate` is the
plain one-message reading of the rules, a handful of queries per message; it stays as the
reference the batch gate is tested against (tests/consent/test_gate_batch.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, Max, Q
from django.utils import timezone

from consent.models import FREQUENCY_DAYS, CandidateConsent, Frequency, Purpose
from consent.selectors import policy_get
from mailing.gate import GateDecision
from mailing.kinds import NURTURE_KINDS
from mailing.models import LEFT_STATUSES, Message, MessageStatus

_TRANSACTIONAL = GateDecision(True, "transactional")
_ALLOWED = GateDecision(True, "consent")
_NO_CANDIDATE = GateDecision(False, "Nurture email without a candidate: no consent to check.")
_GONE = GateDecision(False, "The candidate record is anonymised or merged.")
CAP_DAYS = 7


def _no_consent(kind: str) -> GateDecision:
    return GateDecision(False, f"No active consent for {Purpose(kind).label.lower()}.")


def _too_frequent(frequency: str) -> GateDecision:
    return GateDecision(
        False, f"Frequency: the candidate chose {Frequency(frequency).label.lower()}."
    )


def _capped(cap: int) -> GateDecision:
    return GateDecision(False, f"Weekly cap of {cap} nurture emails reached.")


def _precheck(message: Message) -> GateDecision | None:
    """The answer when no query is needed, else None."""
    if message.kind not in NURTURE_KINDS:
        return _TRANSACTIONAL
    candidate = message.candidate
    if candidate is None:
        return _NO_CANDIDATE
    if candidate.anonymised_at is not None or candidate.merged_into_id is not None:
        return _GONE
    return None


def _candidate_id(message: Message) -> int:
    """The candidate of a nurture message `_precheck` let through (it answers those without)."""
    assert message.candidate_id is not None
    return message.candidate_id


def consent_send_gate(message: Message, *, now: datetime | None = None) -> GateDecision:
    """One message on its own (the reference reading of the rules)."""
    decided = _precheck(message)
    if decided is not None:
        return decided
    now = now or timezone.now()
    candidate_id = _candidate_id(message)
    consent = (
        CandidateConsent.objects.active(now)
        .filter(candidate_id=candidate_id, purpose=message.kind)
        .first()
    )
    if consent is None:
        return _no_consent(message.kind)

    others = Message.objects.filter(candidate_id=candidate_id, kind__in=NURTURE_KINDS).exclude(
        pk=message.pk
    )
    left = others.filter(status__in=LEFT_STATUSES)
    # Claimed in the same batch (or by another worker) and not yet answered by the ESP: the
    # dispatcher works in id order, so only earlier messages count, never both of a pair.
    in_flight = others.filter(status=MessageStatus.SENDING, pk__lt=message.pk)
    if consent.frequency:
        gap = timedelta(days=FREQUENCY_DAYS[consent.frequency])
        if (
            left.filter(kind=message.kind, sent_at__gt=now - gap).exists()
            or in_flight.filter(kind=message.kind).exists()
        ):
            return _too_frequent(consent.frequency)
    cap = policy_get().weekly_cap
    recent = left.filter(sent_at__gt=now - timedelta(days=CAP_DAYS)).count() + in_flight.count()
    if recent >= cap:
        return _capped(cap)
    return _ALLOWED


class _History:
    """One candidate's nurture mail that counts: per kind, the last send and how many left in
    the cap window, and the ids of messages in flight (held in `sending` by anyone)."""

    def __init__(self) -> None:
        self.last_sent: dict[str, datetime] = {}
        self.recent = 0
        self.in_flight: list[tuple[int, str]] = []  # (id, kind)


def _histories(
    candidate_ids: set[int], exclude: set[int], horizon: datetime, week_ago: datetime
) -> dict[int, _History]:
    rows = (
        Message.objects.filter(candidate_id__in=candidate_ids, kind__in=NURTURE_KINDS)
        .filter(Q(status=MessageStatus.SENDING) | Q(status__in=LEFT_STATUSES, sent_at__gt=horizon))
        .values("candidate_id", "kind")
        .annotate(
            last_sent=Max("sent_at", filter=Q(status__in=LEFT_STATUSES)),
            recent=Count("id", filter=Q(status__in=LEFT_STATUSES, sent_at__gt=week_ago)),
            sending=ArrayAgg("id", filter=Q(status=MessageStatus.SENDING), default=[]),
        )
        .order_by()
    )
    histories: dict[int, _History] = defaultdict(_History)
    for row in rows:
        history = histories[row["candidate_id"]]
        if row["last_sent"] is not None:
            history.last_sent[row["kind"]] = row["last_sent"]
        history.recent += row["recent"]
        history.in_flight += [(pk, row["kind"]) for pk in row["sending"] if pk not in exclude]
    return histories


def consent_send_gate_many(
    messages: Sequence[Message], *, now: datetime | None = None
) -> list[GateDecision]:
    """The registered gate (mailing.gate's contract): the same answers as `consent_send_gate`
    asked about each message in id order, each refusal leaving `sending` before the next."""
    decisions: dict[int, GateDecision] = {}
    pending = []
    for message in messages:
        decided = _precheck(message)
        if decided is None:
            pending.append(message)
        else:
            decisions[message.pk] = decided
    if pending:
        now = now or timezone.now()
        decisions |= _decide(sorted(pending, key=lambda m: m.pk), now)
    return [decisions[m.pk] for m in messages]


def _decide(messages: list[Message], now: datetime) -> dict[int, GateDecision]:
    candidate_ids = {_candidate_id(m) for m in messages}
    consents = dict(
        ((candidate_id, purpose), frequency)
        for candidate_id, purpose, frequency in CandidateConsent.objects.active(now)
        .filter(candidate_id__in=candidate_ids, purpose__in={m.kind for m in messages})
        .values_list("candidate_id", "purpose", "frequency")
    )
    consented = [m for m in messages if (_candidate_id(m), m.kind) in consents]
    decisions = {
        m.pk: _no_consent(m.kind) for m in messages if (m.candidate_id, m.kind) not in consents
    }
    if not consented:
        return decisions
    cap = policy_get().weekly_cap
    longest = max(
        [CAP_DAYS] + [FREQUENCY_DAYS[f] for f in consents.values() if f], default=CAP_DAYS
    )
    week_ago = now - timedelta(days=CAP_DAYS)
    histories = _histories(
        {_candidate_id(m) for m in consented},
        {m.pk for m in messages},
        now - timedelta(days=longest),
        week_ago,
    )
    for message in consented:
        history = histories[_candidate_id(message)]
        frequency = consents[(_candidate_id(message), message.kind)]
        earlier = [kind for pk, kind in history.in_flight if pk < message.pk]
        if frequency:
            last = history.last_sent.get(message.kind)
            gap = timedelta(days=FREQUENCY_DAYS[frequency])
            if (last is not None and last > now - gap) or message.kind in earlier:
                decisions[message.pk] = _too_frequent(frequency)
                continue
        if history.recent + len(earlier) >= cap:
            decisions[message.pk] = _capped(cap)
            continue
        decisions[message.pk] = _ALLOWED
        # Allowed and still `sending`: in flight for every later message of this person.
        history.in_flight.append((message.pk, message.kind))
    return decisions


def tracking_check_many(messages: Sequence[Message]) -> set[int]:
    """The messages whose recipient consents to tracking now (one query for a whole claim)."""
    candidate_ids = {m.candidate_id for m in messages if m.candidate_id is not None}
    if not candidate_ids:
        return set()
    agreed = set(
        CandidateConsent.objects.active()
        .filter(candidate_id__in=candidate_ids, purpose=Purpose.TRACKING)
        .values_list("candidate_id", flat=True)
    )
    return {m.pk for m in messages if m.candidate_id in agreed}


def tracking_check(message: Message) -> bool:
    """Opens and clicks are recorded only with consent to tracking."""
    if message.candidate_id is None:
        return False
    return (
        CandidateConsent.objects.active()
        .filter(candidate_id=message.candidate_id, purpose=Purpose.TRACKING)
        .exists()
    )
