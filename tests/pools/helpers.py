"""Data for pools tests, created through the candidates services (as the app does)."""

from __future__ import annotations

import itertools
from typing import Any

from candidates.models import Application, Candidate, Stage
from candidates.pipeline import (
    application_create,
    application_outcome_set,
    application_stage_move,
    position_create,
)
from candidates.services import candidate_upsert

_seq = itertools.count(1)


def candidate(actor: Any = None, **fields: Any) -> Candidate:
    n = next(_seq)
    fields.setdefault("first_name", f"Person{n}")
    fields.setdefault("last_name", "Test")
    email = fields.pop("email", f"person{n}@example.com")
    source = fields.pop("source", "test")
    created, _ = candidate_upsert(email=email, actor=actor, source=source, **fields)
    return created


def application(who: Candidate, actor: Any = None, title: str = "Engineer") -> Application:
    position = position_create(actor=actor, title=f"{title} {next(_seq)}", status="open")
    created, _ = application_create(candidate=who, position=position, actor=actor)
    return created


def stage(slug: str) -> Stage:
    return Stage.objects.get(slug=slug)


def reach(app: Application, slug: str, actor: Any = None) -> Application:
    return application_stage_move(application=app, stage=stage(slug), actor=actor)


def reject(app: Application, actor: Any = None) -> Application:
    return application_outcome_set(application=app, outcome="rejected", actor=actor)


def tag_names(who: Candidate) -> set[str]:
    return set(who.tags.values_list("name", flat=True))
