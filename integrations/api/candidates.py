"""/api/v1/candidates: list (the UI's criteria, cursor pagination), upsert by email (one or a
batch of up to 1,000), read, update (If-Match), tags, consent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal, cast

from django import forms
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field

from candidates.bulk import CandidateRowError, candidates_upsert_many
from candidates.criteria import CriteriaError, CriteriaForm, apply_criteria, registered_criteria
from candidates.fields import CANDIDATE_FIELDS, LIST_FIELDS
from candidates.models import Candidate
from candidates.services import (
    CandidateError,
    candidate_tags_add,
    candidate_tags_remove,
    candidate_update,
    candidate_upsert,
)
from consent.models import CandidateConsent, ConsentProfile, Purpose, Source
from consent.services import ConsentError, consent_change
from integrations.api.common import (
    COMMON_ERRORS,
    READ,
    UPDATE_ERRORS,
    WRITE,
    actor_label,
    cursor_decode,
    cursor_encode,
    etag_of,
    get_or_404,
    if_match_check,
    query_text_check,
)
from integrations.api.problems import ApiProblem
from integrations.api.schemas import (
    BatchResult,
    CandidateBatch,
    CandidateOut,
    CandidatePage,
    CandidatePatch,
    CandidateUpsert,
    ConsentOut,
    ConsentWithdraw,
    TagNames,
)

router = Router(tags=["candidates"])

_FIELDS = ("id", "email", *CANDIDATE_FIELDS, "created_at", "updated_at", "last_activity_at")


_LIST_FIELDS = {*LIST_FIELDS, "skills"}


def candidate_data(candidate: Candidate) -> dict[str, Any]:
    data = {name: getattr(candidate, name) for name in _FIELDS}
    data["skills"] = sorted(s.name for s in candidate.skills.all())
    data["tags"] = sorted(t.name for t in candidate.tags.all())
    return data


def _live() -> Any:
    # django-stubs cannot see that taggit's (untyped) TaggableManager supports prefetching.
    return Candidate.objects.active().prefetch_related("skills", "tags")  # type: ignore[misc]


def _candidate(pk: int) -> Candidate:
    return get_or_404(_live(), "candidate", pk=pk)  # type: ignore[return-value]


def _refused(exc: CandidateError) -> ApiProblem:
    return ApiProblem(422, str(exc), kind="refused")


def _fields(payload: Any, *, exclude: set[str]) -> dict[str, Any]:
    return {k: v for k, v in payload.model_dump(exclude_unset=True).items() if k not in exclude}


# --- List ---------------------------------------------------------------------------------------

LIST_PARAMS = {"cursor", "limit", "sort"}


def _choice_values(field: forms.ChoiceField) -> list[str]:
    # django-stubs types `choices` as what the setter accepts; the getter returns the
    # normalised (value, label) pairs.
    choices = cast("Iterable[tuple[object, object]]", field.choices)
    return [str(value) for value, _label in choices if value != ""]


def criteria_parameters() -> list[dict[str, Any]]:
    """The registered criteria as OpenAPI query parameters (the same names as the UI's URL)."""
    parameters = []
    for criterion in registered_criteria():
        field = criterion.field()
        schema: dict[str, Any] = {"type": "string"}
        if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            item: dict[str, Any] = {"type": "string"}
            if isinstance(field, forms.MultipleChoiceField) and not isinstance(
                field, forms.ModelMultipleChoiceField
            ):
                item["enum"] = _choice_values(field)
            schema = {"type": "array", "items": item}
        elif isinstance(field, forms.DateField):
            schema = {"type": "string", "format": "date"}
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            schema["enum"] = _choice_values(field)
        elif isinstance(field, forms.CharField) and field.max_length:
            schema["maxLength"] = field.max_length
        parameters.append(
            {
                "name": criterion.key,
                "in": "query",
                "required": False,
                "description": f"{criterion.label} (as in the candidate list's filters)",
                "schema": schema,
                **({"style": "form", "explode": True} if schema["type"] == "array" else {}),
            }
        )
    return parameters


@router.get(
    "/candidates",
    response={200: CandidatePage, **COMMON_ERRORS},
    auth=READ,
    operation_id="candidates_list",
    summary="List candidates with the candidate list's criteria",
)
def candidates_list(
    request: HttpRequest,
    cursor: Annotated[str | None, Field(max_length=500)] = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
    sort: Literal["id", "-activity"] = "id",
) -> Any:
    """Filters are the candidate list's criteria, by the same names (`q`, `country`,
    `skills_any`, `tags_all`, `stage_reached`, `contactable`…; repeat a parameter or separate
    names with commas). `sort=id` (default) is stable for a full sync; `-activity` = most
    recently active first. Pass `next_cursor` back as `cursor` for the next page."""
    query_text_check(request, LIST_PARAMS | {c.key for c in registered_criteria()})
    form = CriteriaForm(request.GET)
    if not form.is_valid():
        raise ApiProblem(
            422,
            "Some filters are not valid.",
            errors=[
                {"location": "query", "pointer": key, "detail": " ".join(str(m) for m in messages)}
                for key, messages in form.errors.items()
            ],
        )
    try:
        queryset = apply_criteria(_live(), form.active())
    except CriteriaError as exc:
        raise ApiProblem(422, str(exc)) from None
    if sort == "id":
        if cursor:
            (after,) = cursor_decode(cursor, [int])
            queryset = queryset.filter(pk__gt=after)
        rows = list(queryset.order_by("pk")[: limit + 1])
        key = lambda c: [c.pk]  # noqa: E731
    else:
        if cursor:
            at, after = cursor_decode(cursor, [str, int])
            queryset = queryset.filter(
                Q(last_activity_at__lt=at) | Q(last_activity_at=at, pk__lt=after)
            )
        rows = list(queryset.order_by("-last_activity_at", "-pk")[: limit + 1])
        key = lambda c: [c.last_activity_at.isoformat(), c.pk]  # noqa: E731
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [candidate_data(c) for c in rows],
        "next_cursor": cursor_encode(key(rows[-1])) if more else None,
    }


# --- Upsert ---------------------------------------------------------------------------------------


@router.post(
    "/candidates",
    response={200: CandidateOut, 201: CandidateOut, **COMMON_ERRORS},
    auth=WRITE,
    operation_id="candidates_upsert",
    summary="Create a candidate, or complete the one with this email",
)
def candidates_upsert(
    request: HttpRequest, response: HttpResponse, payload: CandidateUpsert
) -> Any:
    """201 when the person is new, 200 when they existed (blank fields filled in, nothing
    overwritten; skills and tags added)."""
    fields = _fields(payload, exclude={"email", "tags"})
    try:
        candidate, created = candidate_upsert(
            email=payload.email,
            actor=None,
            source=fields.pop("source", None) or actor_label(request),
            **fields,
        )
        if payload.tags:
            candidate_tags_add(candidates=[candidate], names=payload.tags, actor=None)
    except CandidateError as exc:
        raise _refused(exc) from None
    data = candidate_data(_candidate(candidate.pk))
    response["ETag"] = etag_of(data)
    response["Location"] = f"/api/v1/candidates/{candidate.pk}"
    return Status(201 if created else 200, data)


@router.post(
    "/candidates/batch",
    response={200: BatchResult, **COMMON_ERRORS},
    auth=WRITE,
    operation_id="candidates_batch_upsert",
    summary="Create or complete up to 1,000 candidates at once",
)
def candidates_batch_upsert(request: HttpRequest, payload: CandidateBatch) -> Any:
    """All or nothing: an invalid row refuses the whole batch (422, with the row's index in
    the error pointer) and nothing is written."""
    rows = [c.model_dump(exclude_unset=True) for c in payload.candidates]
    for row in rows:
        row.setdefault("source", actor_label(request))
    try:
        result = candidates_upsert_many(rows=rows, actor=None, source=actor_label(request))
    except CandidateRowError as exc:
        raise ApiProblem(
            422,
            f"Row {exc.index} is not valid: {exc.message} Nothing was written.",
            errors=[
                {
                    "location": "body",
                    "pointer": f"/candidates/{exc.index}" + (f"/{exc.field}" if exc.field else ""),
                    "detail": exc.message,
                }
            ],
        ) from None
    except CandidateError as exc:
        raise _refused(exc) from None
    seen: set[int] = set()
    results = []
    for index, pk in enumerate(result.ids):
        first = pk not in seen
        seen.add(pk)
        results.append(
            {
                "index": index,
                "id": pk,
                "created": first and pk in result.created,
                "updated": first and pk in result.updated,
            }
        )
    unique = len(seen)
    return {
        "created": len(result.created),
        "updated": len(result.updated),
        "unchanged": unique - len(result.created) - len(result.updated),
        "results": results,
    }


# --- One candidate ------------------------------------------------------------------------------


@router.get(
    "/candidates/{candidate_id}",
    response={200: CandidateOut, **COMMON_ERRORS},
    auth=READ,
    operation_id="candidates_get",
)
def candidates_get(request: HttpRequest, response: HttpResponse, candidate_id: int) -> Any:
    data = candidate_data(_candidate(candidate_id))
    response["ETag"] = etag_of(data)
    return data


@router.patch(
    "/candidates/{candidate_id}",
    response={200: CandidateOut, **UPDATE_ERRORS},
    auth=WRITE,
    operation_id="candidates_update",
    summary="Change a candidate's profile (If-Match required)",
)
def candidates_update(
    request: HttpRequest, response: HttpResponse, candidate_id: int, payload: CandidatePatch
) -> Any:
    candidate = _candidate(candidate_id)
    if_match_check(request, etag_of(candidate_data(candidate)))
    fields = _fields(payload, exclude=set())
    # null clears a field, like an empty value (null for the email changes nothing).
    for name, value in list(fields.items()):
        if value is None:
            if name == "email":
                del fields[name]
            elif name in _LIST_FIELDS:
                fields[name] = []
            elif name != "years_experience":
                fields[name] = ""
    try:
        candidate_update(candidate=candidate, actor=None, **fields)
    except CandidateError as exc:
        raise _refused(exc) from None
    data = candidate_data(_candidate(candidate_id))
    response["ETag"] = etag_of(data)
    return data


@router.post(
    "/candidates/{candidate_id}/tags",
    response={200: CandidateOut, **COMMON_ERRORS},
    auth=WRITE,
    operation_id="candidates_tags_add",
)
def candidates_tags_add(
    request: HttpRequest, response: HttpResponse, candidate_id: int, payload: TagNames
) -> Any:
    candidate = _candidate(candidate_id)
    try:
        candidate_tags_add(candidates=[candidate], names=payload.names, actor=None)
    except CandidateError as exc:
        raise _refused(exc) from None
    data = candidate_data(_candidate(candidate_id))
    response["ETag"] = etag_of(data)
    return data


@router.delete(
    "/candidates/{candidate_id}/tags",
    response={200: CandidateOut, **COMMON_ERRORS},
    auth=WRITE,
    operation_id="candidates_tags_remove",
)
def candidates_tags_remove(
    request: HttpRequest,
    response: HttpResponse,
    candidate_id: int,
    name: Query[list[Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]]],
) -> Any:
    candidate = _candidate(candidate_id)
    try:
        candidate_tags_remove(candidates=[candidate], names=name, actor=None)
    except CandidateError as exc:
        raise _refused(exc) from None
    data = candidate_data(_candidate(candidate_id))
    response["ETag"] = etag_of(data)
    return data


# --- Consent --------------------------------------------------------------------------------------


def consent_data(candidate: Candidate) -> dict[str, Any]:
    state = {c.purpose: c for c in CandidateConsent.objects.filter(candidate=candidate)}
    active = set(
        CandidateConsent.objects.active()
        .filter(candidate=candidate)
        .values_list("purpose", flat=True)
    )
    profile = ConsentProfile.objects.filter(candidate=candidate).first()
    return {
        "candidate_id": candidate.pk,
        "contactable": Purpose.TALENT_POOL in active,
        "expires_at": profile.expires_at if profile else None,
        "purposes": [
            {
                "purpose": value,
                "label": str(label),
                "granted": bool(state.get(value) and state[value].granted),
                "active": value in active,
                "frequency": state[value].frequency if value in state else "",
                "changed_at": state[value].changed_at if value in state else None,
            }
            for value, label in Purpose.choices
        ],
    }


@router.get(
    "/candidates/{candidate_id}/consent",
    response={200: ConsentOut, **COMMON_ERRORS},
    auth=READ,
    operation_id="consent_get",
    tags=["consent"],
)
def consent_get(request: HttpRequest, candidate_id: int) -> Any:
    return consent_data(_candidate(candidate_id))


@router.post(
    "/candidates/{candidate_id}/consent/withdraw",
    response={200: ConsentOut, **COMMON_ERRORS},
    auth=WRITE,
    operation_id="consent_withdraw",
    tags=["consent"],
    summary="Withdraw consent the person withdrew through another system",
)
def consent_withdraw(request: HttpRequest, candidate_id: int, payload: ConsentWithdraw) -> Any:
    """`purposes`: purpose values (see GET …/consent) or `all`. `reason` says how the person
    withdrew it (it goes to the consent ledger)."""
    candidate = _candidate(candidate_id)
    purposes = set(payload.purposes)
    if "all" in purposes:
        purposes = set(Purpose.values)
    unknown = sorted(purposes - set(Purpose.values))
    if unknown:
        raise ApiProblem(
            422,
            f"Unknown purpose {', '.join(unknown)}.",
            errors=[
                {"location": "body", "pointer": "/purposes", "detail": f"unknown: {p}"}
                for p in unknown
            ],
        )
    try:
        consent_change(
            candidate=candidate,
            source=Source.RECRUITER,
            withdraw=purposes,
            reason=f"{actor_label(request)}: {payload.reason}",
        )
    except ConsentError as exc:
        raise ApiProblem(422, str(exc), kind="refused") from None
    return consent_data(candidate)
