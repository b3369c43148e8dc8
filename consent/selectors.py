"""Reads shared by views, the send gate, tasks and the criteria builder."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from candidates.models import Candidate
from consent.defaults import TOPIC_DEFAULTS
from consent.models import (
    TOPICS,
    Action,
    CandidateConsent,
    ConsentEvent,
    ConsentPolicy,
    ConsentText,
    DataRequest,
    Purpose,
    RequestStatus,
    Source,
    TopicSetting,
)
from mailing.kinds import NURTURE_KINDS
from tenants.i18n import language_chain


def policy_get() -> ConsentPolicy:
    policy = ConsentPolicy.objects.order_by("pk").first()
    return policy or ConsentPolicy.objects.create()


def topic_settings() -> dict[str, TopicSetting]:
    """Every content topic with its allowed range; topics a tenant never configured get the
    survey defaults (not saved)."""
    saved = {s.topic: s for s in TopicSetting.objects.all()}
    result = {}
    for topic in TOPICS:
        if topic in saved:
            result[topic] = saved[topic]
        else:
            lo, hi, default = TOPIC_DEFAULTS[topic]
            result[topic] = TopicSetting(
                topic=topic, min_frequency=lo, max_frequency=hi, default_frequency=default
            )
    return result


def text_current(purpose: str, language: str) -> ConsentText | None:
    """Latest wording for a purpose in a reader's language, else the company's, else English
    (tenants.i18n.language_chain)."""
    return texts_current(language).get(purpose)


def texts_current(language: str) -> dict[str, ConsentText]:
    """Latest wording of every purpose in one query (candidate pages must stay fast), each in
    the reader's language, else the company's, else English."""
    chain = language_chain(language)
    latest: dict[tuple[str, str], ConsentText] = {}
    for text in ConsentText.objects.filter(language__in=chain).order_by("version"):
        latest[(text.purpose, text.language)] = text
    result = {}
    for purpose in Purpose.values:
        found = next((latest[(purpose, c)] for c in chain if (purpose, c) in latest), None)
        if found is not None:
            result[purpose] = found
    return result


def consent_state(candidate: Candidate) -> dict[str, CandidateConsent]:
    return {c.purpose: c for c in CandidateConsent.objects.filter(candidate=candidate)}


def active_purposes(candidate: Candidate, at: datetime | None = None) -> set[str]:
    return set(
        CandidateConsent.objects.active(at)
        .filter(candidate=candidate)
        .values_list("purpose", flat=True)
    )


def consent_history(candidate: Candidate) -> QuerySet[ConsentEvent]:
    return ConsentEvent.objects.filter(candidate=candidate).select_related("text", "actor")


def contactable(queryset: QuerySet[Candidate], topic: str | None = None) -> QuerySet[Candidate]:
    """Candidates who may receive nurture mail now: for `topic`, or for at least one nurture
    topic when none is given. Anonymised and merged-away records never are."""
    purposes = [topic] if topic else sorted(NURTURE_KINDS)
    active = CandidateConsent.objects.active().filter(
        candidate=OuterRef("pk"), purpose__in=purposes
    )
    return queryset.filter(Exists(active), anonymised_at__isnull=True, merged_into__isnull=True)


def affirmative_grants() -> QuerySet[ConsentEvent]:
    """Grants the person gave by an act we can show: a box they ticked on a consent form
    (recorded with the form as a `ConsentCapture`), or their word recorded by a recruiter with
    how they gave it. Grants from forms whose boxes were ticked in advance (before captures
    existed) are not consent and are not counted. Tracking alone is not an opt-in."""
    return ConsentEvent.objects.filter(
        Q(capture__isnull=False) | Q(source=Source.RECRUITER),
        action=Action.GRANTED,
        purpose__in=[Purpose.TALENT_POOL, *TOPICS],
    )


def data_requests_open() -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(
        status__in=[RequestStatus.AWAITING_CONFIRMATION, RequestStatus.CONFIRMED]
    ).select_related("candidate")
