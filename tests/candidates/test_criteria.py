from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from candidates import criteria
from candidates.criteria import (
    CriteriaError,
    CriteriaForm,
    Criterion,
    apply_criteria,
    criteria_from_json,
    criteria_to_json,
    register_criterion,
)
from candidates.models import Candidate, Outcome
from candidates.pipeline import application_outcome_set, application_stage_move
from candidates.services import candidate_tags_add
from tests.candidates import factories as f


def _search(data):
    form = CriteriaForm(data)
    assert form.is_valid(), form.errors
    return set(apply_criteria(Candidate.objects.active(), form.active()))


def test_text_search_matches_name_email_profession_and_skills(tenant_a):
    ada = f.candidate(first_name="Ada", last_name="Lovelace", profession="Mathematician")
    bob = f.candidate(first_name="Bob", email="bob.builder@ex.org", skills=["Carpentry"])
    f.candidate(first_name="Carl")
    assert _search({"q": "lovel"}) == {ada}
    assert _search({"q": "builder@"}) == {bob}
    assert _search({"q": "mathem"}) == {ada}
    assert _search({"q": "carpent"}) == {bob}
    assert _search({"q": "ada mathem"}) == {ada}
    assert _search({"q": "100%_"}) == set()


def test_skills_all_and_any_and_seniority_and_country(tenant_a):
    a = f.candidate(skills=["Python", "SQL"], seniority="senior", country="fr")
    b = f.candidate(skills=["Python"], seniority="junior", country="DE")
    assert _search({"skills_all": ["Python", "SQL"]}) == {a}
    assert _search({"skills_any": ["SQL", "Python"]}) == {a, b}
    assert _search({"seniority": ["junior"]}) == {b}
    assert _search({"country": "fr"}) == {a}


def test_stage_reached_and_outcome_apply_to_the_same_application(tenant_a):
    silver = f.candidate()
    app = f.application(silver)
    application_stage_move(application=app, stage=f.stage("final-interview"), actor=None)
    application_outcome_set(application=app, outcome=Outcome.REJECTED, actor=None)
    # Rejected early on one position, far along (still active) on another: not a silver medalist.
    other = f.candidate()
    early = f.application(other)
    application_outcome_set(application=early, outcome=Outcome.REJECTED, actor=None)
    far = f.application(other)
    application_stage_move(application=far, stage=f.stage("offer"), actor=None)

    assert _search({"stage_reached": "interview", "outcome": "rejected"}) == {silver}
    assert _search({"stage_reached": "interview"}) == {silver, other}
    assert _search({"outcome": "rejected"}) == {silver, other}


def test_tags_all_any_none(tenant_a):
    a, b, c = f.candidate(), f.candidate(), f.candidate()
    candidate_tags_add(candidates=[a, b], names=["silver"], actor=None)
    candidate_tags_add(candidates=[a], names=["young-talent"], actor=None)
    assert _search({"tags_all": ["silver", "young-talent"]}) == {a}
    assert _search({"tags_any": ["young-talent", "silver"]}) == {a, b}
    assert _search({"tags_none": ["silver"]}) == {c}


def test_interest_desired_position_source_age_and_activity(tenant_a):
    a = f.candidate(
        interests=["Climate tech"],
        desired_positions=["Data engineer"],
        age_bracket="25_34",
        source="referral",
    )
    b = f.candidate()
    Candidate.objects.filter(pk=b.pk).update(
        last_activity_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    assert _search({"interest": "climate"}) == {a}
    assert _search({"desired_position": "data eng"}) == {a}
    assert _search({"source": "REFERRAL"}) == {a}
    assert _search({"age_bracket": ["25_34"]}) == {a}
    assert _search({"active_before": "2021-01-01"}) == {b}
    assert _search({"active_since": "2021-01-01"}) == {a}


def test_filters_never_duplicate_rows(tenant_a):
    a = f.candidate(skills=["Python", "SQL", "Go"])
    for _ in range(3):
        f.application(a)
    cleaned = _cleaned({"skills_any": ["Python", "SQL", "Go"], "stage_reached": "applied"})
    assert list(apply_criteria(Candidate.objects.all(), cleaned)) == [a]


def _cleaned(data):
    form = CriteriaForm(data)
    assert form.is_valid(), form.errors
    return form.active()


def test_json_round_trip(tenant_a):
    f.candidate(skills=["Python"])
    candidate_tags_add(candidates=Candidate.objects.all(), names=["silver"], actor=None)
    data = {
        "q": "ada",
        "skills_all": ["Python"],
        "seniority": ["senior", "lead"],
        "stage_reached": "interview",
        "tags_none": ["silver"],
        "active_since": "2024-05-01",
    }
    cleaned = _cleaned(data)
    as_json = criteria_to_json(cleaned)
    assert as_json == data
    assert criteria_to_json(criteria_from_json(as_json)) == data


def test_json_with_unknown_key_or_deleted_references_is_a_clear_error(tenant_a):
    with pytest.raises(CriteriaError, match="Unknown criteria 'bogus'"):
        criteria_from_json({"bogus": 1})
    Tag.objects.create(name="gone", slug="gone")
    saved = criteria_to_json(_cleaned({"tags_any": ["gone"], "stage_reached": "offer"}))
    Tag.objects.filter(name="gone").delete()
    with pytest.raises(CriteriaError, match="tag “gone” does not exist"):
        criteria_from_json(saved)
    f.stage("offer").delete()
    with pytest.raises(CriteriaError, match="stage does not exist"):
        criteria_from_json({"stage_reached": "offer"})


def test_invalid_filters_are_form_errors_not_crashes(tenant_a):
    form = CriteriaForm({"country": "France", "active_since": "yesterday", "seniority": ["god"]})
    assert not form.is_valid()
    assert set(form.errors) == {"country", "active_since", "seniority"}


def test_criteria_registered_by_other_apps_appear_in_the_form(tenant_a):
    vip = f.candidate(profession="VIP")
    f.candidate()
    register_criterion(
        Criterion(
            key="test_vip_only",
            label="VIP only",
            field=lambda: forms.BooleanField(),
            apply=lambda qs, value, cleaned: qs.filter(profession="VIP"),
        )
    )
    try:
        assert "test_vip_only" in CriteriaForm().fields
        assert _search({"test_vip_only": "on"}) == {vip}
        assert criteria_from_json({"test_vip_only": True}) == {"test_vip_only": True}
    finally:
        criteria._registry.pop("test_vip_only")


def test_query_count_does_not_depend_on_the_number_of_matches(tenant_a):
    def count(data):
        with CaptureQueriesContext(connection) as ctx:
            list(apply_criteria(Candidate.objects.all(), _cleaned(data)))
        return len(ctx.captured_queries)

    data = {"skills_any": ["Python"], "tags_any": ["t"], "q": "x"}
    f.candidate(skills=["Python"])
    candidate_tags_add(candidates=Candidate.objects.all(), names=["t"], actor=None)
    first = count(data)
    for _ in range(5):
        f.candidate(skills=["Python"])
    candidate_tags_add(candidates=Candidate.objects.all(), names=["t"], actor=None)
    assert count(data) == first


def test_names_are_comma_separated_and_case_insensitive(tenant_a):
    a = f.candidate(skills=["Python", "SQL"])
    f.candidate(skills=["Python"])
    assert _search({"skills_all": "python, sql"}) == {a}
    form = CriteriaForm({"skills_all": "python, sql"})
    assert form.is_valid()
    assert 'value="python, sql"' in str(form["skills_all"])
    assert not CriteriaForm({"skills_any": "Python, Cobol"}).is_valid()
