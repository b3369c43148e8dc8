from __future__ import annotations

import datetime as dt

from django.utils import timezone

from campaigns.matching import item_matches, job_matches
from candidates.pipeline import application_create
from pools.models import PoolKind
from pools.services import pool_members_add, pool_save
from tests.campaigns.helpers import content_item, make_candidate, open_position

LONG_AGO = timezone.now() - dt.timedelta(days=365)


def _jobs(candidate, **kwargs):  # type: ignore[no-untyped-def]
    return job_matches(targets=[(candidate.pk, LONG_AGO)], now=timezone.now(), **kwargs).get(
        candidate.pk, []
    )


def test_skills_come_first_even_across_professions_with_an_explanation(tenant_a):
    candidate = make_candidate(
        "ada@example.com",
        skills=["SQL", "Python"],
        profession="Accountant",
        seniority="senior",
        city="Lyon",
    )
    data = open_position("Data engineer", skills=["SQL", "Python", "Spark"], profession="Data")
    same_job = open_position("Accountant", profession="Accountant", seniority="senior")
    open_position("Nurse", skills=["Care"], profession="Health")
    matches = _jobs(candidate)
    assert [m.position_id for m in matches] == [data.pk, same_job.pk]
    assert matches[0].explanation == "Matches your skills: Python, SQL"
    assert matches[1].explanation == "In your profession; at your level"
    assert matches[0].score > matches[1].score


def test_seniority_location_and_remote_break_ties(tenant_a):
    candidate = make_candidate(
        "bo@example.com", skills=["Go"], seniority="mid", city="Paris", country="FR"
    )
    far = open_position("Go dev Berlin", skills=["Go"], location="Berlin", country="DE")
    near = open_position(
        "Go dev Paris", skills=["Go"], location="Paris", country="FR", seniority="mid"
    )
    remote = open_position("Go dev remote", skills=["Go"], remote_policy="remote")
    matches = _jobs(candidate)
    assert [m.position_id for m in matches] == [near.pk, remote.pk, far.pk]
    assert "where you want to work" in matches[0].explanation
    assert "fully remote" in matches[1].explanation


def test_no_skills_no_profession_gets_nothing_and_applied_positions_are_left_out(tenant_a):
    blank = make_candidate("blank@example.com")
    open_position("Anything", skills=["SQL"])
    assert _jobs(blank) == []
    applied = make_candidate("applied@example.com", skills=["SQL"])
    position = open_position("SQL analyst", skills=["SQL"])
    application_create(candidate=applied, position=position, actor=None)
    assert position.pk not in [m.position_id for m in _jobs(applied)]


def test_only_positions_opened_since_the_last_email_count(tenant_a):
    candidate = make_candidate("new@example.com", skills=["SQL"])
    old = open_position("Old SQL job", skills=["SQL"])
    since = timezone.now()
    fresh = open_position("New SQL job", skills=["SQL"])
    found = job_matches(targets=[(candidate.pk, since)], now=timezone.now() + dt.timedelta(1))
    assert [m.position_id for m in found[candidate.pk]] == [fresh.pk]
    assert old.pk


def test_items_match_by_profession_sector_tag_and_pool(tenant_a):
    nurse = make_candidate(
        "nurse@example.com", profession="Nurse", interests=["Healthcare"], tags=["young-talent"]
    )
    dev = make_candidate("dev@example.com", profession="Developer")
    general = content_item("company_news", "We moved")
    for_nurses = content_item("company_news", "Care unit opens", target_profession="nurse")
    health = content_item("company_news", "Health sector", target_sector="healthcare")
    young = content_item("company_news", "Graduates", target_tag="young-talent")
    pool = pool_save(actor=tenant_a.hr_admin, name="Chosen", kind=PoolKind.STATIC)
    pool_members_add(actor=tenant_a.hr_admin, pool=pool, candidates=[dev.pk])
    for_pool = content_item("company_news", "Pool only", target_pool=pool)
    found = item_matches(
        targets=[(nurse.pk, LONG_AGO), (dev.pk, LONG_AGO)],
        topic="company_news",
        now=timezone.now() + dt.timedelta(seconds=1),
    )
    assert set(found[nurse.pk]) == {general.pk, for_nurses.pk, health.pk, young.pk}
    assert set(found[dev.pk]) == {general.pk, for_pool.pk}


def test_past_events_and_archived_items_are_not_matched(tenant_a):
    candidate = make_candidate("ev@example.com")
    content_item("events", "Past", event_starts_at=timezone.now() - dt.timedelta(days=1))
    content_item(
        "events", "Archived", archived=True, event_starts_at=timezone.now() + dt.timedelta(days=9)
    )
    coming = content_item("events", "Coming", event_starts_at=timezone.now() + dt.timedelta(9))
    found = item_matches(
        targets=[(candidate.pk, LONG_AGO)],
        topic="events",
        now=timezone.now() + dt.timedelta(seconds=1),
    )
    assert found[candidate.pk] == [coming.pk]
