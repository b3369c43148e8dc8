"""Builders for feedback tests: candidates and applications at a given stage."""

from __future__ import annotations

import itertools

from candidates.models import Application, Candidate, Position, PositionStatus, Stage
from feedback.models import RejectionReason

_seq = itertools.count(1)


def position(title: str = "") -> Position:
    return Position.objects.create(
        title=title or f"Data Analyst {next(_seq)}", status=PositionStatus.OPEN
    )


def application_at(
    stage_slug: str,
    *,
    pos: Position | None = None,
    first_name: str = "",
    last_name: str = "Tester",
    email: str = "",
    language: str = "",
) -> Application:
    n = next(_seq)
    candidate = Candidate.objects.create(
        first_name=first_name or f"Person{n}",
        last_name=last_name,
        email=email or f"person{n}@example.com",
        preferred_language=language,
    )
    stage = Stage.objects.get(slug=stage_slug)
    return Application.objects.create(
        candidate=candidate, position=pos or position(), stage=stage, furthest_stage=stage
    )


def reasons(*keys: str) -> list[RejectionReason]:
    found = {r.key: r for r in RejectionReason.objects.filter(key__in=keys)}
    return [found[k] for k in keys]
