"""Small builders for campaigns tests, all going through the owning apps' services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from campaigns.models import ContentItem
from candidates.models import Candidate, Position
from candidates.pipeline import position_create
from candidates.services import candidate_tags_add, candidate_upsert
from consent.models import Source
from consent.services import consent_grant

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def make_candidate(
    email: str,
    *,
    skills: Iterable[str] = (),
    topics: dict[str, str | None] | None = None,
    tags: Iterable[str] = (),
    **fields: object,
) -> Candidate:
    fields.setdefault("first_name", email.split("@")[0].title())
    candidate, _ = candidate_upsert(
        email=email, actor=None, source="test", skills=list(skills), **fields
    )
    for topic, frequency in (topics or {}).items():
        consent_grant(
            candidate=candidate, purpose=topic, source=Source.OPTIN_LINK, frequency=frequency
        )
    if tags:
        candidate_tags_add(candidates=[candidate], names=list(tags), actor=None)
    return candidate


def open_position(title: str, *, skills: Iterable[str] = (), **fields: object) -> Position:
    return position_create(actor=None, title=title, status="open", required_skills=skills, **fields)


def content_item(topic: str, title: str, **fields: object) -> ContentItem:
    return ContentItem.objects.create(topic=topic, title=title, **fields)
