"""Rejecting one application: policy branching, exactly one email, delays, cancellation,
timeline, bad input."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from candidates.models import Activity, ActivityKind, Outcome
from candidates.pipeline import application_outcome_set
from feedback.configuration import policy_set
from feedback.content import CallNote
from feedback.models import Branch, FeedbackCall, FeedbackTemplate, Rejection
from feedback.selectors import next_morning_at
from feedback.services import (
    FeedbackError,
    application_reject,
    rejection_email_cancel,
    rejection_email_send,
)
from mailing.models import Message, MessageStatus
from tests.feedback.helpers import application_at, reasons


def _messages(application):
    return Message.objects.filter(send_key__startswith=f"rejection:{application.pk}")


def test_early_stage_gets_automatic_email_with_optin_link(tenant_a):
    app = application_at("screening", first_name="Léa")
    rejection = application_reject(application=app, actor=tenant_a.recruiter, reasons=[])

    app.refresh_from_db()
    assert app.outcome == Outcome.REJECTED
    assert rejection.branch == Branch.AUTOMATIC
    message = Message.objects.get(pk=rejection.message_id)
    assert message.send_key == f"rejection:{app.pk}"
    assert message.kind == "transactional"
    assert message.to_email == app.candidate.email
    assert "Dear Léa" in message.text
    assert "/c/" in message.text  # the consent opt-in link, absolute
    assert 'href="http' in message.html


def test_late_stage_is_personalised_and_requires_reasons_and_points(tenant_a):
    app = application_at("final-interview")
    with pytest.raises(FeedbackError, match="choose at least one reason"):
        application_reject(application=app, actor=tenant_a.recruiter, reasons=[])
    with pytest.raises(FeedbackError, match="personalised points"):
        application_reject(application=app, actor=tenant_a.recruiter, reasons=reasons("skills-gap"))
    app.refresh_from_db()
    assert app.outcome == Outcome.ACTIVE
    assert not _messages(app).exists()

    rejection = application_reject(
        application=app,
        actor=tenant_a.recruiter,
        reasons=reasons("skills-gap", "closer-fit"),
        personal_points="Your case study was clear; the SQL part needed more depth.",
        tips="Practise window functions.",
    )
    assert rejection.branch == Branch.PERSONALISED
    assert {r.key for r in rejection.reasons.all()} == {"skills-gap", "closer-fit"}
    message = Message.objects.get(pk=rejection.message_id)
    assert "the SQL part needed more depth" in message.text
    assert "Practise window functions." in message.text
    assert "essential for this role" in message.text  # reason wording


def test_policy_stage_is_the_boundary_and_hr_admin_can_move_it(tenant_a):
    from candidates.models import Stage

    interview = application_at("interview")
    screening = application_at("screening")
    with pytest.raises(FeedbackError):
        application_reject(application=interview, actor=tenant_a.recruiter, reasons=[])

    policy_set(actor=tenant_a.hr_admin, stage=Stage.objects.get(slug="screening"))
    with pytest.raises(FeedbackError, match="choose at least one reason"):
        application_reject(application=screening, actor=tenant_a.recruiter, reasons=[])

    policy_set(actor=tenant_a.hr_admin, stage=Stage.objects.get(slug="offer"))
    rejection = application_reject(application=interview, actor=tenant_a.recruiter, reasons=[])
    assert rejection.branch == Branch.AUTOMATIC


def test_furthest_stage_decides_the_branch(tenant_a):
    from candidates.models import Stage

    app = application_at("final-interview")
    app.stage = Stage.objects.get(slug="screening")
    app.save()
    with pytest.raises(FeedbackError, match="reached Final interview"):
        application_reject(application=app, actor=tenant_a.recruiter, reasons=[])


def test_reject_twice_is_refused_and_sends_one_email(tenant_a):
    app = application_at("applied")
    application_reject(application=app, actor=tenant_a.recruiter, reasons=[])
    with pytest.raises(FeedbackError, match="already rejected"):
        application_reject(application=app, actor=tenant_a.recruiter, reasons=[])
    assert _messages(app).count() == 1
    assert Rejection.objects.filter(application=app).count() == 1


def test_reopened_then_rejected_again_keeps_one_email(tenant_a):
    app = application_at("applied")
    application_reject(application=app, actor=tenant_a.recruiter, reasons=[])
    application_outcome_set(application=app, outcome=Outcome.ACTIVE, actor=tenant_a.recruiter)
    with pytest.raises(FeedbackError, match="sent only once"):
        application_reject(application=app, actor=tenant_a.recruiter, reasons=[])
    assert _messages(app).count() == 1


def test_hired_application_is_refused(tenant_a):
    app = application_at("offer")
    application_outcome_set(application=app, outcome=Outcome.HIRED, actor=tenant_a.recruiter)
    with pytest.raises(FeedbackError, match="already hired"):
        application_reject(
            application=app,
            actor=tenant_a.recruiter,
            reasons=reasons("skills-gap"),
            personal_points="x",
        )
    assert not _messages(app).exists()


def test_inactive_reason_is_refused(tenant_a):
    app = application_at("applied")
    reason = reasons("salary")[0]
    reason.is_active = False
    reason.save()
    with pytest.raises(FeedbackError, match="no longer in use"):
        application_reject(application=app, actor=tenant_a.recruiter, reasons=[reason])


def test_timeline_has_rejection_call_and_email_with_message_ref(tenant_a):
    app = application_at("final-interview")
    called = timezone.now() - timedelta(hours=2)
    rejection = application_reject(
        application=app,
        actor=tenant_a.recruiter,
        reasons=reasons("experience-level"),
        personal_points="Strong on analysis, light on stakeholder management.",
        tips="Lead one cross-team project.",
        call=CallNote(
            called_at=called,
            duration_minutes=20,
            internal_note="Seemed tired; mentioned a family illness.",
            candidate_summary="Walked through the case.",
        ),
    )
    entries = {a.ref: a for a in Activity.objects.filter(candidate=app.candidate)}
    # The rejection itself, with its reasons and what was said, comes from candidates' outcome
    # service (so pool rules fire); one entry, no duplicate.
    rejected = Activity.objects.get(candidate=app.candidate, kind=ActivityKind.OUTCOME)
    # The branch and reasons are the entry's parameters (read in each reader's language), the
    # body what the candidate was told.
    assert rejected.code == "feedback.rejected"
    assert rejected.params["branch"] == "personalised"
    assert rejected.params["reasons"] == "Experience level"
    assert rejected.text.endswith("Rejected (personalised feedback; reasons: Experience level)")
    assert "light on stakeholder management" in rejected.body
    assert "Lead one cross-team project." in rejected.body
    call = FeedbackCall.objects.get(rejection=rejection)
    assert entries[f"feedback.call:{call.pk}"].kind == ActivityKind.CALL
    assert entries[f"feedback.call:{call.pk}"].at == called
    email = entries[f"mailing.message:{rejection.message_id}"]
    assert email.kind == ActivityKind.EMAIL
    assert email.data["rejection"] == rejection.pk
    assert "family illness" in entries[f"feedback.call:{call.pk}"].body  # internal: timeline
    message = Message.objects.get(pk=rejection.message_id)
    assert "Walked through the case." in message.text
    assert "family illness" not in message.text + message.html + message.subject


@time_machine.travel(datetime(2026, 3, 10, 21, 30, tzinfo=ZoneInfo("Europe/Paris")), tick=False)
def test_next_morning_is_9am_in_the_tenant_time_zone(tenant_a):
    tenant_a.tenant.time_zone = "Europe/Paris"
    assert next_morning_at(None) == datetime(2026, 3, 11, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


@time_machine.travel(datetime(2026, 3, 11, 7, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False)
def test_next_morning_before_nine_is_the_same_day(tenant_a):
    tenant_a.tenant.time_zone = "Europe/Paris"
    assert next_morning_at(None) == datetime(2026, 3, 11, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


def test_delayed_email_waits_and_can_be_cancelled_then_sent_later(tenant_a):
    app = application_at("applied")
    later = timezone.now() + timedelta(hours=12)
    rejection = application_reject(
        application=app, actor=tenant_a.recruiter, reasons=[], send_at=later
    )
    message = Message.objects.get(pk=rejection.message_id)
    assert message.send_after == later
    assert not Message.objects.due().filter(pk=message.pk).exists()

    rejection_email_cancel(rejection=rejection, actor=tenant_a.recruiter)
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
    app.refresh_from_db()
    assert app.outcome == Outcome.REJECTED  # the rejection stays
    with pytest.raises(FeedbackError, match="already cancelled"):
        rejection_email_cancel(rejection=rejection, actor=tenant_a.recruiter)

    rejection = rejection_email_send(rejection=rejection, actor=tenant_a.recruiter)
    resent = Message.objects.get(pk=rejection.message_id)
    assert resent.pk != message.pk
    assert resent.status == MessageStatus.QUEUED
    with pytest.raises(FeedbackError, match="goes out once"):
        rejection_email_send(rejection=rejection, actor=tenant_a.recruiter)
    # At most one of the two rows can ever leave.
    assert _messages(app).exclude(status=MessageStatus.CANCELLED).count() == 1


def test_email_that_left_cannot_be_cancelled(tenant_a):
    app = application_at("applied")
    rejection = application_reject(application=app, actor=tenant_a.recruiter, reasons=[])
    Message.objects.filter(pk=rejection.message_id).update(
        status=MessageStatus.SENT, sent_at=timezone.now()
    )
    with pytest.raises(FeedbackError, match="already left"):
        rejection_email_cancel(rejection=rejection, actor=tenant_a.recruiter)


def test_past_send_time_means_now(tenant_a):
    app = application_at("applied")
    rejection = application_reject(
        application=app,
        actor=tenant_a.recruiter,
        reasons=[],
        send_at=timezone.now() - timedelta(minutes=5),
    )
    assert rejection.send_at is None
    assert Message.objects.due().filter(pk=rejection.message_id).exists()


def test_names_with_html_and_newlines_are_escaped_and_kept_out_of_headers(tenant_a):
    from feedback.models import FeedbackTemplate

    FeedbackTemplate.objects.filter(group=Branch.AUTOMATIC).update(
        subject="Hello {{ full_name }} about {{ position_title }}"
    )
    app = application_at(
        "applied", first_name="<script>alert(1)</script>\nBcc: evil@example.com", last_name="O'Neil"
    )
    app.position.title = "Analyst\r\nX-Injected: yes"
    app.position.save()
    rejection = application_reject(application=app, actor=tenant_a.recruiter, reasons=[])
    message = Message.objects.get(pk=rejection.message_id)
    assert "\n" not in message.subject and "\r" not in message.subject
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert "X-Injected" not in message.headers


def test_candidate_language_picks_the_template_else_the_built_in_one(tenant_a):
    french = application_at("applied", language="fr", first_name="Chloé")
    italian = application_at("applied", language="it", first_name="Giulia")
    # No Italian row in this tenant (made before Italian existed): the built-in Italian text.
    FeedbackTemplate.objects.filter(language="it").delete()
    fr = application_reject(application=french, actor=tenant_a.recruiter, reasons=[])
    it = application_reject(application=italian, actor=tenant_a.recruiter, reasons=[])
    assert "Bonjour Chloé" in Message.objects.get(pk=fr.message_id).text
    italian_email = Message.objects.get(pk=it.message_id)
    assert "Gentile Giulia" in italian_email.text
    assert '<html lang="it">' in italian_email.html
