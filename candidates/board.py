"""A position's pipeline board: one column per stage with the active applications as cards.

Reads only (the moves go through `pipeline.application_stage_move`). A board costs a constant
number of queries whatever its size: applications with their candidate, the candidates'
skills in one prefetch, and the registered list columns (consent) annotated once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, QuerySet

from candidates.columns import list_columns
from candidates.models import Application, Candidate, Outcome, Position, Stage

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

KEY_SKILLS = 3


@dataclass
class Card:
    application: Application
    candidate: Candidate
    skills: list[str]
    more_skills: int
    extras: list[tuple[str, str]]  # (label, rendered) of registered list columns
    # (key, label, url) of the application's actions, set by the view
    actions: list[tuple[str, StrOrPromise, str]] = field(default_factory=list)


@dataclass
class BoardColumn:
    stage: Stage
    cards: list[Card] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.cards)


def _key_skills(candidate: Candidate, wanted: set[str]) -> tuple[list[str], int]:
    """The candidate's skills the position asks for first, then the others; at most KEY_SKILLS."""
    names = [s.name for s in candidate.skills.all()]
    names.sort(key=lambda n: (n.lower() not in wanted, n.lower()))
    return names[:KEY_SKILLS], max(0, len(names) - KEY_SKILLS)


def board_columns(position: Position) -> list[BoardColumn]:
    """Every stage (empty ones too, so a card can be dropped there), with the position's active
    applications, most recently active candidates first."""
    columns = {stage.pk: BoardColumn(stage) for stage in Stage.objects.order_by("order")}
    extra_columns = list_columns()
    people: QuerySet[Candidate] = Candidate.objects.all()
    for column in extra_columns:
        people = column.annotate(people)
    # django-taggit has no stubs, so the plugin cannot see its manager supports prefetching
    people = people.prefetch_related("skills")  # type: ignore[misc]
    applications = (
        position.applications.filter(outcome=Outcome.ACTIVE, candidate__anonymised_at__isnull=True)
        .select_related("stage")
        .prefetch_related(Prefetch("candidate", queryset=people))
        .order_by("-candidate__last_activity_at", "pk")
    )
    wanted = {name.lower() for name in position.required_skills.names()}
    for application in applications:
        candidate = application.candidate
        skills, more = _key_skills(candidate, wanted)
        extras = [(str(c.label), c.render(candidate)) for c in extra_columns]
        card = Card(application, candidate, skills, more, extras)
        columns.setdefault(application.stage_id, BoardColumn(application.stage)).cards.append(card)
    return list(columns.values())


def board_counts(position: Position) -> dict[int, int]:
    """Active applications per stage id (every stage present, 0 included)."""
    counts = dict(
        position.applications.filter(outcome=Outcome.ACTIVE, candidate__anonymised_at__isnull=True)
        .values_list("stage_id")
        .annotate(n=Count("pk"))
    )
    return {stage.pk: counts.get(stage.pk, 0) for stage in Stage.objects.order_by("order")}


def closed_counts(position: Position) -> dict[str, int]:
    """How many of the position's applications are closed, by outcome label (for the footer)."""
    rows = (
        position.applications.exclude(outcome=Outcome.ACTIVE)
        .values_list("outcome")
        .annotate(n=Count("pk"))
    )
    return {str(Outcome(outcome).label): n for outcome, n in rows}
