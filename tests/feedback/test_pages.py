"""The reject flow over HTTP: form, htmx guidance, preview (same render as the send), send,
feedback page, cancel, PDF, home, and tenant isolation."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta
from io import BytesIO

from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from candidates.models import Outcome
from feedback.models import Rejection
from feedback.services import application_reject
from mailing.models import Message, MessageStatus
from tests.feedback.helpers import application_at, reasons


def _form(**extra):
    data = {"timing": "now", "personal_points": "", "tips": ""}
    data.update(extra)
    return data


def test_preview_shows_exactly_what_is_sent(tenant_a):
    app = application_at("final-interview", first_name="Ana")
    client = tenant_a.client(tenant_a.recruiter)
    url = reverse("feedback:reject", args=[app.pk])
    reason = reasons("skills-gap")[0]
    data = _form(
        reasons=[reason.pk],
        personal_points="Great **portfolio**; <b>SQL</b> needs depth.",
        tips="Practise SQL.",
        action="preview",
    )
    page = client.get(url)
    assert page.status_code == 200
    assert "Skills gap" in page.content.decode()

    preview = client.post(url, data)
    assert preview.status_code == 200
    body = preview.content.decode()
    # The email is shown in a sandboxed frame loading it from its own URL (never srcdoc: the
    # page's CSP would refuse the email's inline styles there).
    frame_url = html_lib.unescape(re.search(r'<iframe[^>]* sandbox src="([^"]*)"', body).group(1))
    frame = client.get(frame_url)
    assert "sandbox" in frame["Content-Security-Policy"]
    srcdoc = frame.content.decode()
    # The preview belongs to who made it.
    assert tenant_a.client(tenant_a.hr_admin).get(frame_url).status_code == 404
    app.refresh_from_db()
    assert app.outcome == Outcome.ACTIVE  # previewing changes nothing
    assert not Message.objects.filter(send_key=f"rejection:{app.pk}").exists()

    sent = client.post(url, {**data, "action": "send"})
    assert sent.status_code == 302
    message = Message.objects.get(send_key=f"rejection:{app.pk}")
    # Only the signed opt-in token may differ (it carries a timestamp).
    token = re.compile(r"/c/[^\"'<>\s]+")
    assert token.sub("/c/T", srcdoc) == token.sub("/c/T", message.html)
    assert "&lt;b&gt;SQL&lt;/b&gt;" in message.html  # recruiter text is escaped, never HTML


def test_missing_reasons_at_personalised_stage_show_a_message_and_keep_the_text(tenant_a):
    app = application_at("interview")
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        reverse("feedback:reject", args=[app.pk]),
        _form(personal_points="Kept text", action="send"),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose at least one reason" in body
    assert "Kept text" in body
    app.refresh_from_db()
    assert app.outcome == Outcome.ACTIVE


def test_guidance_prompts_for_points_and_adds_tips_keeping_what_was_written(tenant_a):
    app = application_at("interview")
    client = tenant_a.client(tenant_a.recruiter)
    skills = reasons("skills-gap")[0]
    response = client.post(
        reverse("feedback:guidance", args=[app.pk]),
        {"reasons": [skills.pk], "personal_points": "My own note.", "tips": "My tip."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = html_lib.unescape(response.content.decode())
    assert "<html" not in body  # a partial
    points = re.search(r'name="personal_points"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    tips = re.search(r'name="tips"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    assert points.strip() == "My own note."  # the reason's wording is already in the email
    assert "Which skills" in body  # what to write about
    assert tips.strip() == f"My tip.\n{skills.tip}"

    # Unticking the reason removes its untouched tip again.
    response = client.post(
        reverse("feedback:guidance", args=[app.pk]),
        {"personal_points": "My own note.", "tips": tips},
        HTTP_HX_REQUEST="true",
    )
    body = html_lib.unescape(response.content.decode())
    tips = re.search(r'name="tips"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    assert tips.strip() == "My tip."


def test_send_next_morning_and_cancel_from_the_feedback_page(tenant_a):
    app = application_at("applied")
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        reverse("feedback:reject", args=[app.pk]), _form(timing="next_morning", action="send")
    )
    assert response.status_code == 302
    rejection = Rejection.objects.get(application=app)
    message = Message.objects.get(pk=rejection.message_id)
    assert message.send_after is not None and message.send_after > timezone.now()

    home = client.get(reverse("feedback:home")).content.decode()
    assert "Cancel email" in home and app.candidate.full_name in home

    page = client.get(reverse("feedback:application", args=[app.pk])).content.decode()
    assert "Queued" in page
    client.post(reverse("feedback:cancel", args=[rejection.pk]))
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
    again = client.post(reverse("feedback:cancel", args=[rejection.pk]), follow=True)
    assert "already cancelled" in again.content.decode()

    client.post(reverse("feedback:send", args=[rejection.pk]), {"timing": "now"})
    rejection.refresh_from_db()
    assert Message.objects.get(pk=rejection.message_id).status == MessageStatus.QUEUED


def test_custom_time_in_the_past_is_refused(tenant_a):
    app = application_at("applied")
    client = tenant_a.client(tenant_a.recruiter)
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("feedback:reject", args=[app.pk]),
        _form(timing="custom", send_at_custom=past, action="send"),
    )
    assert response.status_code == 200
    assert "time in the future" in response.content.decode()


def test_rejecting_again_redirects_to_the_feedback_page(tenant_a):
    app = application_at("applied")
    application_reject(application=app, actor=tenant_a.recruiter, reasons=[])
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(reverse("feedback:reject", args=[app.pk]), _form(action="send"))
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:application", args=[app.pk])
    assert Message.objects.filter(send_key__startswith=f"rejection:{app.pk}").count() == 1


def test_pdf_attached_and_downloadable_with_the_feedback(tenant_a):
    app = application_at("final-interview", first_name="Zoé", last_name="<b>Durand</b>")
    client = tenant_a.client(tenant_a.recruiter)
    called = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("feedback:reject", args=[app.pk]),
        _form(
            reasons=[r.pk for r in reasons("skills-gap", "language")],
            personal_points="Your dashboard demo was excellent.",
            tips="Show one end-to-end project.",
            log_call="on",
            call_at=called,
            call_minutes="15",
            call_note="Nervous at first; internal only.",
            call_summary="We discussed the technical test.",
            attach_pdf="on",
            action="send",
        ),
    )
    assert response.status_code == 302
    rejection = Rejection.objects.get(application=app)
    attachment = Message.objects.get(pk=rejection.message_id).attachments.get()
    assert attachment.mimetype == "application/pdf"

    download = client.get(reverse("feedback:pdf", args=[rejection.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    for pdf in (bytes(attachment.content), download.content):
        reader = PdfReader(BytesIO(pdf))
        assert len(reader.pages) == 1
        text = " ".join(reader.pages[0].extract_text().split())
        assert "Zoé <b>Durand</b>" in text  # shown as text, not markup
        assert app.position.title in text
        assert "Your dashboard demo was excellent." in text
        assert "Show one end-to-end project." in text
        assert "We discussed the technical test." in text
        assert "essential for this role" in text
        assert "/c/" in text  # opt-in link
        assert "Alpha Corp" in text


def test_other_tenant_cannot_see_or_reject(tenant_a, tenant_b):
    tenant_a.activate()
    app = application_at("applied")
    rejection = application_reject(application=app, actor=tenant_a.recruiter, reasons=[])
    client = tenant_b.client(tenant_b.recruiter)
    for url in [
        reverse("feedback:reject", args=[app.pk]),
        reverse("feedback:application", args=[app.pk]),
        reverse("feedback:pdf", args=[rejection.pk]),
    ]:
        assert client.get(url).status_code == 404
    assert client.post(reverse("feedback:cancel", args=[rejection.pk])).status_code == 404


def test_pages_need_login(tenant_a):
    client = tenant_a.client()
    assert client.get(reverse("feedback:home")).status_code == 302


def test_dashboard_panel_shows_feedback_figures(tenant_a):
    app = application_at("final-interview")
    application_reject(
        application=app,
        actor=tenant_a.recruiter,
        reasons=reasons("team-fit"),
        personal_points="Thanks for your time.",
    )
    Message.objects.filter(send_key=f"rejection:{app.pk}").update(
        status=MessageStatus.SENT, sent_at=timezone.now() + timedelta(minutes=30)
    )
    client = tenant_a.client(tenant_a.hr_admin)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Rejection feedback" in body
    assert "Late-stage rejections with personalised feedback" in body
    assert "30 min" in body


def test_pdf_html_uses_no_remote_resources(tenant_a):
    from feedback.pdf import feedback_pdf_html
    from feedback.selectors import rejection_content

    app = application_at("applied")
    rejection = application_reject(application=app, actor=tenant_a.recruiter, reasons=[])
    html = feedback_pdf_html(rejection_content(rejection))
    assert not re.search(r"""(src|@import|url\()\s*=?\s*["']?https?:""", html)
    assert "@font-face" not in html


def test_scheduled_time_is_shown_in_the_tenant_time_zone(tenant_a):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tenant_a.tenant.time_zone = "Asia/Tokyo"
    tenant_a.tenant.save(update_fields=["time_zone"])
    app = application_at("applied")
    when = datetime(2031, 5, 6, 0, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 in Tokyo
    application_reject(application=app, actor=tenant_a.recruiter, reasons=[], send_at=when)
    client = tenant_a.client(tenant_a.recruiter)
    page = client.get(reverse("feedback:application", args=[app.pk])).content.decode()
    # The request runs in the company's zone, and a specific time names its zone.
    assert "6 May 2031, 09:30 JST" in page
    assert "09:30" in client.get(reverse("feedback:home")).content.decode()


def test_reject_page_of_a_hired_application_explains_and_goes_back(tenant_a):
    from candidates.pipeline import application_outcome_set

    app = application_at("offer")
    application_outcome_set(application=app, outcome=Outcome.HIRED, actor=None)
    client = tenant_a.client(tenant_a.recruiter)
    response = client.get(reverse("feedback:reject", args=[app.pk]), follow=True)
    assert response.status_code == 200
    assert "already hired" in response.content.decode()
    assert not Rejection.objects.filter(application=app).exists()
