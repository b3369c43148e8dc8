"""Reasons and stage policy (HR admin), and defaults for new tenants."""

from __future__ import annotations

from django.urls import reverse

from candidates.models import Stage
from feedback.defaults import feedback_install_defaults
from feedback.models import FeedbackPolicy, FeedbackTemplate, ReasonCategory, RejectionReason


def test_new_tenant_has_defaults_and_installing_again_adds_nothing(tenant_a):
    reasons = RejectionReason.objects.count()
    templates = FeedbackTemplate.objects.count()
    assert reasons >= 9
    assert RejectionReason.objects.filter(category=ReasonCategory.CANDIDATE_DECLINED).exists()
    assert FeedbackPolicy.objects.get().personalised_from.slug == "interview"
    assert {t.language for t in FeedbackTemplate.objects.all()} >= {"en", "fr", "de"}

    feedback_install_defaults()
    assert RejectionReason.objects.count() == reasons
    assert FeedbackTemplate.objects.count() == templates
    assert FeedbackPolicy.objects.count() == 1


def test_hr_admin_adds_renames_and_deactivates_a_reason(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    response = client.post(
        reverse("feedback:reasons"),
        {
            "category": "we_decided",
            "label": "Visa sponsorship",
            "candidate_wording": "We cannot sponsor a work visa for this role.",
            "tip": "",
            "order": 200,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    reason = RejectionReason.objects.get(label="Visa sponsorship")
    assert reason.key == "visa-sponsorship"

    response = client.post(
        reverse("feedback:reason_edit", args=[reason.pk]),
        {
            "category": "we_decided",
            "label": "Work permit",
            "candidate_wording": "We cannot sponsor a work permit for this role.",
            "tip": "",
            "order": 200,
        },
    )
    assert response.status_code == 302
    reason.refresh_from_db()
    assert reason.label == "Work permit" and not reason.is_active
    assert reason not in RejectionReason.objects.active()


def test_duplicate_reason_label_is_refused_with_a_message(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    response = client.post(
        reverse("feedback:reasons"),
        {"category": "we_decided", "label": "skills GAP", "candidate_wording": "x", "order": 1},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_hr_admin_sets_the_policy_stage(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    final = Stage.objects.get(slug="final-interview")
    response = client.post(reverse("feedback:policy"), {"personalised_from": final.pk})
    assert response.status_code == 302
    assert FeedbackPolicy.objects.get().personalised_from == final
    bad = client.post(reverse("feedback:policy"), {"personalised_from": "999999"})
    assert bad.status_code == 200


def test_deleting_the_policy_stage_is_not_blocked_and_falls_back_to_personalised(tenant_a):
    from candidates.pipeline import stage_delete
    from feedback.models import Branch
    from feedback.selectors import application_branch
    from tests.feedback.helpers import application_at

    stage = Stage.objects.create(name="Assessment", slug="assessment", order=25)
    FeedbackPolicy.objects.update(personalised_from=stage)
    stage_delete(stage=stage, actor=tenant_a.hr_admin)
    assert FeedbackPolicy.objects.get().personalised_from is None
    assert application_branch(application_at("applied")) == Branch.PERSONALISED
    client = tenant_a.client(tenant_a.hr_admin)
    assert "choose the stage" in client.get(reverse("feedback:home")).content.decode()
