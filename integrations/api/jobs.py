"""/api/v1 positions, stages, rejection reasons and applications: create, move stage, reject
through the stage policy."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import Field

from accounts.models import User
from candidates.models import Application, Candidate, Position, Stage
from candidates.pipeline import (
    application_create,
    application_stage_move,
    position_create,
    position_update,
)
from candidates.services import CandidateError
from feedback.models import RejectionReason
from feedback.services import FeedbackError
from feedback.todo import application_reject_external
from integrations.api.common import (
    COMMON_ERRORS,
    READ,
    REJECT,
    UPDATE_ERRORS,
    WRITE,
    actor_label,
    etag_of,
    get_or_404,
    id_page,
    if_match_check,
)
from integrations.api.problems import ApiProblem
from integrations.api.schemas import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationPage,
    PositionCreate,
    PositionOut,
    PositionPage,
    PositionPatch,
    ReasonOut,
    RejectRequest,
    RejectResult,
    StageMove,
    StageOut,
)
from integrations.ats.common import link_application

router = Router()
Cursor = Annotated[str | None, Field(max_length=500)]
Limit = Annotated[int, Field(ge=1, le=200)]
Id = Annotated[int, Field(ge=1, le=2**62)]

_POSITION_FIELDS = (
    "id",
    "title",
    "profession",
    "department",
    "location",
    "country",
    "remote_policy",
    "seniority",
    "description",
    "status",
    "created_at",
    "opened_at",
    "closed_at",
)


def position_data(position: Position) -> dict[str, Any]:
    data = {name: getattr(position, name) for name in _POSITION_FIELDS}
    data["required_skills"] = sorted(s.name for s in position.required_skills.all())
    return data


def _position(pk: int) -> Position:
    return get_or_404(  # type: ignore[return-value]
        # django-stubs cannot see that taggit's TaggableManager supports prefetching.
        Position.objects.prefetch_related("required_skills"),  # type: ignore[misc]
        "position",
        pk=pk,
    )


def application_data(application: Application) -> dict[str, Any]:
    return {
        "id": application.pk,
        "candidate_id": application.candidate_id,
        "position_id": application.position_id,
        "stage": application.stage.slug,
        "furthest_stage": application.furthest_stage.slug,
        "outcome": application.outcome,
        "source": application.source,
        "applied_at": application.applied_at,
        "outcome_at": application.outcome_at,
    }


def _applications() -> Any:
    return Application.objects.select_related("stage", "furthest_stage").filter(
        candidate__anonymised_at__isnull=True
    )


def _application(pk: int) -> Application:
    return get_or_404(_applications(), "application", pk=pk)  # type: ignore[return-value]


def _position_fields(payload: Any) -> tuple[dict[str, Any], list[str] | None]:
    fields = payload.model_dump(exclude_unset=True)
    skills = fields.pop("required_skills", None)
    for name, value in list(fields.items()):
        if value is None:
            fields[name] = ""
    return fields, skills


# --- Positions ------------------------------------------------------------------------------------


@router.get(
    "/positions",
    response={200: PositionPage, **COMMON_ERRORS},
    auth=READ,
    operation_id="positions_list",
    tags=["positions"],
)
def positions_list(
    request: HttpRequest,
    status: Literal["draft", "open", "closed"] | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Any:
    # django-stubs cannot see that taggit's (untyped) TaggableManager supports prefetching.
    queryset = Position.objects.prefetch_related("required_skills")  # type: ignore[misc]
    if status:
        queryset = queryset.filter(status=status)
    rows, next_cursor = id_page(queryset, cursor, limit)
    return {"items": [position_data(p) for p in rows], "next_cursor": next_cursor}


@router.post(
    "/positions",
    response={201: PositionOut, **COMMON_ERRORS},
    auth=WRITE,
    operation_id="positions_create",
    tags=["positions"],
)
def positions_create(request: HttpRequest, response: HttpResponse, payload: PositionCreate) -> Any:
    fields, skills = _position_fields(payload)
    fields.setdefault("remote_policy", "onsite")
    try:
        position = position_create(actor=None, required_skills=skills or (), **fields)
    except CandidateError as exc:
        raise ApiProblem(422, str(exc), kind="refused") from None
    data = position_data(_position(position.pk))
    response["ETag"] = etag_of(data)
    response["Location"] = f"/api/v1/positions/{position.pk}"
    return Status(201, data)


@router.get(
    "/positions/{position_id}",
    response={200: PositionOut, **COMMON_ERRORS},
    auth=READ,
    operation_id="positions_get",
    tags=["positions"],
)
def positions_get(request: HttpRequest, response: HttpResponse, position_id: int) -> Any:
    data = position_data(_position(position_id))
    response["ETag"] = etag_of(data)
    return data


@router.patch(
    "/positions/{position_id}",
    response={200: PositionOut, **UPDATE_ERRORS},
    auth=WRITE,
    operation_id="positions_update",
    tags=["positions"],
)
def positions_update(
    request: HttpRequest, response: HttpResponse, position_id: int, payload: PositionPatch
) -> Any:
    position = _position(position_id)
    if_match_check(request, etag_of(position_data(position)))
    fields, skills = _position_fields(payload)
    try:
        position_update(position=position, actor=None, required_skills=skills, **fields)
    except CandidateError as exc:
        raise ApiProblem(422, str(exc), kind="refused") from None
    data = position_data(_position(position_id))
    response["ETag"] = etag_of(data)
    return data


# --- Reference lists ------------------------------------------------------------------------------


@router.get(
    "/stages",
    response={200: list[StageOut], **COMMON_ERRORS},
    auth=READ,
    operation_id="stages_list",
    tags=["applications"],
)
def stages_list(request: HttpRequest) -> Any:
    return [{"slug": s.slug, "name": s.name, "order": s.order} for s in Stage.objects.all()]


@router.get(
    "/rejection-reasons",
    response={200: list[ReasonOut], **COMMON_ERRORS},
    auth=READ,
    operation_id="rejection_reasons_list",
    tags=["applications"],
)
def rejection_reasons_list(request: HttpRequest) -> Any:
    return [
        {"key": r.key, "label": r.label, "category": r.category, "active": r.is_active}
        for r in RejectionReason.objects.all()
    ]


# --- Applications ---------------------------------------------------------------------------------


@router.get(
    "/applications",
    response={200: ApplicationPage, **COMMON_ERRORS},
    auth=READ,
    operation_id="applications_list",
    tags=["applications"],
)
def applications_list(
    request: HttpRequest,
    candidate_id: Id | None = None,
    position_id: Id | None = None,
    outcome: Literal["active", "rejected", "withdrawn", "hired"] | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Any:
    queryset = _applications()
    if candidate_id:
        queryset = queryset.filter(candidate_id=candidate_id)
    if position_id:
        queryset = queryset.filter(position_id=position_id)
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    rows, next_cursor = id_page(queryset, cursor, limit)
    return {"items": [application_data(a) for a in rows], "next_cursor": next_cursor}


@router.post(
    "/applications",
    response={200: ApplicationOut, 201: ApplicationOut, **COMMON_ERRORS},
    auth=WRITE,
    operation_id="applications_create",
    tags=["applications"],
)
def applications_create(
    request: HttpRequest, response: HttpResponse, payload: ApplicationCreate
) -> Any:
    """The candidate by `candidate_id` or `candidate_email` (one of them). 201 when the
    application is new, 200 when the person had already applied (nothing is reset). `ats`
    links it to the same application in Greenhouse or Lever, so their webhooks find it."""
    if (payload.candidate_id is None) == (payload.candidate_email is None):
        raise ApiProblem(
            422,
            "Give exactly one of candidate_id or candidate_email.",
            errors=[{"location": "body", "pointer": "/candidate_id", "detail": "one of two"}],
        )
    people = Candidate.objects.active()
    if payload.candidate_id is not None:
        candidate = get_or_404(people, "candidate", pk=payload.candidate_id)
    else:
        candidate = get_or_404(people, "candidate", email__iexact=payload.candidate_email)
    position = get_or_404(Position.objects.all(), "position", pk=payload.position_id)
    try:
        application, created = application_create(
            candidate=candidate,  # type: ignore[arg-type]
            position=position,  # type: ignore[arg-type]
            actor=None,
            source=payload.source or actor_label(request)[:60],
        )
    except CandidateError as exc:
        raise ApiProblem(422, str(exc), kind="refused") from None
    if payload.ats is not None:
        link_application(payload.ats.provider, payload.ats.id, application)
    response["Location"] = f"/api/v1/applications/{application.pk}"
    return Status(201 if created else 200, application_data(_application(application.pk)))


@router.get(
    "/applications/{application_id}",
    response={200: ApplicationOut, **COMMON_ERRORS},
    auth=READ,
    operation_id="applications_get",
    tags=["applications"],
)
def applications_get(request: HttpRequest, application_id: int) -> Any:
    return application_data(_application(application_id))


@router.post(
    "/applications/{application_id}/stage",
    response={200: ApplicationOut, **COMMON_ERRORS},
    auth=WRITE,
    operation_id="applications_move_stage",
    tags=["applications"],
)
def applications_move_stage(request: HttpRequest, application_id: int, payload: StageMove) -> Any:
    """`stage` is a stage slug (GET /stages)."""
    application = _application(application_id)
    stage = Stage.objects.filter(slug=payload.stage).first()
    if stage is None:
        raise ApiProblem(
            422,
            f"Unknown stage “{payload.stage}”.",
            errors=[{"location": "body", "pointer": "/stage", "detail": "unknown stage slug"}],
        )
    try:
        application_stage_move(application=application, stage=stage, actor=None)
    except CandidateError as exc:
        raise ApiProblem(409, str(exc), kind="refused") from None
    return application_data(_application(application_id))


@router.post(
    "/applications/{application_id}/reject",
    response={200: RejectResult, **COMMON_ERRORS},
    auth=REJECT,
    operation_id="applications_reject",
    tags=["applications"],
    summary="Reject through the stage policy",
)
def applications_reject(request: HttpRequest, application_id: int, payload: RejectRequest) -> Any:
    """Below the feedback policy's stage the automatic rejection email is queued
    (`email_queued`); from that stage on nothing is sent and a "feedback to write" task waits
    for a recruiter (`feedback_to_write`). `reasons` are rejection reason keys
    (GET /rejection-reasons). Calling it again changes nothing (`already: true`)."""
    application = _application(application_id)
    found = {r.key: r for r in RejectionReason.objects.filter(key__in=payload.reasons)}
    unknown = [key for key in payload.reasons if key not in found]
    if unknown:
        raise ApiProblem(
            422,
            f"Unknown rejection reason {', '.join(unknown)}.",
            errors=[
                {"location": "body", "pointer": f"/reasons/{i}", "detail": "unknown reason key"}
                for i, key in enumerate(payload.reasons)
                if key in unknown
            ],
        )
    recruiter = None
    if payload.recruiter_email:
        recruiter = User.objects.filter(
            email__iexact=payload.recruiter_email, is_active=True
        ).first()
        if recruiter is None:
            raise ApiProblem(
                422,
                "No active user has this email.",
                errors=[{"location": "body", "pointer": "/recruiter_email", "detail": "unknown"}],
            )
    try:
        outcome = application_reject_external(
            application=application,
            actor=None,
            reasons=[found[key] for key in payload.reasons],
            source=actor_label(request),
            note=payload.note,
            assigned_to=recruiter,
        )
    except FeedbackError as exc:
        raise ApiProblem(409, str(exc), kind="refused") from None
    return {
        "result": "email_queued" if outcome.rejection else "feedback_to_write",
        "already": outcome.already,
        "rejection_id": outcome.rejection.pk if outcome.rejection else None,
        "message_id": outcome.rejection.message_id if outcome.rejection else None,
        "feedback_task_id": outcome.task.pk if outcome.task else None,
        "application": application_data(_application(application_id)),
    }
