"""Set-based services for bulk actions: many outcomes and timeline entries in a constant number
of statements, with the same refusals and one event for everyone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.dispatch import receiver
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from candidates.events import application_outcome_changed, candidates_changed
from candidates.models import Activity, ActivityKind, Candidate, Outcome, Stage
from candidates.pipeline import application_outcome_set, application_outcomes_set_many
from candidates.services import CandidateError, activity_record_many
from pools.defaults import SILVER_MEDALIST
from tests.candidates import factories as f


def _applications(count: int, stage_slug: str = "applied"):
    pos = f.position()
    apps = [f.application(f.candidate(), pos) for _ in range(count)]
    stage = Stage.objects.get(slug=stage_slug)
    for app in apps:
        app.stage = app.furthest_stage = stage
        app.save(update_fields=["stage", "furthest_stage"])
    return apps


def test_outcomes_set_many_closes_all_with_a_timeline_entry_each(tenant_a):
    apps = _applications(3)
    old = timezone.now() - dt.timedelta(days=30)
    Candidate.objects.filter(pk__in=[a.candidate_id for a in apps]).update(last_activity_at=old)

    closed = application_outcomes_set_many(
        applications=apps,
        outcome=Outcome.REJECTED,
        actor=tenant_a.recruiter,
        note="Position closed.",
        note_by_id={apps[0].pk: "Told on the phone."},
    )

    assert sorted(a.pk for a in closed) == sorted(a.pk for a in apps)
    for app in apps:
        app.refresh_from_db()
        assert app.outcome == Outcome.REJECTED and app.outcome_at is not None
        entry = Activity.objects.get(application=app, kind=ActivityKind.OUTCOME)
        assert entry.summary == f"{app.position.title}: Rejected"
        assert entry.actor == tenant_a.recruiter
        assert entry.body == ("Told on the phone." if app == apps[0] else "Position closed.")
        assert Candidate.objects.get(pk=app.candidate_id).last_activity_at > old


def test_outcomes_set_many_refuses_a_closed_application_and_writes_nothing(tenant_a):
    apps = _applications(3)
    application_outcome_set(application=apps[1], outcome=Outcome.HIRED, actor=None)
    with pytest.raises(CandidateError, match="already hired"):
        application_outcomes_set_many(applications=apps, outcome=Outcome.REJECTED, actor=None)
    apps[0].refresh_from_db()
    assert apps[0].outcome == Outcome.ACTIVE
    assert not Activity.objects.filter(application=apps[0], kind=ActivityKind.OUTCOME).exists()


def test_outcomes_set_many_refuses_reopening(tenant_a):
    with pytest.raises(CandidateError, match="closing outcome"):
        application_outcomes_set_many(
            applications=_applications(1), outcome=Outcome.ACTIVE, actor=None
        )


def test_outcomes_set_many_statements_do_not_grow_with_the_selection(tenant_a):
    few, many = _applications(2), _applications(20)
    with CaptureQueriesContext(connection) as small:
        application_outcomes_set_many(applications=few, outcome=Outcome.REJECTED, actor=None)
    with CaptureQueriesContext(connection) as large:
        application_outcomes_set_many(applications=many, outcome=Outcome.REJECTED, actor=None)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_outcomes_set_many_sends_one_event_and_pool_rules_follow(
    tenant_a, django_capture_on_commit_callbacks
):
    apps = _applications(3, stage_slug="final-interview")
    seen, per_application = [], []

    @receiver(candidates_changed, dispatch_uid="test-bulk-seen")
    def _seen(candidate_ids, reason, **kwargs):
        seen.append((sorted(candidate_ids), reason))

    @receiver(application_outcome_changed, dispatch_uid="test-bulk-per-app")
    def _per_app(application, **kwargs):
        per_application.append(application.pk)

    try:
        with django_capture_on_commit_callbacks(execute=True):
            application_outcomes_set_many(applications=apps, outcome=Outcome.REJECTED, actor=None)
    finally:
        candidates_changed.disconnect(dispatch_uid="test-bulk-seen")
        application_outcome_changed.disconnect(dispatch_uid="test-bulk-per-app")
    assert seen == [(sorted(a.candidate_id for a in apps), "outcome")]
    assert per_application == []
    # The default "Silver medalists" rule (rejected after the final interview) tagged them all.
    for app in apps:
        assert SILVER_MEDALIST in set(app.candidate.tags.names())


def test_activity_record_many_moves_last_activity_forward_only_when_asked(tenant_a):
    old = timezone.now() - dt.timedelta(days=30)
    a, b = f.candidate(), f.candidate()
    Candidate.objects.filter(pk__in=[a.pk, b.pk]).update(last_activity_at=old)
    later = timezone.now()

    activity_record_many(
        activities=[
            Activity(candidate_id=a.pk, kind=ActivityKind.NOTE, summary="x" * 400, at=later),
            Activity(candidate_id=a.pk, kind=ActivityKind.NOTE, summary="earlier", at=old),
        ]
    )
    activity_record_many(
        activities=[Activity(candidate_id=b.pk, kind=ActivityKind.EMAIL, summary="Email sent")],
        bump_last_activity=False,
    )

    a.refresh_from_db()
    b.refresh_from_db()
    assert a.last_activity_at == later
    assert b.last_activity_at == old
    assert Activity.objects.filter(candidate=a, kind=ActivityKind.NOTE).count() == 2
    assert len(Activity.objects.get(candidate=a, at=later).summary) == 300
    assert Activity.objects.filter(candidate=b, summary="Email sent").exists()
