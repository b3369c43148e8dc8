"""Bulk rejection is set-based: the statements do not grow with the selection, and the people
affected are announced once (pool rules run once for all of them)."""

from __future__ import annotations

from django.db import connection
from django.dispatch import receiver
from django.test.utils import CaptureQueriesContext

from candidates.events import application_outcome_changed, candidates_changed
from candidates.models import Activity, ActivityKind
from feedback.models import Rejection
from feedback.services import applications_reject_bulk
from mailing.models import Message
from tests.feedback.helpers import application_at, position


def _reject(count: int, recruiter) -> CaptureQueriesContext:
    pos = position()
    apps = [application_at("applied", pos=pos) for _ in range(count)]
    with CaptureQueriesContext(connection) as captured:
        result = applications_reject_bulk(application_ids=[a.pk for a in apps], actor=recruiter)
    assert len(result.rejected) == count
    return captured


def test_round_trips_do_not_grow_with_the_selection(tenant_a):
    _reject(1, tenant_a.recruiter)  # what is read once per process (the tenant's domain)
    small = _reject(3, tenant_a.recruiter)
    large = _reject(40, tenant_a.recruiter)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_bulk_rejection_records_everything_and_announces_once(
    tenant_a, django_capture_on_commit_callbacks
):
    pos = position()
    apps = [application_at("applied", pos=pos) for _ in range(4)]
    seen, per_application = [], []

    @receiver(candidates_changed, dispatch_uid="test-feedback-bulk")
    def _seen(candidate_ids, reason, **kwargs):
        seen.append((sorted(candidate_ids), reason))

    @receiver(application_outcome_changed, dispatch_uid="test-feedback-bulk-app")
    def _per_app(application, **kwargs):
        per_application.append(application.pk)

    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = applications_reject_bulk(
                application_ids=[a.pk for a in apps], actor=tenant_a.recruiter
            )
    finally:
        candidates_changed.disconnect(dispatch_uid="test-feedback-bulk")
        application_outcome_changed.disconnect(dispatch_uid="test-feedback-bulk-app")

    assert seen == [(sorted(a.candidate_id for a in apps), "outcome")]
    assert per_application == []
    for app in apps:
        rejection = Rejection.objects.get(application=app)
        message = Message.objects.get(send_key=f"rejection:{app.pk}")
        assert rejection.message_id == message.pk
        assert message.candidate_id == app.candidate_id
        assert "/c/" in message.text  # the opt-in link, signed with the person's new link key
        entry = Activity.objects.get(candidate=app.candidate, kind=ActivityKind.EMAIL)
        assert entry.ref == f"mailing.message:{message.pk}"
        assert entry.data == {"rejection": rejection.pk, "send_at": None}
        assert entry.summary == f"Feedback email queued: {message.subject}"
    assert {r.pk for r in result.rejected} == set(
        Rejection.objects.filter(application__in=apps).values_list("pk", flat=True)
    )
