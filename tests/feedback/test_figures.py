"""Dashboard figures and demo data."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from consent.models import Purpose, Source
from consent.services import consent_grant
from feedback.demo import demo_seed
from feedback.models import Branch, Rejection
from feedback.selectors import feedback_figures
from feedback.services import application_reject
from mailing.models import Message, MessageStatus
from tests.feedback.helpers import application_at, reasons


def _late_reject(app, actor):
    return application_reject(
        application=app, actor=actor, reasons=reasons("team-fit"), personal_points="Thanks."
    )


def test_optin_rate_by_branch_and_stage_and_decision_to_email_time(tenant_a):
    early = [application_at("applied") for _ in range(4)]
    late = [application_at("final-interview") for _ in range(2)]
    rejections = [
        application_reject(application=a, actor=tenant_a.recruiter, reasons=[]) for a in early
    ] + [_late_reject(a, tenant_a.recruiter) for a in late]
    # One early and both late candidates opt in after their rejection.
    for app in (early[0], *late):
        consent_grant(
            candidate=app.candidate, purpose=Purpose.TALENT_POOL, source=Source.OPTIN_LINK
        )
    for rejection, minutes in zip(rejections, (10, 20, 30, 40, 50, 60), strict=True):
        Message.objects.filter(pk=rejection.message_id).update(
            status=MessageStatus.SENT, sent_at=rejection.decided_at + timedelta(minutes=minutes)
        )

    figures = feedback_figures()
    assert figures["optin_by_branch"] == [
        {"label": "Automatic email", "total": 4, "opted": 1, "rate": 25},
        {"label": "Personalised feedback", "total": 2, "opted": 2, "rate": 100},
    ]
    assert figures["optin_by_stage"] == [
        {"label": "Applied", "total": 4, "opted": 1, "rate": 25},
        {"label": "Final interview", "total": 2, "opted": 2, "rate": 100},
    ]
    assert figures["median_delay"] == "40 min"
    assert (figures["late_total"], figures["late_personal"], figures["personal_share"]) == (
        2,
        2,
        100,
    )


def test_late_rejection_without_feedback_lowers_the_personalised_share(tenant_a):
    from candidates.models import Outcome
    from candidates.pipeline import application_outcome_set

    before = feedback_figures()
    skipped = application_at("final-interview")
    application_outcome_set(application=skipped, outcome=Outcome.REJECTED, actor=None)
    after = feedback_figures()
    assert after["late_total"] == before["late_total"] + 1
    assert after["late_personal"] == before["late_personal"]


def test_demo_seed_creates_past_rejections_once(tenant_a):
    early = [application_at("applied") for _ in range(4)]
    late = [application_at("final-interview") for _ in range(2)]
    Rejection.objects.all().delete()
    demo_seed(rng=random.Random(1))
    # Three of the early applications get the automatic email, both late ones personal
    # feedback; each decision is backdated 2 to 40 days, each email is in the outbox.
    rejections = list(Rejection.objects.select_related("application"))
    by_branch = sorted((r.branch, r.application_id in {a.pk for a in late}) for r in rejections)
    assert by_branch == [(Branch.AUTOMATIC, False)] * 3 + [(Branch.PERSONALISED, True)] * 2
    assert {r.application_id for r in rejections} < {a.pk for a in early + late}
    now = timezone.now()
    for rejection in rejections:
        assert now - timedelta(days=41) < rejection.decided_at < now - timedelta(days=2)
        assert rejection.message_id is not None
        assert Message.objects.filter(pk=rejection.message_id).exists()
    demo_seed(rng=random.Random(1))
    assert Rejection.objects.count() == 5
