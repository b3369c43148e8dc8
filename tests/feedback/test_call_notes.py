"""The feedback call is split: an internal note that never leaves the product, and an optional
summary written for the candidate. The form and the preview say which is which; the internal
note reaches no email (as handed to the ESP) and no PDF, whatever path the email takes."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from feedback.content import MERGE_TAGS, CallNote, merge_context
from feedback.defaults import DEFAULT_TEMPLATES
from feedback.models import FeedbackCall, FeedbackTemplate, Rejection
from feedback.pdf import feedback_pdf_render
from feedback.selectors import feedback_content, rejection_content
from feedback.services import (
    application_reject,
    feedback_email_render,
    rejection_email_cancel,
    rejection_email_send,
)
from mailing.dispatch import outbox_dispatch
from tests.feedback.helpers import application_at, reasons

INTERNAL = "mentioned a divorce and a sick parent"
FOR_CANDIDATE = "We walked through your case study together."


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _post(client, app, **extra):  # type: ignore[no-untyped-def]
    called = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "timing": "now",
        "reasons": [r.pk for r in reasons("skills-gap")],
        "personal_points": "Your dashboard was excellent.",
        "tips": "Show one project end to end.",
        "log_call": "on",
        "call_at": called,
        "call_minutes": "20",
        "call_note": INTERNAL,
        "call_summary": FOR_CANDIDATE,
        "attach_pdf": "on",
    }
    data.update(extra)
    return client.post(reverse("feedback:reject", args=[app.pk]), data)


def test_form_and_preview_label_which_part_is_sent(tenant_a, settings):
    settings.MAILING_RATE_PER_TENANT = 0
    app = application_at("final-interview")
    client = tenant_a.client(tenant_a.recruiter)
    form = client.get(reverse("feedback:reject", args=[app.pk])).content.decode()
    assert "Internal note: what was said" in form
    assert "Never sent: not in the email, not in the PDF." in form
    assert "Summary for the candidate (optional)" in form
    preview = _post(client, app, action="preview").content.decode()
    email_part = preview.split('class="call-preview"')[0]
    assert FOR_CANDIDATE in email_part
    assert INTERNAL not in email_part  # not in the rendered email, its text or its subject
    call_box = preview.split('class="call-preview"')[1]
    assert "Sent to the candidate</span> Call summary" in call_box
    assert "stays here: not in the email, not in the PDF" in call_box
    assert INTERNAL in call_box


def test_internal_note_reaches_no_email_and_no_pdf(tenant_a, settings):
    settings.MAILING_RATE_PER_TENANT = settings.MAILING_RATE_GLOBAL = 0
    app = application_at("final-interview")
    client = tenant_a.client(tenant_a.recruiter)
    assert _post(client, app, action="send").status_code == 302
    rejection = Rejection.objects.get(application=app)
    call = FeedbackCall.objects.get(rejection=rejection)
    assert (call.internal_note, call.candidate_summary) == (INTERNAL, FOR_CANDIDATE)

    mail.outbox = []
    outbox_dispatch()
    (sent,) = [m for m in mail.outbox if m.to == [app.candidate.email]]
    html = sent.alternatives[0][0]
    assert FOR_CANDIDATE in sent.body and FOR_CANDIDATE in html
    for part in (sent.subject, sent.body, html):
        assert INTERNAL not in part
    (attachment,) = sent.attachments
    attached = _pdf_text(attachment[1])
    assert FOR_CANDIDATE in attached and INTERNAL not in attached

    download = client.get(reverse("feedback:pdf", args=[rejection.pk]))
    assert INTERNAL not in _pdf_text(download.content)

    # Scheduled, cancelled and sent again from the stored feedback: still only the
    # candidate's part.
    later = application_at("final-interview")
    scheduled = application_reject(
        application=later,
        actor=tenant_a.recruiter,
        reasons=reasons("skills-gap"),
        personal_points="Good.",
        call=CallNote(timezone.now(), 10, internal_note=INTERNAL, candidate_summary="Hi."),
        send_at=timezone.now() + timedelta(days=1),
        attach_pdf=True,
    )
    rejection_email_cancel(rejection=scheduled, actor=tenant_a.recruiter)
    rejection_email_send(rejection=scheduled, actor=tenant_a.recruiter)
    mail.outbox = []
    outbox_dispatch()
    assert mail.outbox, "the re-sent email left"
    for message in mail.outbox:
        assert INTERNAL not in message.body + message.alternatives[0][0]
        assert INTERNAL not in _pdf_text(message.attachments[0][1])


def test_no_merge_tag_carries_the_internal_note(tenant_a):
    app = application_at("final-interview")
    note = CallNote(timezone.now(), 15, internal_note=INTERNAL, candidate_summary="")
    content = feedback_content(
        application=app, reasons=reasons("skills-gap"), personal_points="x", call=note
    )
    assert all(INTERNAL not in value for value in merge_context(content).values())
    assert "call_note" not in MERGE_TAGS and "internal_note" not in MERGE_TAGS
    # A call with no summary for the candidate is not mentioned in the PDF at all.
    assert "Our conversation" not in _pdf_text(feedback_pdf_render(content))


def test_default_templates_use_only_the_candidate_facing_part(tenant_a):
    app = application_at("final-interview")
    note = CallNote(timezone.now(), 15, internal_note=INTERNAL, candidate_summary=FOR_CANDIDATE)
    for (branch, language), (subject, body) in DEFAULT_TEMPLATES.items():
        template = FeedbackTemplate(group=branch, language=language, subject=subject, body=body)
        content = feedback_content(
            application=app,
            reasons=reasons("skills-gap"),
            personal_points="x",
            call=note,
            branch=branch,
            language=language,
        )
        email = feedback_email_render(content, template)
        assert INTERNAL not in email.subject + email.text + email.html
        if "call_summary" in body:
            assert FOR_CANDIDATE in email.text


def test_existing_call_notes_became_internal(tenant_a):
    """The migration put the old "what was said" on the internal side (it was written without
    the form saying it would be emailed): a re-sent email of an old call says nothing of it."""
    from django.db import connection

    app = application_at("final-interview")
    _post(tenant_a.client(tenant_a.recruiter), app, action="send", call_summary="")
    rejection = Rejection.objects.get(application=app)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'feedback_feedbackcall'",
            [connection.schema_name],
        )
        columns = {row[0] for row in cursor.fetchall()}
    assert {"internal_note", "candidate_summary"} <= columns and "summary" not in columns
    content = rejection_content(rejection)
    assert merge_context(content)["call_summary"] == ""


def test_the_call_entry_reads_in_each_recruiters_language(tenant_a, settings):
    """The timeline keeps the recruiter's internal note as written and says what the candidate
    was told in the reader's language: no English label stored in the entry's body."""
    from django.utils import translation

    from candidates.models import Activity, ActivityKind

    settings.MAILING_RATE_PER_TENANT = settings.MAILING_RATE_GLOBAL = 0
    app = application_at("final-interview")
    assert _post(tenant_a.client(tenant_a.recruiter), app, action="send").status_code == 302
    entry = Activity.objects.get(candidate=app.candidate, kind=ActivityKind.CALL)
    assert entry.body == INTERNAL
    assert entry.params == {"minutes": 20, "told": FOR_CANDIDATE}
    with translation.override("fr"):
        assert entry.text == f"Appel de retour (20 min). Dit au candidat : {FOR_CANDIDATE}"
    with translation.override("en"):
        assert entry.text == f"Feedback call (20 min). Told the candidate: {FOR_CANDIDATE}"
