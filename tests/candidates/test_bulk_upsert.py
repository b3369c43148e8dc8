"""`candidates_upsert_many` (set-based, for API batches) against the plain reference: the same
rows through `candidate_upsert` one by one (and tags through `candidate_tags_add`) must leave
exactly the same people, fields, skills and tags."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candidates.bulk import CandidateRowError, candidates_upsert_many
from candidates.models import Candidate
from candidates.services import candidate_tags_add, candidate_upsert

EMAILS = ["ann@example.com", "Ann@Example.com", "bob@example.com", "cy@example.org"]
row = st.fixed_dictionaries(
    {"email": st.sampled_from(EMAILS)},
    optional={
        "first_name": st.sampled_from(["", "Ann", "Bob", "Cy"]),
        "city": st.sampled_from(["", "Lyon", "Rome"]),
        "country": st.sampled_from(["", "fr", "DE"]),
        "seniority": st.sampled_from(["", "junior", "senior"]),
        "years_experience": st.sampled_from([None, 3, 12]),
        "languages": st.sampled_from([[], ["en"], ["fr", "de"]]),
        "skills": st.lists(st.sampled_from(["Python", "python", "SQL", " Go "]), max_size=3),
        "tags": st.lists(st.sampled_from(["vip", "VIP", "alumni"]), max_size=2),
    },
)
existing = st.lists(
    st.tuples(
        st.sampled_from(["ann@example.com", "bob@example.com"]), st.sampled_from(["", "Old"])
    ),
    max_size=2,
    unique_by=lambda t: t[0],
)


def _state() -> list[tuple]:
    return [
        (
            c.email.lower(),
            c.first_name,
            c.city,
            c.country,
            c.seniority,
            c.years_experience,
            c.languages,
            sorted(n.lower() for n in c.skills.names()),
            sorted(n.lower() for n in c.tags.names()),
        )
        for c in Candidate.objects.order_by("email")
    ]


def _run(apply, before, rows) -> list[tuple]:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        Candidate.objects.all().delete()
        for email, city in before:
            candidate_upsert(email=email, actor=None, source="seed", first_name="Seed", city=city)
        apply(rows)
        state = _state()
        transaction.set_rollback(True)
    return state


def _reference(rows) -> None:  # type: ignore[no-untyped-def]
    for values in rows:
        values = dict(values)
        tags = values.pop("tags", [])
        person, _ = candidate_upsert(actor=None, source="api", **values)
        if tags:
            candidate_tags_add(candidates=[person], names=tags, actor=None)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(before=existing, rows=st.lists(row, min_size=1, max_size=6))
def test_batch_upsert_matches_one_by_one_upserts(tenant_a, before, rows):
    first = {r["email"].lower() for r in rows}
    # A new person needs a first name (the model requires one) in the first row naming them,
    # else both paths refuse; that refusal is tested below.
    named = {e for e, _ in before}
    rows = [
        {**r, "first_name": r.get("first_name") or "New"}
        if r["email"].lower() not in named and r["email"].lower() in first
        else r
        for r in rows
    ]
    batch = _run(lambda rs: candidates_upsert_many(rows=rs, actor=None, source="api"), before, rows)
    reference = _run(_reference, before, rows)
    assert batch == reference


def test_an_invalid_row_names_its_index_and_writes_nothing(tenant_a):
    rows = [
        {"email": "ok@example.com", "first_name": "Ok"},
        {"email": "bad@example.com", "first_name": "Bad", "seniority": "wizard"},
    ]
    with pytest.raises(CandidateRowError) as error:
        candidates_upsert_many(rows=rows, actor=None, source="api")
    assert (error.value.index, error.value.field) == (1, "seniority")
    assert not Candidate.objects.filter(email="ok@example.com").exists()
