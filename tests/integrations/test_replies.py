"""Candidates' replies through the ESP's inbound webhook (Postmark's documented payload, posted
to anymail's inbound view on the tenant's host): matched by the Reply-To token or In-Reply-To,
on the timeline, the recruiter told; auto-replies marked; strangers kept for review."""

from __future__ import annotations

import base64
import json

import pytest

from candidates.models import Activity, Candidate
from feedback.services import application_reject
from integrations.models import InboundReply, ReplyStatus
from integrations.replies import reply_address_for
from mailing.models import Message
from tests.candidates.factories import application, candidate
from tests.feedback.helpers import reasons

AUTH = "dev-webhook-user:dev-webhook-password"


@pytest.fixture(autouse=True)
def _replies(settings):  # type: ignore[no-untyped-def]
    settings.REPLIES_DOMAIN = "{schema}.replies.example.com"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": AUTH}


@pytest.fixture
def rejected(tenant_a):  # type: ignore[no-untyped-def]
    """A rejection email our recruiter sent to Nora."""
    app = application(candidate(email="nora@example.com", first_name="Nora"))
    rejection = application_reject(
        application=app, actor=tenant_a.recruiter, reasons=reasons("skills-gap")
    )
    return Message.objects.get(pk=rejection.message_id)


def inbound(
    world,
    *,
    to: str,
    sender: str = "nora@example.com",
    subject: str = "Re: Your application",
    text: str = "Thank you, could we talk?",
    headers=(),
    message_id: str = "pm-1",
    auth: str | None = AUTH,
):  # type: ignore[no-untyped-def]
    payload = {
        "FromFull": {"Email": sender, "Name": "Nora"},
        "ToFull": [{"Email": to, "Name": ""}],
        "OriginalRecipient": to,
        "Subject": subject,
        "MessageID": message_id,
        "TextBody": text,
        "HtmlBody": f"<p>{text}</p>",
        "Headers": [{"Name": n, "Value": v} for n, v in headers],
        "Attachments": [],
    }
    extra = (
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    )
    return world.client().post(
        "/integrations/inbound/postmark/",
        json.dumps(payload),
        content_type="application/json",
        **extra,
    )


def test_outgoing_candidate_mail_carries_a_reply_address(rejected):
    expected = reply_address_for("alpha", rejected.send_key)
    assert rejected.headers["Reply-To"] == expected
    assert expected.startswith("reply+") and expected.endswith("@alpha.replies.example.com")
    assert len(expected.split("@")[0]) <= 64


def test_a_reply_to_the_token_lands_on_the_timeline_and_tells_the_recruiter(tenant_a, rejected):
    response = inbound(tenant_a, to=rejected.headers["Reply-To"])
    assert response.status_code == 200
    reply = InboundReply.objects.get()
    assert reply.status == ReplyStatus.MATCHED and reply.matched_by == "token"
    assert reply.candidate.email == "nora@example.com" and reply.message_id == rejected.pk
    entry = Activity.objects.get(ref=f"integrations.reply:{reply.pk}")
    assert entry.summary == "Reply: Re: Your application"
    assert "could we talk" in entry.body
    notice = Message.objects.get(to_email=tenant_a.recruiter.email)
    assert notice.kind == "transactional" and "Nora" in notice.subject
    assert "could we talk" in notice.text
    assert reply.notified == tenant_a.recruiter


def test_a_reply_matched_by_in_reply_to_from_the_same_person(tenant_a, rejected):
    inbound(
        tenant_a, to="jobs@alpha.example", headers=[("In-Reply-To", rejected.headers["Message-ID"])]
    )
    reply = InboundReply.objects.get()
    assert reply.status == ReplyStatus.MATCHED and reply.matched_by == "in-reply-to"


def test_in_reply_to_from_someone_else_is_not_trusted(tenant_a, rejected):
    inbound(
        tenant_a,
        to="jobs@alpha.example",
        sender="mallory@example.net",
        headers=[("In-Reply-To", rejected.headers["Message-ID"])],
    )
    assert InboundReply.objects.get().status == ReplyStatus.REVIEW
    assert not Message.objects.filter(to_email=tenant_a.recruiter.email).exists()


def test_a_forged_token_is_not_matched(tenant_a, rejected):
    real = rejected.headers["Reply-To"]
    forged = real.split("-")[0] + "-aaaaaaaaaa@" + real.split("@")[1]
    inbound(tenant_a, to=forged)
    assert InboundReply.objects.get().status == ReplyStatus.REVIEW


def test_an_out_of_office_is_marked_and_notifies_nobody(tenant_a, rejected):
    person = Candidate.objects.get(email="nora@example.com")
    before = person.last_activity_at
    inbound(
        tenant_a,
        to=rejected.headers["Reply-To"],
        subject="Out of Office: back on Monday",
        headers=[("Auto-Submitted", "auto-replied")],
    )
    reply = InboundReply.objects.get()
    assert reply.is_auto_reply and reply.status == ReplyStatus.MATCHED and reply.notified is None
    assert Activity.objects.get(ref=f"integrations.reply:{reply.pk}").summary.startswith(
        "Automatic reply"
    )
    assert not Message.objects.filter(to_email=tenant_a.recruiter.email).exists()
    person.refresh_from_db()
    assert person.last_activity_at == before


@pytest.mark.parametrize(
    "headers,subject",
    [
        ([("X-Autoreply", "yes")], "Re: Your application"),
        ([("Precedence", "auto_reply")], "Re: Your application"),
        ([], "Réponse automatique : absent"),
        ([], "Abwesenheitsnotiz"),
    ],
)
def test_auto_reply_signals(tenant_a, rejected, headers, subject):
    inbound(tenant_a, to=rejected.headers["Reply-To"], headers=headers, subject=subject)
    assert InboundReply.objects.get().is_auto_reply


def test_mail_from_an_unknown_address_is_kept_for_review(tenant_a):
    response = inbound(tenant_a, to="hello@alpha.example", sender="stranger@example.net")
    assert response.status_code == 200
    reply = InboundReply.objects.get()
    assert reply.status == ReplyStatus.REVIEW and reply.candidate is None
    # An HR admin files it under the right person from the replies page.
    person = candidate(email="stranger@example.net")
    admin = tenant_a.client(tenant_a.hr_admin)
    assert b"stranger@example.net" in admin.get("/integrations/replies/").content
    admin.post(f"/integrations/replies/{reply.pk}/assign/", {"candidate_email": person.email})
    reply.refresh_from_db()
    assert reply.status == ReplyStatus.MATCHED and reply.candidate == person
    assert Activity.objects.filter(candidate=person, ref=f"integrations.reply:{reply.pk}").exists()


def test_the_same_mail_posted_twice_is_stored_once(tenant_a, rejected):
    inbound(tenant_a, to=rejected.headers["Reply-To"])
    inbound(tenant_a, to=rejected.headers["Reply-To"])
    assert InboundReply.objects.count() == 1
    assert Message.objects.filter(to_email=tenant_a.recruiter.email).count() == 1


def test_unauthenticated_or_unreadable_inbound_posts_are_refused(tenant_a, rejected):
    assert inbound(tenant_a, to=rejected.headers["Reply-To"], auth="x:y").status_code == 400
    broken = tenant_a.client().post(
        "/integrations/inbound/postmark/",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(AUTH.encode()).decode(),
    )
    assert broken.status_code == 400
    assert not InboundReply.objects.exists()
