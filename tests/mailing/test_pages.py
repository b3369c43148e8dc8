from __future__ import annotations

from mailing.kinds import MessageKind
from mailing.models import EmailTemplate, Message, MessageStatus
from mailing.services import email_template_render, email_template_save, message_enqueue


def _message(n=1, **overrides):
    fields = {
        "send_key": f"page:{n}",
        "kind": MessageKind.TRANSACTIONAL,
        "to_email": f"person{n}@example.com",
        "subject": f"Subject number {n}",
        "html": f"<p>Body {n}</p><script>alert(1)</script>",
        "text": f"Body {n}",
    }
    return message_enqueue(**(fields | overrides))


def test_sent_mail_list_filters_by_status(tenant_a):
    queued = _message(1)
    sent = _message(2)
    Message.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT)
    client = tenant_a.client(tenant_a.recruiter)
    page = client.get("/mail/").content.decode()
    assert queued.subject in page and sent.subject in page
    page = client.get("/mail/", {"status": "sent"}).content.decode()
    assert sent.subject in page and queued.subject not in page
    partial = client.get("/mail/", {"status": "queued"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert queued.subject in partial.content.decode()


def test_detail_shows_text_headers_and_a_sandboxed_html_view(tenant_a):
    message = _message(1)
    client = tenant_a.client(tenant_a.recruiter)
    page = client.get(f"/mail/{message.pk}/").content.decode()
    assert "Body 1" in page and "Message-ID" in page
    assert f'src="/mail/{message.pk}/html"' in page and "sandbox" in page
    html = client.get(f"/mail/{message.pk}/html")
    assert html.status_code == 200
    assert html["Content-Security-Policy"].startswith("sandbox")
    assert html["X-Frame-Options"] == "SAMEORIGIN"


def test_other_tenants_cannot_see_a_message(tenant_a, tenant_b):
    tenant_a.activate()
    message = _message(1)
    client = tenant_b.client(tenant_b.recruiter)
    assert client.get(f"/mail/{message.pk}/").status_code == 404
    assert client.get(f"/mail/{message.pk}/html").status_code == 404


def test_dashboard_links_to_sent_mail(tenant_a):
    page = tenant_a.client(tenant_a.recruiter).get("/").content.decode()
    assert 'href="/mail/"' in page


def test_recruiters_cannot_edit_templates(tenant_a):
    assert tenant_a.client(tenant_a.recruiter).get("/mail/templates/").status_code == 403


def test_hostile_template_is_refused_with_the_tag_named(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    response = client.post(
        "/mail/templates/recruiter_note/",
        {
            "language": "en",
            "subject": "Hi {{ first_name }}",
            "body": "Key: {{ settings.SECRET_KEY }} {% debug %} {{ ''.__class__ }} {{ salary }}",
            "action": "save",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "settings.SECRET_KEY" in page and "{{ salary }}" in page
    assert "Malformed merge tags" in page and "Unknown merge tags" in page
    assert not EmailTemplate.objects.exists()


def test_save_preview_and_send_me_a_test(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    data = {
        "language": "fr",
        "subject": "Bonjour {{ first_name }}",
        "body": "Salut **{{ first_name }}**",
    }
    preview = client.post("/mail/templates/recruiter_note/", data | {"action": "preview"})
    assert "Bonjour Ada" in preview.content.decode()  # sample data
    assert not EmailTemplate.objects.exists()

    response = client.post("/mail/templates/recruiter_note/", data | {"action": "test"})
    assert response.status_code == 200
    test_mail = Message.objects.get(to_email=tenant_a.hr_admin.email)
    assert test_mail.kind == MessageKind.TRANSACTIONAL
    assert test_mail.subject == "[Test] Bonjour Ada"

    response = client.post("/mail/templates/recruiter_note/", data | {"action": "save"})
    assert response.status_code == 302
    assert (
        EmailTemplate.objects.get(key="recruiter_note", language="fr").updated_by
        == tenant_a.hr_admin
    )


def test_language_uses_hr_text_in_it_else_the_built_in_text_in_it(tenant_a):
    rendered = email_template_render(
        key="recruiter_note", context={"first_name": "Ada"}, language="de"
    )
    assert rendered.subject == f"Eine Nachricht von {tenant_a.tenant.from_name}"
    assert '<html lang="de">' in rendered.html
    email_template_save(
        key="recruiter_note", language="en", subject="Hello {{ first_name }}", body="Hi", actor=None
    )
    # HR's English does not reach a German reader: the built-in German does, never a mix.
    assert (
        email_template_render(
            key="recruiter_note", context={"first_name": "Ada"}, language="de"
        ).subject
        == f"Eine Nachricht von {tenant_a.tenant.from_name}"
    )
    assert (
        email_template_render(
            key="recruiter_note", context={"first_name": "Ada"}, language="en"
        ).subject
        == "Hello Ada"
    )
    email_template_save(
        key="recruiter_note", language="de", subject="Hallo {{ first_name }}", body="Hi", actor=None
    )
    assert (
        email_template_render(
            key="recruiter_note", context={"first_name": "Ada"}, language="de"
        ).subject
        == "Hallo Ada"
    )
