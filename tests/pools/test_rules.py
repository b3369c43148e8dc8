from __future__ import annotations

import pytest
from taggit.models import Tag

from candidates.models import CandidateTag, Stage
from candidates.pipeline import application_outcome_set
from candidates.services import (
    candidate_merge,
    candidate_tags_add,
    candidate_update,
    candidate_upsert,
)
from pools.defaults import SILVER_MEDALIST, YOUNG_TALENT, tag_rules_install_defaults
from pools.models import TagRule
from pools.rules import rule_preview
from pools.services import PoolError, tag_rule_delete, tag_rule_save, tag_rules_apply
from tests.pools.helpers import application, candidate, reach, reject, stage, tag_names


@pytest.fixture
def world(tenant_a, django_capture_on_commit_callbacks):
    """Tenant alpha with on-commit callbacks run, as after a real commit (events fire then)."""

    class World:
        tenant = tenant_a

        def __call__(self):
            return django_capture_on_commit_callbacks(execute=True)

    return World()


def test_new_tenant_gets_default_rules_once(world):
    rules = {r.name: r for r in TagRule.objects.all()}
    assert rules["Silver medalists"].tag.name == SILVER_MEDALIST
    assert rules["Silver medalists"].min_stage.slug == "final-interview"
    assert rules["Silver medalists"].outcome == "rejected"
    assert rules["Young talent"].tag.name == YOUNG_TALENT
    assert rules["Young talent"].age_bracket == "18_24"
    tag_rules_install_defaults()
    assert TagRule.objects.count() == len(rules)


def test_new_candidate_is_tagged_when_created(world):
    with world():
        young = candidate(age_bracket="18_24")
        older = candidate(age_bracket="35_44")
    assert tag_names(young) == {YOUNG_TALENT}
    assert tag_names(older) == set()
    assert CandidateTag.objects.get(content_object=young).set_by_rule is True


def test_upsert_completing_a_record_tags_it(world):
    with world():
        person = candidate(email="late@example.com")
    assert tag_names(person) == set()
    with world():
        candidate_upsert(email="LATE@example.com", actor=None, source="import", age_bracket="18_24")
    assert tag_names(person) == {YOUNG_TALENT}


def test_profile_edit_adds_and_removes_rule_tags(world):
    with world():
        person = candidate(age_bracket="25_34")
    with world():
        candidate_update(candidate=person, actor=world.tenant.recruiter, age_bracket="18_24")
    assert tag_names(person) == {YOUNG_TALENT}
    with world():
        candidate_update(candidate=person, actor=world.tenant.recruiter, age_bracket="25_34")
    assert tag_names(person) == set()


def test_rejection_after_final_interview_makes_a_silver_medalist(world):
    recruiter = world.tenant.recruiter
    with world():
        finalist, early = candidate(), candidate()
        app_final, app_early = application(finalist), application(early)
        reach(app_final, "interview", recruiter)
        reach(app_final, "final-interview", recruiter)
        reach(app_early, "screening", recruiter)
    # Reaching the final interview is not enough: the rule wants a rejection there.
    assert tag_names(finalist) == set()
    with world():
        reject(app_final, recruiter)
        reject(app_early, recruiter)
    assert tag_names(finalist) == {SILVER_MEDALIST}
    assert tag_names(early) == set()
    # Reopened: the fact is gone, so is the tag the rule set.
    with world():
        application_outcome_set(application=app_final, outcome="active", actor=recruiter)
    assert tag_names(finalist) == set()


def test_stage_move_alone_can_fire_a_rule(world):
    with world():
        rule = tag_rule_save(
            actor=world.tenant.hr_admin,
            name="Reached offer",
            tag_name="offer-stage",
            min_stage=stage("offer"),
        )
        person = candidate()
        app = application(person)
    assert rule.problem == ""
    assert tag_names(person) == set()
    with world():
        reach(app, "offer")
    assert tag_names(person) == {"offer-stage"}


def test_hand_set_tags_are_never_removed_by_rules(world):
    recruiter = world.tenant.recruiter
    with world():
        by_hand = candidate(age_bracket="45_54")
        candidate_tags_add(candidates=[by_hand], names=[YOUNG_TALENT], actor=recruiter)
        matching = candidate(age_bracket="18_24")
        # A recruiter confirms the rule's tag by hand: it becomes theirs.
        candidate_tags_add(candidates=[matching], names=[YOUNG_TALENT], actor=recruiter)
    tag_rules_apply()
    assert tag_names(by_hand) == {YOUNG_TALENT}
    with world():
        candidate_update(candidate=matching, actor=recruiter, age_bracket="35_44")
    assert tag_names(matching) == {YOUNG_TALENT}
    assert CandidateTag.objects.get(content_object=matching).set_by_rule is False


def test_candidate_conditions_combine(world):
    hr = world.tenant.hr_admin
    with world():
        match = candidate(
            skills=["Python", "SQL"],
            seniority="senior",
            country="fr",
            source="Referral",
            profession="Backend engineer",
        )
        wrong_country = candidate(
            skills=["python"],
            seniority="senior",
            country="DE",
            source="referral",
            profession="Backend engineer",
        )
        no_skill = candidate(
            seniority="senior", country="FR", source="referral", profession="Backend engineer"
        )
        tag_rule_save(
            actor=hr,
            name="French senior pythonistas",
            tag_name="fr-python",
            skill="python",
            seniority="senior",
            country="fr",
            source="referral",
            profession="engineer",
        )
    assert tag_names(match) == {"fr-python"}
    assert tag_names(wrong_country) == set()
    assert tag_names(no_skill) == set()


def test_preview_counts_before_saving(world):
    with world():
        for _ in range(3):
            candidate(seniority="lead")
        tagged = candidate(seniority="lead")
        candidate_tags_add(candidates=[tagged], names=["leaders"], actor=None)
        candidate(seniority="junior")
    tag = Tag.objects.get(name="leaders")
    unsaved = TagRule(name="Leads", tag=tag, tag_name=tag.name, seniority="lead")
    assert rule_preview(unsaved) == {"total": 4, "new": 3}
    assert not TagRule.objects.filter(name="Leads").exists()


def test_a_rule_needs_a_condition_and_a_unique_name(world):
    hr = world.tenant.hr_admin
    with pytest.raises(PoolError, match="at least one condition"):
        tag_rule_save(actor=hr, name="Everyone", tag_name="all")
    with pytest.raises(PoolError, match="already exists"):
        tag_rule_save(actor=hr, name="young TALENT", tag_name="x", seniority="lead")


def test_editing_a_rule_moves_its_tags_and_deleting_takes_them_back(world):
    hr = world.tenant.hr_admin
    with world():
        lead, junior = candidate(seniority="lead"), candidate(seniority="junior")
        rule = tag_rule_save(actor=hr, name="Leads", tag_name="leaders", seniority="lead")
    assert tag_names(lead) == {"leaders"}
    tag_rule_save(actor=hr, rule=rule, tag_name="seniors", seniority="junior")
    assert tag_names(lead) == set()
    assert tag_names(junior) == {"seniors"}
    tag_rule_delete(actor=hr, rule=rule)
    assert tag_names(junior) == set()


def test_rule_with_deleted_stage_is_broken_and_keeps_its_tags(world):
    hr = world.tenant.hr_admin
    with world():
        extra = Stage.objects.create(name="Assessment", slug="assessment", order=15)
        rule = tag_rule_save(actor=hr, name="Assessed", tag_name="assessed", min_stage=extra)
        person = candidate()
        reach(application(person), "screening")
    assert tag_names(person) == {"assessed"}  # screening (20) >= assessment (15)
    extra.delete()
    rule.refresh_from_db()
    assert "“Assessment” this rule checks was deleted" in rule.problem
    result = tag_rules_apply()
    assert (result.added, result.removed) == (0, 0)
    assert tag_names(person) == {"assessed"}


def test_rule_with_deleted_tag_is_broken(world):
    rule = TagRule.objects.get(name="Young talent")
    Tag.objects.filter(name=YOUNG_TALENT).delete()
    rule.refresh_from_db()
    assert "“young-talent” this rule sets was deleted" in rule.problem
    tag_rules_apply()  # skips it without error


def test_merged_record_loses_rule_tags_and_kept_one_is_evaluated(world):
    with world():
        kept = candidate(age_bracket="45_54")
        dup = candidate(age_bracket="18_24")
    assert tag_names(dup) == {YOUNG_TALENT}
    with world():
        candidate_merge(kept=kept, merged=dup, actor=world.tenant.recruiter)
    assert not CandidateTag.objects.filter(content_object=dup, set_by_rule=True).exists()


def _import(kind, text, actor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from candidates.importing import import_job_create, import_job_run

    upload = SimpleUploadedFile(f"{kind}.csv", text.encode(), content_type="text/csv")
    job = import_job_create(kind=kind, upload=upload, actor=actor)
    job = import_job_run(job.pk)
    assert job.error_count == 0, job.errors
    return job


def test_imported_candidates_and_past_rejections_are_tagged(world):
    from candidates.models import Candidate

    hr = world.tenant.hr_admin
    with world():
        _import(
            "candidates",
            "email,first_name,age_bracket\nyan@example.com,Yan,18-24\nold@example.com,Ola,45-54\n",
            hr,
        )
        # Past applications: no outcome event is sent for them, only candidates_changed.
        _import(
            "applications",
            "email,position,stage,outcome\n"
            "old@example.com,Engineer,Final interview,rejected\n"
            "yan@example.com,Engineer,Screening,rejected\n",
            hr,
        )
    assert tag_names(Candidate.objects.get(email="yan@example.com")) == {YOUNG_TALENT}
    assert tag_names(Candidate.objects.get(email="old@example.com")) == {SILVER_MEDALIST}


def test_saving_a_rule_on_a_big_tenant_applies_it_in_the_background(world, settings):
    from pools.models import RuleRun

    settings.POOLS_RULE_SAVE_SYNC_CANDIDATES = 1
    with world():
        lead, other = candidate(seniority="lead"), candidate(seniority="lead")
    client = world.tenant.client(world.tenant.hr_admin)
    response = client.post(
        "/pools/rules/new/",
        {"name": "Leads", "tag_name": "leaders", "seniority": "lead", "is_active": "on"},
        follow=True,
    )
    assert "being applied in the background" in response.content.decode()
    assert tag_names(lead) == set()
    run = RuleRun.objects.get()
    from pools.services import rule_run_execute

    rule_run_execute(run=run)  # what the worker does (tested with a real one in test_worker)
    assert tag_names(lead) == tag_names(other) == {"leaders"}
