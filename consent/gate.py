"""The send gate mailing asks at send time (registered in ConsentConfig.ready()).

Suppression, bounces and complaints are mailing's own checks. This gate answers the consent
side: a nurture email leaves only if, right now, the candidate has an active consent for its
topic, the topic's chosen frequency allows another email, and the weekly cap is not reached.
The campaigns planner plans by the same rules; this is the last word.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from consent.models import FREQUENCY_DAYS, CandidateConsent, Purpose
from consent.selectors import policy_get
from mailing.gate import GateDecision
from mailing.kinds import NURTURE_KINDS
from mailing.models import LEFT_STATUSES, Message, MessageStatus


def consent_send_gate(message: Message) -> GateDecision:
    if message.kind not in NURTURE_KINDS:
        return GateDecision(True, "transactional")
    candidate = message.candidate
    if candidate is None:
        return GateDecision(False, "Nurture email without a candidate: no consent to check.")
    if candidate.anonymised_at is not None or candidate.merged_into_id is not None:
        return GateDecision(False, "The candidate record is anonymised or merged.")
    now = timezone.now()
    consent = (
        CandidateConsent.objects.active(now)
        .filter(candidate_id=candidate.pk, purpose=message.kind)
        .first()
    )
    if consent is None:
        return GateDecision(False, f"No active consent for {Purpose(message.kind).label.lower()}.")

    others = Message.objects.filter(candidate_id=candidate.pk, kind__in=NURTURE_KINDS).exclude(
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
            return GateDecision(
                False, f"Frequency: the candidate chose {consent.get_frequency_display().lower()}."
            )
    cap = policy_get().weekly_cap
    recent = left.filter(sent_at__gt=now - timedelta(days=7)).count() + in_flight.count()
    if recent >= cap:
        return GateDecision(False, f"Weekly cap of {cap} nurture emails reached.")
    return GateDecision(True, "consent")


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
