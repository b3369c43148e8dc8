"""The recruitment pipeline: positions, applications moving through stages to an outcome, and
the stages themselves (HR admin). Writes, like `candidates.services` for the candidate side."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from candidates.events import (
    application_created,
    application_outcome_changed,
    application_stage_changed,
)
from candidates.models import (
    ActivityKind,
    Application,
    Candidate,
    Outcome,
    Position,
    PositionSkill,
    PositionStatus,
    Stage,
)
from candidates.services import (
    CandidateError,
    activity_record,
    activity_record_many,
    changed_on_commit,
    skills_get_or_create,
    unique_slug,
)
from candidates.timeline import timeline_entry


class ApplicationChanged(CandidateError):
    """The application is no longer where the caller saw it (another recruiter moved or closed
    it meanwhile): nothing was changed."""


# --- Positions and applications -----------------------------------------------------------------

POSITION_FIELDS = (
    "title",
    "profession",
    "department",
    "location",
    "country",
    "remote_policy",
    "seniority",
    "description",
    "status",
)


def _position_apply(position: Position, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(POSITION_FIELDS)
    if unknown:
        raise CandidateError(f"Unknown position fields: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(position, name, value.strip() if isinstance(value, str) else value)
    now = timezone.now()
    if position.status == PositionStatus.OPEN and not position.opened_at:
        position.opened_at = now
    if position.status == PositionStatus.CLOSED and not position.closed_at:
        position.closed_at = now
    if position.status != PositionStatus.CLOSED:
        position.closed_at = None
    try:
        position.full_clean()
    except ValidationError as exc:
        raise CandidateError(
            "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items())
        ) from None
    position.save()


def _position_skills_set(position: Position, names: Iterable[str]) -> None:
    skills = skills_get_or_create(names)
    PositionSkill.objects.filter(content_object=position).exclude(tag__in=skills).delete()
    PositionSkill.objects.bulk_create(
        [PositionSkill(content_object=position, tag=s) for s in skills], ignore_conflicts=True
    )


@transaction.atomic
def position_create(
    *, actor: User | None, required_skills: Iterable[str] = (), **fields: Any
) -> Position:
    position = Position()
    _position_apply(position, fields)
    _position_skills_set(position, required_skills)
    return position


@transaction.atomic
def position_update(
    *,
    position: Position,
    actor: User | None,
    required_skills: Iterable[str] | None = None,
    **fields: Any,
) -> Position:
    _position_apply(position, fields)
    if required_skills is not None:
        _position_skills_set(position, required_skills)
    return position


@transaction.atomic
def position_delete(*, position: Position, actor: User | None) -> None:
    """Only a position nobody applied to can go; otherwise its history matters: close it."""
    if position.applications.exists():
        raise CandidateError(
            _("“%(title)s” has applications; close it instead of deleting it.")
            % {"title": position.title}
        )
    position.delete()


def first_stage() -> Stage:
    stage = Stage.objects.order_by("order").first()
    if stage is None:
        raise CandidateError(_("No pipeline stages are configured; an HR admin must add one."))
    return stage


def _upload_name(upload: UploadedFile) -> str:
    """An upload's file name: always set for an upload (the stubs allow None for any File)."""
    assert upload.name is not None
    return upload.name


@transaction.atomic
def application_create(
    *,
    candidate: Candidate,
    position: Position,
    actor: User | None,
    source: str = "",
    cv: UploadedFile | None = None,
) -> tuple[Application, bool]:
    """Apply `candidate` to `position` at the first stage; an existing application is returned
    as is (applying twice is not an error, and never resets a pipeline)."""
    existing = Application.objects.filter(candidate=candidate, position=position).first()
    if existing is not None:
        if cv is not None and not existing.cv:
            existing.cv.save(_upload_name(cv), cv, save=True)
        return existing, False
    stage = first_stage()
    application = Application(
        candidate=candidate, position=position, stage=stage, furthest_stage=stage, source=source
    )
    if cv is not None:
        application.cv.save(_upload_name(cv), cv, save=False)
    application.save()
    activity_record(
        candidate=candidate,
        kind=ActivityKind.APPLICATION,
        code="application.applied_from" if source else "application.applied",
        params={"position": position.title, **({"source": source} if source else {})},
        actor=actor,
        application=application,
    )
    changed_on_commit([candidate.pk], "application")
    transaction.on_commit(
        lambda: application_created.send(sender=Application, application=application)
    )
    return application, True


@transaction.atomic
def application_stage_move(
    *,
    application: Application,
    stage: Stage,
    actor: User | None,
    expected_stage: Stage | None = None,
) -> Application:
    """Move an active application to `stage`. With `expected_stage` (the stage a board or page
    showed), a move from a stale view is refused with ApplicationChanged instead of silently
    undoing a colleague's move."""
    application = (
        Application.objects.select_for_update()
        .select_related("position", "stage", "furthest_stage", "candidate")
        .get(pk=application.pk)
    )
    name = application.candidate.full_name
    if application.outcome != Outcome.ACTIVE:
        if expected_stage is not None:
            raise ApplicationChanged(
                f"{name}'s application was marked {application.get_outcome_display().lower()} "
                "meanwhile; it is no longer on the board."
            )
        raise CandidateError(_("Only active applications move between stages."))
    if expected_stage is not None and application.stage_id != expected_stage.pk:
        raise ApplicationChanged(
            f"{name} was moved to {application.stage.name} by someone else meanwhile; "
            "nothing was changed. The board now shows where they are."
        )
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
        code="application.stage_moved",
        params={"position": application.position.title, "from": previous.name, "to": stage.name},
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
    *,
    application: Application,
    outcome: str,
    actor: User | None,
    note: str = "",
    entry: tuple[str, dict[str, Any]] | None = None,
) -> Application:
    """Change an application's outcome. Rejections come from `feedback`, which calls this.
    `entry` is the timeline code (and its parameters, besides position and outcome) the
    calling app registered to say more than the outcome (feedback: the branch and reasons)."""
    application = (
        Application.objects.select_for_update().select_related("position").get(pk=application.pk)
    )
    if outcome not in Outcome.values:
        raise CandidateError(f"Unknown outcome {outcome!r}.")
    previous = application.outcome
    if previous == outcome:
        raise CandidateError(
            _("This application is already %(outcome)s.")
            % {"outcome": application.get_outcome_display()}
        )
    if previous != Outcome.ACTIVE and outcome != Outcome.ACTIVE:
        raise CandidateError(
            _("This application is %(outcome)s; reopen it first.")
            % {"outcome": application.get_outcome_display().lower()}
        )
    application.outcome = outcome
    application.outcome_at = timezone.now() if outcome != Outcome.ACTIVE else None
    application.save(update_fields=["outcome", "outcome_at"])
    activity_record(
        candidate=application.candidate,
        kind=ActivityKind.OUTCOME,
        code=entry[0] if entry else "application.outcome",
        params={
            "position": application.position.title,
            "outcome": outcome,
            **(entry[1] if entry else {}),
        },
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


@transaction.atomic
def application_outcomes_set_many(
    *,
    applications: Iterable[Application],
    outcome: str,
    actor: User | None,
    note: str = "",
    note_by_id: dict[int, str] | None = None,
    entry: tuple[str, dict[str, Any]] | None = None,
) -> list[Application]:
    """Close many applications with one outcome (bulk rejection) in a constant number of
    statements: lock them, one UPDATE, one timeline INSERT. The same refusals as
    `application_outcome_set`; nothing is written unless every application can take the outcome.

    Announced as ONE `candidates_changed(reason="outcome")` after commit instead of an
    `application_outcome_changed` per application, so pool rules are re-applied once, set-based,
    for every affected candidate."""
    if outcome not in Outcome.values or outcome == Outcome.ACTIVE:
        raise CandidateError(f"Unknown closing outcome {outcome!r}.")
    ids = sorted({a.pk for a in applications})
    if not ids:
        return []
    locked = list(
        Application.objects.select_for_update(of=("self",))
        .select_related("position", "candidate")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise CandidateError(_("Some of these applications no longer exist."))
    for application in locked:
        if application.outcome != Outcome.ACTIVE:
            raise CandidateError(
                f"{application.candidate.full_name}'s application for "
                f"{application.position.title} is already "
                f"{application.get_outcome_display().lower()}."
            )
    now = timezone.now()
    Application.objects.filter(pk__in=ids).update(outcome=outcome, outcome_at=now)
    notes = note_by_id or {}
    for application in locked:
        application.outcome, application.outcome_at = outcome, now
    activity_record_many(
        activities=[
            timeline_entry(
                code=entry[0] if entry else "application.outcome",
                params={
                    "position": application.position.title,
                    "outcome": outcome,
                    **(entry[1] if entry else {}),
                },
                candidate_id=application.candidate_id,
                kind=ActivityKind.OUTCOME,
                body=notes.get(application.pk, note),
                actor=actor if actor and actor.pk else None,
                application=application,
                at=now,
            )
            for application in locked
        ]
    )
    changed_on_commit([a.candidate_id for a in locked], "outcome")
    return locked


# --- Stages (HR admin) --------------------------------------------------------------------------


def _stage_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise CandidateError(_("A stage needs a name."))
    if len(name) > 60:
        raise CandidateError(_("A stage name has at most 60 characters."))
    return name


@transaction.atomic
def stage_create(*, name: str, actor: User | None) -> Stage:
    name = _stage_name(name)
    if Stage.objects.filter(name__iexact=name).exists():
        raise CandidateError(_("There is already a stage called “%(name)s”.") % {"name": name})
    last = Stage.objects.aggregate(m=Max("order"))["m"] or 0
    return Stage.objects.create(name=name, slug=unique_slug(Stage, name), order=last + 10)


@transaction.atomic
def stage_rename(*, stage: Stage, name: str, actor: User | None) -> Stage:
    """The slug stays: saved filters and smart pools refer to stages by slug."""
    name = _stage_name(name)
    if Stage.objects.filter(name__iexact=name).exclude(pk=stage.pk).exists():
        raise CandidateError(_("There is already a stage called “%(name)s”.") % {"name": name})
    stage.name = name
    stage.save(update_fields=["name"])
    return stage


@transaction.atomic
def stage_move(*, stage: Stage, up: bool, actor: User | None) -> None:
    """Swap with the neighbouring stage ("how far along" follows the new order)."""
    stages = list(Stage.objects.select_for_update().order_by("order"))
    index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(stages):
        return
    a, b = stages[index], stages[other]
    a_order, b_order = a.order, b.order
    # `order` is unique: park one row out of the way while swapping.
    Stage.objects.filter(pk=a.pk).update(order=32000)
    Stage.objects.filter(pk=b.pk).update(order=a_order)
    Stage.objects.filter(pk=a.pk).update(order=b_order)


@transaction.atomic
def stage_delete(*, stage: Stage, actor: User | None) -> None:
    if Application.objects.filter(Q(stage=stage) | Q(furthest_stage=stage)).exists():
        raise CandidateError(
            _(
                "Applications are at (or reached) “%(name)s”; it cannot be deleted. "
                "Rename it instead."
            )
            % {"name": stage.name}
        )
    if Stage.objects.count() == 1:
        raise CandidateError(_("The pipeline needs at least one stage."))
    stage.delete()
