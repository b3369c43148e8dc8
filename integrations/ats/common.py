"""What every ATS connector shares: the event log with replay protection, the mappings of
their stages, reasons, jobs and applications to ours, the review queue, and the few domain
actions an ATS event can cause (stage move, rejection through the stage policy, withdrawal).

An event is applied in one transaction, all or nothing. If it needs something not mapped yet
(a stage, a reason, a job, an application we cannot identify) nothing is applied: the event
waits in the review queue, the unknown item appears on the mapping page, and once an HR admin
maps it the event is processed again ("Retry").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from candidates.models import Application, Candidate, Outcome, Position, PositionStatus, Stage
from candidates.pipeline import (
    application_create,
    application_outcome_set,
    application_stage_move,
    position_create,
)
from candidates.services import CandidateError, candidate_upsert
from feedback.services import FeedbackError
from feedback.todo import application_reject_external
from integrations.models import (
    AtsConnection,
    AtsEvent,
    AtsEventStatus,
    AtsMapping,
    MappingKind,
    ReasonOutcome,
    UnknownJobPolicy,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unknown:
    kind: str
    external_id: str
    name: str = ""


@dataclass
class NeedsReview(Exception):
    problem: str
    unknown: list[Unknown] = field(default_factory=list)


class Ignored(Exception):
    """Nothing for us to do (an event type or state we do not act on); recorded as such."""


Processor = Callable[[AtsEvent, AtsConnection], str]


# --- Mappings -------------------------------------------------------------------------------------


def mapping_for(provider: str, kind: str, external_id: Any) -> AtsMapping | None:
    """The mapping row of their item (mapped, ignored or still unmapped), or None."""
    if external_id in (None, ""):
        return None
    return (
        AtsMapping.objects.select_related("stage", "reason", "position", "application")
        .filter(provider=provider, kind=kind, external_id=str(external_id))
        .first()
    )


def require(provider: str, kind: str, external_id: Any, name: str, what: str) -> AtsMapping:
    """The mapping of a needed item; NeedsReview when it is unknown or not mapped yet."""
    row = mapping_for(provider, kind, external_id)
    if row is None or not row.is_mapped:
        label = f"“{name}”" if name else str(external_id)
        raise NeedsReview(
            f"Unknown {what} {label}: map it on the mapping page, then retry.",
            [Unknown(kind, str(external_id), name)],
        )
    return row


def mapping_remember(provider: str, unknown: Iterable[Unknown]) -> None:
    """Make unknown items appear on the mapping page (unmapped), keeping known names."""
    for item in unknown:
        row, created = AtsMapping.objects.get_or_create(
            provider=provider,
            kind=item.kind,
            external_id=item.external_id[:200],
            defaults={"external_name": item.name[:300]},
        )
        if not created and item.name and not row.external_name:
            row.external_name = item.name[:300]
            row.save(update_fields=["external_name"])


def link_application(provider: str, external_id: Any, application: Application) -> None:
    if external_id in (None, ""):
        return
    AtsMapping.objects.update_or_create(
        provider=provider,
        kind=MappingKind.APPLICATION,
        external_id=str(external_id)[:200],
        defaults={"application": application, "ignore": False},
    )


# --- Domain actions -------------------------------------------------------------------------------


def person_upsert(*, email: str, first_name: str, last_name: str, source: str) -> Candidate:
    try:
        candidate, _ = candidate_upsert(
            email=email,
            actor=None,
            source=source,
            first_name=(first_name or email.split("@")[0])[:100],
            last_name=(last_name or "")[:100],
        )
    except CandidateError as exc:
        raise NeedsReview(f"The candidate cannot be stored: {exc}") from None
    return candidate


def position_for_job(
    connection: AtsConnection, job_id: Any, job_name: str
) -> tuple[Position, bool]:
    """Our position for their job; an unknown job is held for review or created as a draft,
    as the connection says. Returns (position, created)."""
    row = mapping_for(connection.provider, MappingKind.JOB, job_id)
    if row is not None and row.position_id:
        return row.position, False  # type: ignore[return-value]
    if row is not None and row.ignore:
        raise Ignored(f"job “{job_name or job_id}” is set to be ignored")
    if connection.unknown_job != UnknownJobPolicy.CREATE:
        raise NeedsReview(
            f"Unknown job “{job_name or job_id}”: map it to a position, then retry.",
            [Unknown(MappingKind.JOB, str(job_id), job_name)],
        )
    try:
        position = position_create(
            actor=None, title=(job_name or f"Job {job_id}")[:200], status=PositionStatus.DRAFT
        )
    except CandidateError as exc:
        raise NeedsReview(f"The job cannot be created as a position: {exc}") from None
    AtsMapping.objects.update_or_create(
        provider=connection.provider,
        kind=MappingKind.JOB,
        external_id=str(job_id)[:200],
        defaults={"external_name": job_name[:300], "position": position, "ignore": False},
    )
    return position, True


def application_for(
    candidate: Candidate, position: Position, *, provider: str, external_id: Any
) -> Application:
    application, _ = application_create(
        candidate=candidate, position=position, actor=None, source=provider.title()
    )
    link_application(provider, external_id, application)
    return application


def stage_sync(application: Application, stage: Stage) -> bool:
    """Move an open application to their current stage; True if it moved."""
    application.refresh_from_db(fields=["stage", "outcome"])
    if application.outcome != Outcome.ACTIVE or application.stage_id == stage.pk:
        return False
    try:
        application_stage_move(application=application, stage=stage, actor=None)
    except CandidateError as exc:
        raise NeedsReview(str(exc)) from None
    return True


def decision_apply(
    *, application: Application, mapping: AtsMapping | None, outcome: str, note: str, source: str
) -> str:
    """Close the application as their decision says; returns what happened, in words."""
    application.refresh_from_db(fields=["outcome"])
    if outcome == ReasonOutcome.REJECTED:
        reasons = [mapping.reason] if mapping is not None and mapping.reason is not None else []
        try:
            result = application_reject_external(
                application=application,
                actor=None,
                reasons=reasons,
                source=source,
                note=note,
            )
        except FeedbackError as exc:
            raise NeedsReview(str(exc)) from None
        if result.already:
            return "already rejected"
        if result.rejection is not None:
            return "rejected: automatic email queued"
        return "rejected: feedback to write"
    target = Outcome.WITHDRAWN if outcome == ReasonOutcome.WITHDRAWN else Outcome.HIRED
    if application.outcome == target:
        return f"already {target}"
    try:
        application_outcome_set(application=application, outcome=target, actor=None, note=note)
    except CandidateError as exc:
        raise NeedsReview(str(exc)) from None
    return f"marked {target}"


# --- The event log --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    event: AtsEvent
    duplicate: bool


def ats_event_receive(
    *,
    connection: AtsConnection,
    dedupe_key: str,
    action: str,
    payload: dict[str, Any],
    process: Processor,
) -> Received:
    """Record a verified event once and apply it; a replay (same key) changes nothing."""
    try:
        with transaction.atomic():
            event = AtsEvent.objects.create(
                provider=connection.provider,
                dedupe_key=dedupe_key[:200],
                action=str(action)[:60],
                payload=payload,
                status=AtsEventStatus.REVIEW,
            )
    except IntegrityError:
        existing = AtsEvent.objects.get(dedupe_key=dedupe_key[:200])
        AtsEvent.objects.filter(pk=existing.pk).update(attempts=existing.attempts + 1)
        return Received(existing, True)
    AtsConnection.objects.filter(pk=connection.pk).update(last_event_at=timezone.now())
    ats_event_apply(event=event, connection=connection, process=process)
    return Received(event, False)


def ats_event_apply(*, event: AtsEvent, connection: AtsConnection, process: Processor) -> AtsEvent:
    unknown: list[Unknown] = []
    try:
        with transaction.atomic():
            result = process(event, connection)
        event.status, event.result, event.problem = AtsEventStatus.PROCESSED, result[:300], ""
    except NeedsReview as review:
        event.status, event.problem, unknown = AtsEventStatus.REVIEW, review.problem, review.unknown
        event.candidate, event.application = None, None  # rolled back with the rest
    except Ignored as ignored:
        event.status, event.result, event.problem = AtsEventStatus.IGNORED, str(ignored)[:300], ""
        event.candidate, event.application = None, None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        event.candidate, event.application = None, None
        # A payload shaped unlike their documentation: keep it for a human, never crash.
        log.warning("ATS event %s could not be read: %r", event.pk, exc)
        event.status = AtsEventStatus.REVIEW
        event.problem = f"The payload could not be read ({type(exc).__name__}: {exc})"[:1000]
    except Exception:
        # Never a 500 to the ATS (it would retry into our replay protection): keep the event.
        log.exception("ATS event %s failed", event.pk)
        event.candidate, event.application = None, None
        event.status = AtsEventStatus.FAILED
        event.problem = "Processing failed on our side; retry it from the review queue."
    event.processed_at = timezone.now()
    event.save(
        update_fields=[
            "status",
            "result",
            "problem",
            "processed_at",
            "candidate",
            "application",
        ]
    )
    mapping_remember(event.provider, unknown)
    return event
