"""The vectorised job matcher against the rules written out plainly, on random small worlds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.job_scoring import (
    COUNTRY_POINTS,
    LOCATION_POINTS,
    PROFESSION_POINTS,
    REMOTE_POINTS,
    SENIORITY_POINTS,
    SKILL_POINTS,
)
from campaigns.matching import job_matches
from candidates.models import Application, Candidate, Position
from candidates.pipeline import application_create
from tests.campaigns.helpers import make_candidate, open_position

NOW = timezone.now()
SKILLS = ["SQL", "Python", "Excel", "Care"]
# Case differences on purpose: professions and cities match case-insensitively.
PROFESSIONS = ["", "Nurse", "nurse", "Analyst"]
CITIES = ["", "Lyon", "lyon", "Paris"]
SENIORITIES = ["", "junior", "senior"]
COUNTRIES = ["", "FR", "DE"]

positions = st.lists(
    st.fixed_dictionaries(
        {
            "skills": st.sets(st.sampled_from(SKILLS), max_size=3),
            "profession": st.sampled_from(PROFESSIONS),
            "seniority": st.sampled_from(SENIORITIES),
            "location": st.sampled_from(CITIES),
            "country": st.sampled_from(COUNTRIES),
            "remote_policy": st.sampled_from(["onsite", "hybrid", "remote"]),
            "days_ago": st.integers(0, 20),
            "open": st.booleans(),
        }
    ),
    min_size=1,
    max_size=7,
)
candidates = st.lists(
    st.fixed_dictionaries(
        {
            "skills": st.sets(st.sampled_from(SKILLS), max_size=3),
            "profession": st.sampled_from(PROFESSIONS),
            "seniority": st.sampled_from(SENIORITIES),
            "city": st.sampled_from(CITIES),
            "country": st.sampled_from(COUNTRIES),
            "desired_locations": st.lists(st.sampled_from(CITIES), max_size=2),
            "since_days_ago": st.integers(0, 25),
            "applied_to": st.sets(st.integers(0, 6), max_size=2),
        }
    ),
    min_size=1,
    max_size=5,
)


def _expected(candidate: Candidate, since: dt.datetime, limit: int) -> list[tuple]:
    """Every rule spelled out per pair: the reference the matrix version must agree with."""
    skills = {s.name for s in candidate.skills.all()}
    applied = set(Application.objects.filter(candidate=candidate).values_list("position_id"))
    scored = []
    for p in Position.objects.filter(status="open").prefetch_related("required_skills"):
        fresh = p.opened_at or p.created_at
        shared = sorted(skills & {s.name for s in p.required_skills.all()})
        same_profession = bool(candidate.profession) and (
            candidate.profession.lower() == p.profession.lower()
        )
        if fresh <= since or fresh > NOW or (p.pk,) in applied:
            continue
        if not shared and not same_profession:
            continue
        same_seniority = bool(candidate.seniority) and candidate.seniority == p.seniority
        wanted = candidate.desired_locations
        same_location = bool(p.location) and (
            candidate.city.lower() == p.location.lower() or p.location in wanted
        )
        remote = p.remote_policy == "remote"
        same_country = bool(candidate.country) and candidate.country == p.country
        score = (
            SKILL_POINTS * len(shared)
            + PROFESSION_POINTS * same_profession
            + SENIORITY_POINTS * same_seniority
            + LOCATION_POINTS * same_location
            + REMOTE_POINTS * remote
            + COUNTRY_POINTS * same_country
        )
        scored.append((score, p.pk, tuple(shared), same_profession, same_seniority, same_location))
    scored.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return scored[:limit]


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(positions=positions, candidates=candidates, limit=st.integers(1, 4))
def test_matrix_scoring_agrees_with_the_rules_pair_by_pair(tenant_a, positions, candidates, limit):
    with transaction.atomic():
        made = []
        for n, spec in enumerate(positions):
            position = open_position(
                f"Job {n}",
                skills=spec["skills"],
                profession=spec["profession"],
                seniority=spec["seniority"],
                location=spec["location"],
                country=spec["country"],
                remote_policy=spec["remote_policy"],
            )
            position.opened_at = NOW - dt.timedelta(days=spec["days_ago"], minutes=n)
            position.status = "open" if spec["open"] else "closed"
            position.save(update_fields=["opened_at", "status"])
            made.append(position)
        targets = []
        for n, spec in enumerate(candidates):
            candidate = make_candidate(
                f"c{n}@example.com",
                skills=spec["skills"],
                profession=spec["profession"],
                seniority=spec["seniority"],
                city=spec["city"],
                country=spec["country"],
                desired_locations=spec["desired_locations"],
            )
            for index in spec["applied_to"]:
                if index < len(made):
                    application_create(candidate=candidate, position=made[index], actor=None)
            targets.append((candidate, NOW - dt.timedelta(days=spec["since_days_ago"])))

        found = job_matches(targets=[(c.pk, since) for c, since in targets], now=NOW, limit=limit)

        for candidate, since in targets:
            got = [
                (
                    m.score,
                    m.position_id,
                    m.skills,
                    m.same_profession,
                    m.same_seniority,
                    m.same_location,
                )
                for m in found.get(candidate.pk, [])
            ]
            assert got == _expected(candidate, since, limit)
        transaction.set_rollback(True)
