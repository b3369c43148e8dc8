"""Small builders for candidate tests (through the services, as the app does)."""

from __future__ import annotations

import itertools
from typing import Any

from candidates.models import Application, Candidate, Position, PositionStatus, Stage
from candidates.pipeline import application_create, position_create
from candidates.services import candidate_upsert

_seq = itertools.count(1)


def candidate(**fields: Any) -> Candidate:
    n = next(_seq)
    fields.setdefault("first_name", f"Person{n}")
    fields.setdefault("last_name", "Tester")
    email = fields.pop("email", f"person{n}@example.com")
    cand, _ = candidate_upsert(
        email=email, actor=None, source=fields.pop("source", "test"), **fields
    )
    return cand


def position(**fields: Any) -> Position:
    fields.setdefault("title", f"Engineer {next(_seq)}")
    fields.setdefault("status", PositionStatus.OPEN)
    return position_create(actor=None, **fields)


def stage(slug: str) -> Stage:
    return Stage.objects.get(slug=slug)


def application(cand: Candidate, pos: Position | None = None, **kwargs: Any) -> Application:
    app, _ = application_create(candidate=cand, position=pos or position(), actor=None, **kwargs)
    return app
