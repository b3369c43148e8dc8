"""Bulk rejection from a position's applicant list."""

from __future__ import annotations

from django.urls import reverse

from candidates.models import Activity, Outcome
from candidates.pipeline import application_outcome_set
from feedback.models import Branch, Rejection
from feedback.services import applications_reject_bulk
from mailing.models import Message
from tests.feedback.helpers import application_at, position, reasons


def test_bulk_rejects_early_stage_and_refuses_personalised_ones(tenant_a):
    pos = position()
    early = [application_at(s, pos=pos) for s in ("applied", "applied", "screening")]
    late = application_at("interview", pos=pos)
    hired = application_at("offer", pos=pos)
    application_outcome_set(application=hired, outcome=Outcome.HIRED, actor=None)

    result = applications_reject_bulk(
        application_ids=[a.pk for a in [*early, late, hired]],
        actor=tenant_a.recruiter,
        reasons=reasons("position-closed"),
    )

    assert {r.application_id for r in result.rejected} == {a.pk for a in early}
    assert [a.pk for a in result.needs_personal] == [late.pk]
    assert [a.pk for a, _ in result.skipped] == [hired.pk]
    for app in early:
        app.refresh_from_db()
        assert app.outcome == Outcome.REJECTED
        rejection = Rejection.objects.get(application=app)
        assert rejection.branch == Branch.AUTOMATIC
        assert [r.key for r in rejection.reasons.all()] == ["position-closed"]
        message = Message.objects.get(send_key=f"rejection:{app.pk}")
        assert "The position has been filled or closed." in message.text
        assert Activity.objects.filter(
            candidate=app.candidate, ref=f"mailing.message:{message.pk}"
        ).exists()
        outcome = Activity.objects.get(candidate=app.candidate, kind="outcome")
        assert (outcome.code, outcome.params["reasons"]) == (
            "feedback.rejected",
            "Position filled or closed",
        )
        assert outcome.text.endswith("(automatic email; reasons: Position filled or closed)")
    late.refresh_from_db()
    assert late.outcome == Outcome.ACTIVE
    assert not Message.objects.filter(send_key__startswith=f"rejection:{late.pk}").exists()


def test_bulk_twice_sends_nothing_twice(tenant_a):
    apps = [application_at("applied") for _ in range(3)]
    ids = [a.pk for a in apps]
    first = applications_reject_bulk(application_ids=ids, actor=tenant_a.recruiter)
    second = applications_reject_bulk(application_ids=ids, actor=tenant_a.recruiter)
    assert len(first.rejected) == 3
    assert second.rejected == [] and len(second.skipped) == 3
    assert Message.objects.filter(send_key__in=[f"rejection:{i}" for i in ids]).count() == 3


def test_bulk_of_hundreds_queues_one_email_each(tenant_a):
    pos = position()
    apps = [application_at("applied", pos=pos) for _ in range(200)]
    result = applications_reject_bulk(
        application_ids=[a.pk for a in apps], actor=tenant_a.recruiter
    )
    assert len(result.rejected) == 200
    assert Message.objects.filter(send_key__in=[f"rejection:{a.pk}" for a in apps]).count() == 200


def test_bulk_pages_confirm_then_reject(tenant_a):
    pos = position()
    early = application_at("applied", pos=pos, first_name="Early")
    late = application_at("final-interview", pos=pos, first_name="Late")
    client = tenant_a.client(tenant_a.recruiter)
    ids = {"application_ids": [str(early.pk), str(late.pk)]}

    page = client.post(reverse("feedback:bulk"), ids)
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 candidate needs personal feedback" in html
    assert reverse("feedback:reject", args=[late.pk]) in html
    early.refresh_from_db()
    assert early.outcome == Outcome.ACTIVE  # nothing happens before confirming

    done = client.post(reverse("feedback:bulk"), {**ids, "confirm": "1", "timing": "now"})
    assert done.status_code == 302
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.outcome == Outcome.REJECTED
    assert late.outcome == Outcome.ACTIVE


def test_bulk_page_with_nothing_selected_says_so(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(reverse("feedback:bulk"), {}, follow=True)
    assert response.status_code == 200
    assert "Select at least one application" in response.content.decode()


def test_large_selection_goes_to_a_run_executed_once(
    tenant_a, settings, django_capture_on_commit_callbacks
):
    from feedback.models import BulkRejectRun, RunStatus
    from feedback.services import bulk_run_execute

    settings.FEEDBACK_BULK_SYNC_LIMIT = 2
    pos = position()
    early = [application_at("applied", pos=pos) for _ in range(3)]
    late = application_at("interview", pos=pos)
    client = tenant_a.client(tenant_a.recruiter)
    ids = [str(a.pk) for a in [*early, late]]
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("feedback:bulk"), {"application_ids": ids, "confirm": "1", "timing": "now"}
        )
    assert response.status_code == 302
    assert len(callbacks) == 1  # the worker task, enqueued on commit
    run = BulkRejectRun.objects.get()
    assert run.status == RunStatus.QUEUED
    early[0].refresh_from_db()
    assert early[0].outcome == Outcome.ACTIVE  # nothing rejected in the request

    run = bulk_run_execute(run=run)
    assert (run.status, run.rejected_count, run.needs_personal_count) == (RunStatus.DONE, 3, 1)
    assert bulk_run_execute(run=run).rejected_count == 3  # a redelivery does nothing
    assert Message.objects.filter(send_key__in=[f"rejection:{a.pk}" for a in early]).count() == 3
    home = client.get(reverse("feedback:home")).content.decode()
    assert "3 rejected with the automatic email" in home


def test_failed_run_rejects_nothing_and_says_why(tenant_a):
    from feedback.models import BulkRejectRun, FeedbackTemplate, RunStatus
    from feedback.services import bulk_run_execute

    app = application_at("applied")
    FeedbackTemplate.objects.filter(group=Branch.AUTOMATIC).delete()
    run = BulkRejectRun.objects.create(application_ids=[app.pk])
    run = bulk_run_execute(run=run)
    assert run.status == RunStatus.FAILED
    assert "No automatic rejection template" in run.error
    app.refresh_from_db()
    assert app.outcome == Outcome.ACTIVE


def test_bulk_returns_to_the_list_it_came_from_but_never_to_another_site(tenant_a):
    app = application_at("applied")
    client = tenant_a.client(tenant_a.recruiter)
    data = {"application_ids": [str(app.pk)], "confirm": "1", "timing": "now"}
    own = f"http://{tenant_a.host}/candidates/positions/{app.position_id}/"
    response = client.post(reverse("feedback:bulk"), {**data, "back": own})
    assert response["Location"] == own
    other = application_at("applied")
    evil = client.post(
        reverse("feedback:bulk"),
        {**data, "application_ids": [str(other.pk)]},
        HTTP_REFERER="https://evil.example/phish",
    )
    assert evil["Location"] == reverse("feedback:home")


def test_candidate_without_a_valid_address_is_listed_not_fatal(tenant_a):
    good = application_at("applied")
    bad = application_at("applied", email="not-an-address")
    result = applications_reject_bulk(application_ids=[good.pk, bad.pk], actor=tenant_a.recruiter)
    assert [r.application_id for r in result.rejected] == [good.pk]
    assert [(a.pk, "no valid email address" in why) for a, why in result.skipped] == [
        (bad.pk, True)
    ]
    bad.refresh_from_db()
    assert bad.outcome == Outcome.ACTIVE
