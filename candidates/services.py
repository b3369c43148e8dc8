from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from candidates.events import application_outcome_changed, application_stage_changed
from candidates.models import Activity, ActivityKind, Application, Candidate, Outcome, Stage


class CandidateError(Exception):
    """A candidate action was refused; the message is shown to the user."""


def activity_record(
    *,
    candidate: Candidate,
    kind: str,
    summary: str,
    actor: User | None = None,
    body: str = "",
    application: Application | None = None,
    ref: str = "",
    data: dict[str, Any] | None = None,
    at: Any = None,
) -> Activity:
    """Add an entry to the candidate's timeline (the one feed every app writes to)."""
    activity = Activity.objects.create(
        candidate=candidate,
        kind=kind,
        summary=summary[:300],
        actor=actor if actor and actor.pk else None,
        body=body,
        application=application,
        ref=ref,
        data=data or {},
        at=at or timezone.now(),
    )
    Candidate.objects.filter(pk=candidate.pk).update(last_activity_at=activity.at)
    return activity


@transaction.atomic
def application_stage_move(
    *, application: Application, stage: Stage, actor: User | None
) -> Application:
    if application.outcome != Outcome.ACTIVE:
        raise CandidateError("Only active applications move between stages.")
    previous = application.stage
    if previous.pk == stage.pk:
        return application
    application.stage = stage
    if stage.order > application.furthest_stage.order:
        application.furthest_stage = stage
    application.save(update_fields=["stage", "furthest_stage"])
    activity_record(
        candidate=application.candidate,
        kind=ActivityKind.STAGE,
        summary=f"{application.position.title}: {previous.name} → {stage.name}",
        actor=actor,
        application=application,
    )
    transaction.on_commit(
        lambda: application_stage_changed.send(
            sender=Application, application=application, previous_stage=previous
        )
    )
    return application


@transaction.atomic
def application_outcome_set(
    *, application: Application, outcome: str, actor: User | None, note: str = ""
) -> Application:
    """Change an application's outcome. Rejections come from `feedback`, which calls this."""
    application = (
        Application.objects.select_for_update().select_related("position").get(pk=application.pk)
    )
    if outcome not in Outcome.values:
        raise CandidateError(f"Unknown outcome {outcome!r}.")
    previous = application.outcome
    if previous == outcome:
        raise CandidateError(f"This application is already {application.get_outcome_display()}.")
    if previous != Outcome.ACTIVE and outcome != Outcome.ACTIVE:
        raise CandidateError(
            f"This application is {application.get_outcome_display().lower()}; reopen it first."
        )
    application.outcome = outcome
    application.outcome_at = timezone.now() if outcome != Outcome.ACTIVE else None
    application.save(update_fields=["outcome", "outcome_at"])
    activity_record(
        candidate=application.candidate,
        kind=ActivityKind.OUTCOME,
        summary=f"{application.position.title}: {application.get_outcome_display()}",
        body=note,
        actor=actor,
        application=application,
    )
    transaction.on_commit(
        lambda: application_outcome_changed.send(
            sender=Application, application=application, previous_outcome=previous
        )
    )
    return application
