"""Helpers for consent tests: people made through the candidates service, links split into the
path the tenant's test client requests."""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

import pytest

from candidates.models import Candidate
from candidates.services import candidate_upsert

_seq = itertools.count(1)


def person(**fields: object) -> Candidate:
    n = next(_seq)
    fields.setdefault("first_name", f"Person{n}")
    fields.setdefault("last_name", "Tester")
    email = str(fields.pop("email", f"person{n}@example.com"))
    candidate, _ = candidate_upsert(email=email, actor=None, source="test", **fields)
    return candidate


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture(autouse=True)
def _mail_settings(settings):  # type: ignore[no-untyped-def]
    """Mailing's ESP token buckets are not what these tests are about."""
    settings.MAILING_RATE_PER_TENANT = 0
    settings.MAILING_RATE_GLOBAL = 0
    # Tests run with DEBUG off, where mailing accepts only https unsubscribe links.
    settings.SITE_SCHEME = "https"
