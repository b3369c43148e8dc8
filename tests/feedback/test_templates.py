"""Rejection email templates: allow-listed merge tags, mandatory opt-in link, HR admin only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from feedback.configuration import template_save, template_validate
from feedback.models import Branch, FeedbackTemplate


def test_template_without_optin_link_is_refused(tenant_a):
    with pytest.raises(ValidationError, match="opt-in link"):
        template_validate(subject="Hi {{ first_name }}", body="Sorry, {{ first_name }}.")


@pytest.mark.parametrize(
    "body",
    [
        "{{ optin_url }} {% load static %}",
        "{{ optin_url }} {{ candidate.email }}",
        "{{ optin_url }} {{ first_name|upper }}",
        "{{ optin_url }} {{ settings }}",
        "{{ optin_url }} {{ first_name",
        "{{ optin_url }} {# comment #}",
    ],
)
def test_hostile_tags_are_refused(tenant_a, body):
    with pytest.raises(ValidationError):
        template_validate(subject="Subject", body=body)


def test_valid_template_saves(tenant_a):
    template = template_save(
        actor=tenant_a.hr_admin,
        group=Branch.AUTOMATIC,
        language="it",
        subject="La tua candidatura per {{ position_title }}",
        body="Ciao {{ first_name }}, [resta in contatto]({{ optin_url }})",
    )
    assert FeedbackTemplate.objects.get(pk=template.pk).language == "it"


def test_edit_page_refuses_missing_optin_and_keeps_the_text(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    url = reverse("feedback:template_edit", args=["automatic", "en"])
    body = "Dear {{ first_name }}, thanks."
    response = client.post(url, {"subject": "Hi", "body": body, "action": "save"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "opt-in link" in html
    assert "Dear {{ first_name }}, thanks." in html
    assert FeedbackTemplate.objects.get(group="automatic", language="en").subject != "Hi"


def test_edit_page_previews_on_sample_data(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    url = reverse("feedback:template_edit", args=["personalised", "en"])
    response = client.post(
        url,
        {
            "subject": "For {{ first_name }}",
            "body": "Hello {{ first_name }} [stay]({{ optin_url }})",
            "action": "preview",
        },
    )
    assert response.status_code == 200
    assert "For Alex" in response.content.decode()


def test_recruiters_cannot_edit_settings(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)
    for name, args in [
        ("feedback:templates", []),
        ("feedback:template_edit", ["automatic", "en"]),
        ("feedback:reasons", []),
        ("feedback:policy", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403


def test_unknown_template_group_is_404(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    assert client.get(reverse("feedback:template_edit", args=["x", "en"])).status_code == 404
