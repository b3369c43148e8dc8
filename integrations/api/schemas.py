"""Request and response bodies of the REST API (pydantic models, which django-ninja validates
and documents).

Input schemas forbid unknown fields (a typo must not be silently ignored) and refuse NUL
characters (PostgreSQL cannot store them); lengths and choices mirror the models, so what
validates here can be stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from candidates.models import AgeBracket, Outcome, PositionStatus, RemotePolicy, Seniority

_NO_NUL = r"^[^\x00]*$"


def Text(max_length: int, min_length: int = 0) -> type[str]:
    return Annotated[  # type: ignore[return-value]
        str, StringConstraints(max_length=max_length, min_length=min_length, pattern=_NO_NUL)
    ]


Name = Text(100, 1)
Short = Text(100)
Email = Annotated[str, StringConstraints(min_length=3, max_length=254, pattern=r"^[^\x00\s]+@")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
if TYPE_CHECKING:
    # Literals built from the choices at import time, which mypy cannot evaluate: to it they
    # are the strings they are; pydantic (and the OpenAPI schema) sees the closed set below.
    Language = str
    SeniorityValue = str
    AgeBracketValue = str
    OutcomeValue = str
    PositionStatusValue = str
    RemoteValue = str
else:
    Language = Literal[tuple(code for code, _ in settings.LANGUAGES)]
    SeniorityValue = Literal[tuple(Seniority.values)]
    AgeBracketValue = Literal[tuple(AgeBracket.values)]
    OutcomeValue = Literal[tuple(Outcome.values)]
    PositionStatusValue = Literal[tuple(PositionStatus.values)]
    RemoteValue = Literal[tuple(RemotePolicy.values)]
Names = Annotated[list[Name], Field(max_length=100)]  # type: ignore[valid-type]
Strings = Annotated[list[Short], Field(max_length=50)]  # type: ignore[valid-type]


# Plain pydantic models, not ninja.Schema: ninja's Schema wraps every validation to read ORM
# objects, which the API never passes (it builds dicts); that wrapper was a quarter of a
# 1,000-row batch's time.
class Schema(BaseModel):
    pass


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Candidates -----------------------------------------------------------------------------------


class CandidateFields(In):
    first_name: Text(100) | None = None  # type: ignore[valid-type]
    last_name: Text(100) | None = None  # type: ignore[valid-type]
    phone: Text(40) | None = None  # type: ignore[valid-type]
    city: Text(100) | None = None  # type: ignore[valid-type]
    country: Country | Literal[""] | None = None
    languages: Strings | None = None
    preferred_language: Language | Literal[""] | None = None
    profession: Text(120) | None = None  # type: ignore[valid-type]
    seniority: SeniorityValue | Literal[""] | None = None
    years_experience: Annotated[int, Field(ge=0, le=80)] | None = None
    interests: Strings | None = None
    desired_positions: Strings | None = None
    desired_locations: Strings | None = None
    age_bracket: AgeBracketValue | Literal[""] | None = None
    source: Text(60) | None = None  # type: ignore[valid-type]
    notes: Text(10_000) | None = None  # type: ignore[valid-type]
    skills: Names | None = None


class CandidateUpsert(CandidateFields):
    """Create the person, or complete the one with this email (any case): fields we already
    know are never overwritten, skills and tags are added."""

    email: Email
    tags: Names | None = None


class CandidatePatch(CandidateFields):
    """Change a profile: the fields sent replace the stored values (an empty string or list
    clears a field); `skills`, when sent, becomes the full list."""

    email: Email | None = None


class CandidateBatch(In):
    candidates: Annotated[list[CandidateUpsert], Field(min_length=1, max_length=1000)]


class BatchRow(Schema):
    index: int
    id: int
    created: bool
    updated: bool


class BatchResult(Schema):
    created: int
    updated: int
    unchanged: int
    results: list[BatchRow]


class TagNames(In):
    names: Annotated[list[Name], Field(min_length=1, max_length=100)]  # type: ignore[valid-type]


class CandidateOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    phone: str
    city: str
    country: str
    languages: list[str]
    preferred_language: str
    profession: str
    seniority: str
    years_experience: int | None
    interests: list[str]
    desired_positions: list[str]
    desired_locations: list[str]
    age_bracket: str
    source: str
    notes: str
    skills: list[str]
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime


class CandidatePage(Schema):
    items: list[CandidateOut]
    next_cursor: str | None


# --- Positions, stages, applications --------------------------------------------------------------


class PositionFields(In):
    profession: Text(120) | None = None  # type: ignore[valid-type]
    department: Text(120) | None = None  # type: ignore[valid-type]
    location: Text(120) | None = None  # type: ignore[valid-type]
    country: Country | Literal[""] | None = None
    remote_policy: RemoteValue | None = None
    seniority: SeniorityValue | Literal[""] | None = None
    description: Text(20_000) | None = None  # type: ignore[valid-type]
    status: PositionStatusValue | None = None
    required_skills: Names | None = None


class PositionCreate(PositionFields):
    title: Text(200, 1)  # type: ignore[valid-type]


class PositionPatch(PositionFields):
    title: Text(200, 1) | None = None  # type: ignore[valid-type]


class PositionOut(Schema):
    id: int
    title: str
    profession: str
    department: str
    location: str
    country: str
    remote_policy: str
    seniority: str
    description: str
    status: str
    required_skills: list[str]
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None


class PositionPage(Schema):
    items: list[PositionOut]
    next_cursor: str | None


class StageOut(Schema):
    slug: str
    name: str
    order: int


class ReasonOut(Schema):
    key: str
    label: str
    category: str
    active: bool


class AtsReference(In):
    """The same application in the ATS, so its webhooks (Lever sends ids only) find ours."""

    provider: Literal["greenhouse", "lever"]
    id: Text(200, 1)  # type: ignore[valid-type]


class ApplicationCreate(In):
    candidate_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    candidate_email: Email | None = None
    position_id: Annotated[int, Field(ge=1, le=2**62)]
    source: Text(60) = ""  # type: ignore[valid-type]
    ats: AtsReference | None = None


class StageMove(In):
    stage: Text(60, 1)  # type: ignore[valid-type]


class RejectRequest(In):
    reasons: Annotated[list[Text(60, 1)], Field(max_length=20)] = []  # type: ignore[valid-type]
    note: Text(5000) = ""  # type: ignore[valid-type]
    recruiter_email: Email | None = None


class ApplicationOut(Schema):
    id: int
    candidate_id: int
    position_id: int
    stage: str
    furthest_stage: str
    outcome: str
    source: str
    applied_at: datetime
    outcome_at: datetime | None


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    next_cursor: str | None


class RejectResult(Schema):
    result: Literal["email_queued", "feedback_to_write"]
    already: bool
    rejection_id: int | None
    message_id: int | None
    feedback_task_id: int | None
    application: ApplicationOut


# --- Consent, pools, messages ---------------------------------------------------------------------


class ConsentPurposeOut(Schema):
    purpose: str
    label: str
    granted: bool
    active: bool
    frequency: str
    changed_at: datetime | None


class ConsentOut(Schema):
    candidate_id: int
    contactable: bool
    expires_at: datetime | None
    purposes: list[ConsentPurposeOut]


class ConsentWithdraw(In):
    purposes: Annotated[list[Text(32, 1)], Field(min_length=1, max_length=20)]  # type: ignore[valid-type]
    reason: Text(300, 1)  # type: ignore[valid-type]


class PoolOut(Schema):
    id: int
    name: str
    kind: str
    description: str
    problem: str


class MemberOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class MessageOut(Schema):
    id: int
    candidate_id: int | None
    kind: str
    status: str
    subject: str
    queued_at: datetime
    sent_at: datetime | None
    updated_at: datetime


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None
