from __future__ import annotations

import pytest
from taggit.models import Tag

from candidates.criteria import CriteriaForm
from candidates.models import Candidate
from candidates.services import candidate_merge, candidate_tags_add
from pools.models import Pool, PoolKind
from pools.selectors import criteria_conflicts, pool_members, pool_problem
from pools.services import PoolError, pool_members_add, pool_members_remove, pool_save
from tests.pools.helpers import application, candidate, reach, reject


def criteria(**data):
    """Cleaned criteria, through the same form as the candidate list."""
    form = CriteriaForm(data)
    assert form.is_valid(), form.errors
    return form.active()


def smart(name, actor=None, **data):
    return pool_save(actor=actor, name=name, kind=PoolKind.SMART, criteria=criteria(**data))


def static(name, actor=None):
    return pool_save(actor=actor, name=name, kind=PoolKind.STATIC)


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


@pytest.fixture
def people(tenant_a, django_capture_on_commit_callbacks):
    """Silver medalists and others, created through the candidates services (rules fire)."""
    with django_capture_on_commit_callbacks(execute=True):
        silver_py = candidate(skills=["Python"], country="FR", profession="Backend engineer")
        silver_java = candidate(skills=["Java"], country="FR", profession="Backend engineer")
        silver_py_de = candidate(skills=["Python"], country="DE", seniority="senior")
        active_py = candidate(skills=["Python"], country="FR")
        for person in (silver_py, silver_java, silver_py_de):
            app = application(person)
            reach(app, "final-interview")
            reject(app)
        reach(application(active_py), "offer")
    return {
        "silver_py": silver_py,
        "silver_java": silver_java,
        "silver_py_de": silver_py_de,
        "active_py": active_py,
    }


def test_smart_pool_is_evaluated_live(people, django_capture_on_commit_callbacks):
    pool = smart("Silver pythonistas", tags_all=["silver-medalist"], skills_all=["Python"])
    assert ids(pool_members(pool)) == {people["silver_py"].pk, people["silver_py_de"].pk}
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = candidate(skills=["python"])
        app = application(newcomer)
        reach(app, "offer")
        reject(app)
    assert newcomer.pk in ids(pool_members(pool))


def test_static_pool_holds_only_hand_picked_members(people):
    pool = static("Call back in spring")
    added = pool_members_add(
        actor=None, pool=pool, candidates=[people["active_py"].pk, people["silver_java"].pk]
    )
    assert added == 2
    assert pool_members_add(actor=None, pool=pool, candidates=[people["active_py"].pk]) == 0
    assert ids(pool_members(pool)) == {people["active_py"].pk, people["silver_java"].pk}
    pool_members_remove(actor=None, pool=pool, candidates=[people["silver_java"].pk])
    assert ids(pool_members(pool)) == {people["active_py"].pk}


def test_smart_pools_take_no_hand_picked_members(people):
    pool = smart("FR", country="FR")
    with pytest.raises(PoolError, match="smart pool"):
        pool_members_add(actor=None, pool=pool, candidates=[people["active_py"].pk])


def test_merged_records_leave_pools(people, tenant_a):
    pool = static("Keep")
    pool_members_add(actor=None, pool=pool, candidates=[people["active_py"].pk])
    candidate_merge(kept=people["silver_py"], merged=people["active_py"], actor=tenant_a.recruiter)
    assert people["active_py"].pk not in ids(pool_members(pool))
    assert people["active_py"].pk not in ids(pool_members(smart("All FR", country="FR")))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"tags_all": ["silver-medalist"], "country": "FR"}, {"silver_py", "silver_java"}),
        ({"tags_none": ["silver-medalist"], "skills_any": ["Python"]}, {"active_py"}),
        ({"skills_all": ["Python"], "country": "FR"}, {"silver_py", "active_py"}),
        ({"stage_reached": "final-interview", "outcome": "active"}, {"active_py"}),
        (
            {"stage_reached": "final-interview", "outcome": "rejected", "seniority": ["senior"]},
            {"silver_py_de"},
        ),
        ({"profession": "backend engineer", "skills_any": ["Java"]}, {"silver_java"}),
    ],
)
def test_criteria_combinations(people, data, expected):
    pool = smart("Combination", **data)
    assert ids(pool_members(pool)) == {people[key].pk for key in expected}


def test_member_of_pool_criterion_combines_static_and_smart(people):
    picked = static("Picked")
    pool_members_add(actor=None, pool=picked, candidates=[people["silver_py_de"].pk])
    german_pick = smart("Picked seniors", pools=[str(picked.pk)], seniority=["senior"])
    assert ids(pool_members(german_pick)) == {people["silver_py_de"].pk}
    french = smart("French", country="FR")
    either = smart("Picked or French", pools=[str(picked.pk), str(french.pk)])
    assert ids(pool_members(either)) == {
        people["silver_py_de"].pk,
        people["silver_py"].pk,
        people["silver_java"].pk,
        people["active_py"].pk,
    }


def test_a_pool_cannot_contain_itself(people):
    first = smart("First", country="FR")
    second = smart("Second", pools=[str(first.pk)])
    with pytest.raises(PoolError, match="refers to itself"):
        pool_save(actor=None, pool=first, name="First", criteria=criteria(pools=[str(second.pk)]))


def test_contradictory_criteria_give_an_empty_pool_and_a_notice(people):
    cleaned = criteria(tags_all=["silver-medalist"], tags_none=["silver-medalist"])
    assert criteria_conflicts(cleaned) == [
        "Tag silver-medalist is both required and excluded, so no candidate can match."
    ]
    pool = pool_save(actor=None, name="Nobody", kind=PoolKind.SMART, criteria=cleaned)
    assert pool_members(pool).count() == 0


def test_a_smart_pool_needs_criteria_and_a_unique_name(people):
    with pytest.raises(PoolError, match="at least one criterion"):
        pool_save(actor=None, name="Everyone", kind=PoolKind.SMART, criteria={})
    smart("Twice", country="FR")
    with pytest.raises(PoolError, match="already exists"):
        smart("  twice ", country="DE")


def test_deleted_tag_empties_the_pool_with_a_clear_reason(people):
    candidate_tags_add(candidates=[people["active_py"]], names=["shortlist"], actor=None)
    pool = smart("Shortlist", tags_any=["shortlist"])
    assert pool_members(pool).count() == 1
    Tag.objects.filter(name="shortlist").delete()
    pool.refresh_from_db()
    # Never wider: the pool has no members rather than everyone.
    assert pool_members(pool).count() == 0
    assert "shortlist" in pool_problem(pool)
    assert "does not exist" in pool_problem(pool)


def test_deleted_member_pool_is_reported(people):
    picked = static("Temporary")
    pool_members_add(actor=None, pool=picked, candidates=[people["active_py"].pk])
    outer = smart("Outer", pools=[str(picked.pk)])
    assert ids(pool_members(outer)) == {people["active_py"].pk}
    assert pool_problem(outer) == ""
    gone = picked.pk
    picked.delete()
    outer = Pool.objects.get(pk=outer.pk)
    # Never wider: no members (not everyone, as dropping the broken criterion would give).
    assert ids(pool_members(outer)) == set()
    assert pool_problem(outer) == (
        "These criteria are no longer valid — Member of pool: "
        f"The pool {gone} does not exist any more (deleted?)."
    )


def test_anonymised_candidates_are_never_members(people):
    Candidate.objects.filter(pk=people["active_py"].pk).update(anonymised_at="2026-01-01T00:00Z")
    pool = smart("Pythonistas", skills_any=["Python"])
    assert people["active_py"].pk not in ids(pool_members(pool))
