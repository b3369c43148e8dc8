from __future__ import annotations

import pytest
from django.dispatch import receiver
from taggit.models import Tag

from candidates.events import candidates_changed, candidates_merged
from candidates.models import (
    Activity,
    ActivityKind,
    Application,
    Candidate,
    CandidateTag,
    Outcome,
)
from candidates.pipeline import application_outcome_set, application_stage_move
from candidates.services import (
    CandidateError,
    candidate_merge,
    candidate_note_add,
    candidate_tags_add,
    candidate_tags_remove,
    candidate_update,
    candidate_upsert,
)
from tests.candidates import factories as f


def test_upsert_same_email_any_case_is_the_same_person(tenant_a):
    first, created = candidate_upsert(
        email="Ada@Example.com", actor=None, source="form", first_name="Ada"
    )
    assert created
    again, created = candidate_upsert(
        email="  ada@EXAMPLE.COM ",
        actor=None,
        source="import",
        first_name="",
        city="London",
        profession="Mathematician",
    )
    assert not created and again.pk == first.pk
    again.refresh_from_db()
    assert (again.first_name, again.city, again.source) == ("Ada", "London", "form")


def test_upsert_never_overwrites_filled_fields(tenant_a):
    cand, _ = candidate_upsert(
        email="x@example.com", actor=None, source="t", first_name="Xavier", city="Paris"
    )
    candidate_upsert(email="x@example.com", actor=None, source="t", first_name="X", city="Lyon")
    cand.refresh_from_db()
    assert (cand.first_name, cand.city) == ("Xavier", "Paris")


def test_upsert_rejects_bad_email_and_bad_choices(tenant_a):
    with pytest.raises(CandidateError, match="not a valid email"):
        candidate_upsert(email="nope", actor=None, source="t", first_name="N")
    with pytest.raises(CandidateError, match="seniority"):
        candidate_upsert(
            email="n@example.com", actor=None, source="t", first_name="N", seniority="god"
        )
    with pytest.raises(CandidateError, match="Unknown candidate fields"):
        candidate_upsert(email="n@example.com", actor=None, source="t", merged_into=1)
    assert not Candidate.objects.exists()


def test_upsert_adds_skills_case_insensitively(tenant_a):
    cand = f.candidate(email="s@example.com", skills=["Python"])
    candidate_upsert(email="s@example.com", actor=None, source="t", skills=["python", "SQL"])
    assert sorted(cand.skills.names()) == ["Python", "SQL"]


def test_services_send_candidates_changed_on_commit(tenant_a, django_capture_on_commit_callbacks):
    seen = []

    @receiver(candidates_changed, dispatch_uid="test-seen")
    def _seen(candidate_ids, reason, **kwargs):
        seen.append((tuple(candidate_ids), reason))

    try:
        with django_capture_on_commit_callbacks(execute=True):
            cand = f.candidate()
        with django_capture_on_commit_callbacks(execute=True):
            candidate_update(candidate=cand, actor=None, city="Berlin")
        with django_capture_on_commit_callbacks(execute=True):
            candidate_tags_add(candidates=[cand], names=["silver"], actor=None)
    finally:
        candidates_changed.disconnect(dispatch_uid="test-seen")
    assert seen == [((cand.pk,), "create"), ((cand.pk,), "edit"), ((cand.pk,), "tags")]


def test_update_refuses_an_email_of_someone_else(tenant_a):
    a = f.candidate(email="a@example.com")
    f.candidate(email="b@example.com")
    with pytest.raises(CandidateError, match="merge the two records"):
        candidate_update(candidate=a, actor=None, email="B@example.com")


def test_tags_are_validated_and_added_and_removed_in_bulk(tenant_a):
    a, b = f.candidate(), f.candidate()
    for bad, message in [
        (["x" * 101], "at most 100"),
        (["bad\x00tag"], "invisible"),
        (["  ", ""], "at least one tag"),
    ]:
        with pytest.raises(CandidateError, match=message):
            candidate_tags_add(candidates=[a], names=bad, actor=None)
    assert (
        candidate_tags_add(
            candidates=[a, b], names=[" Silver  medalist ", "silver medalist"], actor=None
        )
        == 2
    )
    assert Tag.objects.get(name__iexact="silver medalist").name == "Silver medalist"
    # A tag a rule had set becomes manual when a recruiter sets it.
    CandidateTag.objects.filter(content_object=a).update(set_by_rule=True)
    candidate_tags_add(candidates=[a], names=["SILVER MEDALIST"], actor=None)
    assert not CandidateTag.objects.get(content_object=a).set_by_rule
    assert candidate_tags_remove(candidates=[a, b], names=["silver medalist"], actor=None) == 2
    assert not CandidateTag.objects.exists()
    assert Activity.objects.filter(candidate=a, kind=ActivityKind.TAG).count() == 3


def test_stage_move_keeps_the_furthest_stage(tenant_a):
    app = f.application(f.candidate())
    application_stage_move(application=app, stage=f.stage("offer"), actor=None)
    application_stage_move(application=app, stage=f.stage("screening"), actor=None)
    app.refresh_from_db()
    assert (app.stage.slug, app.furthest_stage.slug) == ("screening", "offer")
    application_outcome_set(application=app, outcome=Outcome.REJECTED, actor=None)
    with pytest.raises(CandidateError, match="Only active"):
        application_stage_move(application=app, stage=f.stage("offer"), actor=None)


def test_merge_moves_everything_and_tells_other_apps(tenant_a):
    kept = f.candidate(
        email="jane.doe@example.com",
        first_name="Jane",
        last_name="Doe",
        skills=["Python"],
        interests=["AI"],
    )
    dup = f.candidate(
        email="janedoe+jobs@example.com",
        first_name="Jane",
        last_name="Doe",
        phone="+33 6 12",
        skills=["SQL"],
        interests=["Climate"],
    )
    shared = f.position()
    f.application(kept, shared)
    dup_app_same = f.application(dup, shared)
    application_stage_move(application=dup_app_same, stage=f.stage("interview"), actor=None)
    dup_app_other = f.application(dup)
    candidate_note_add(candidate=dup, body="Great call", actor=None)
    candidate_tags_add(candidates=[dup], names=["silver"], actor=None)
    referred = f.candidate(email="friend@example.com")
    Candidate.objects.filter(pk=referred.pk).update(referred_by=dup)

    seen = []

    @receiver(candidates_merged, dispatch_uid="test-merged")
    def _moved(kept, merged, **kwargs):
        # Still a normal record when other apps repoint their rows.
        seen.append((kept.pk, merged.pk, Candidate.objects.get(pk=merged.pk).merged_into_id))

    try:
        candidate_merge(kept=kept, merged=dup, actor=tenant_a.recruiter)
    finally:
        candidates_merged.disconnect(dispatch_uid="test-merged")

    assert seen == [(kept.pk, dup.pk, None)]
    kept.refresh_from_db()
    dup.refresh_from_db()
    assert dup.merged_into_id == kept.pk
    assert kept.phone == "+33 6 12"
    assert kept.interests == ["AI", "Climate"]
    assert sorted(kept.skills.names()) == ["Python", "SQL"]
    assert list(kept.tags.names()) == ["silver"]
    assert set(Application.objects.filter(candidate=kept).values_list("pk", flat=True)) >= {
        dup_app_other.pk
    }
    shared_app = Application.objects.get(candidate=kept, position=shared)
    assert shared_app.furthest_stage.slug == "interview"
    assert Activity.objects.filter(
        candidate=kept, kind=ActivityKind.NOTE, body="Great call"
    ).exists()
    assert not Activity.objects.filter(candidate=dup).exists()
    referred.refresh_from_db()
    assert referred.referred_by_id == kept.pk
    # The merged email still finds the kept person.
    again, created = candidate_upsert(email="janedoe+jobs@example.com", actor=None, source="t")
    assert (again.pk, created) == (kept.pk, False)
    with pytest.raises(CandidateError, match="already merged"):
        candidate_merge(kept=kept, merged=dup, actor=None)


def test_merge_is_rolled_back_when_another_app_fails(tenant_a):
    kept, dup = f.candidate(), f.candidate()
    app = f.application(dup)

    @receiver(candidates_merged, dispatch_uid="test-fail")
    def _fail(**kwargs):
        raise RuntimeError("consent could not move its ledger")

    try:
        with pytest.raises(RuntimeError):
            candidate_merge(kept=kept, merged=dup, actor=None)
    finally:
        candidates_merged.disconnect(dispatch_uid="test-fail")
    app.refresh_from_db()
    dup.refresh_from_db()
    assert app.candidate_id == dup.pk and dup.merged_into_id is None
