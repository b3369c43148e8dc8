"""Reads shared by views, exports and tasks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower

from candidates.columns import list_columns
from candidates.criteria import apply_criteria
from candidates.models import (
    Activity,
    Application,
    Candidate,
    EmailKey,
    Outcome,
    Position,
    email_key,
)

SORTS = {
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "activity": ("last_activity_at", "id"),
    "-activity": ("-last_activity_at", "-id"),
    "profession": ("profession", "id"),
    "-profession": ("-profession", "-id"),
    "country": ("country", "id"),
    "-country": ("-country", "-id"),
}
DEFAULT_SORT = "-activity"


def candidate_list(cleaned: dict[str, Any], sort: str = DEFAULT_SORT) -> QuerySet[Candidate]:
    """The filtered candidate list, with what a row shows loaded in a constant number of
    queries (skills and tags prefetched, registered columns annotated)."""
    queryset = apply_criteria(Candidate.objects.active(), cleaned)
    for column in list_columns():
        queryset = column.annotate(queryset)
    return queryset.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT])).prefetch_related(
        "skills", "tags"
    )


def candidate_applications(candidate: Candidate) -> QuerySet[Application]:
    return candidate.applications.select_related("position", "stage", "furthest_stage").order_by(
        "-applied_at"
    )


def candidate_referrals(candidate: Candidate, limit: int = 20) -> list[Candidate]:
    """The people this candidate referred (as an ambassador), newest first."""
    return list(candidate.referrals.active().order_by("-created_at", "-pk")[:limit])


def candidate_timeline(candidate: Candidate, limit: int = 200) -> QuerySet[Activity]:
    return candidate.activities.select_related("actor", "application__position").order_by(
        "-at", "-id"
    )[:limit]


def likely_duplicates(candidate: Candidate) -> QuerySet[Candidate]:
    """Same canonical email (case, dots, +suffix), or same name and phone digits."""
    condition = Q(email_key=email_key(candidate.email))
    digits = "".join(ch for ch in candidate.phone if ch.isdigit())
    if len(digits) >= 6 and candidate.first_name:
        condition |= Q(
            first_lower=candidate.first_name.lower(),
            last_lower=candidate.last_name.lower(),
            phone__regex=r"^[^0-9]*" + r"[^0-9]*".join(digits) + r"[^0-9]*$",
        )
    return (
        Candidate.objects.active()
        .exclude(pk=candidate.pk)
        .annotate(
            email_key=EmailKey("email"),
            first_lower=Lower("first_name"),
            last_lower=Lower("last_name"),
        )
        .filter(condition)
        .order_by("pk")
    )


def position_applicants(position: Position) -> QuerySet[Application]:
    return position.applications.select_related("candidate", "stage", "furthest_stage").order_by(
        "stage__order", "-applied_at"
    )


def positions_with_counts() -> QuerySet[Position]:
    return Position.objects.annotate(
        applicant_count=Count("applications"),
        active_count=Count("applications", filter=Q(applications__outcome=Outcome.ACTIVE)),
    ).order_by("status", "-created_at")
