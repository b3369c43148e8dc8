"""The dispatcher against the real anymail Postmark backend and a local fake ESP over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from candidates.models import Activity, Candidate
from mailing.dispatch import outbox_dispatch, outbox_sweep
from mailing.esp import mailing_key
from mailing.gate import GateDecision, register_send_gate
from mailing.kinds import MessageKind
from mailing.models import Message, MessageStatus, SuppressionReason
from mailing.services import message_enqueue, suppression_add

pytestmark = pytest.mark.usefixtures("no_gate")


def _enqueue(n: int = 1, **overrides) -> Message:
    fields = {
        "send_key": f"test:{n}",
        "kind": MessageKind.TRANSACTIONAL,
        "to_email": f"person{n}@example.com",
        "subject": f"Hello {n}",
        "html": f"<p>Hello {n}</p>",
        "text": f"Hello {n}",
    }
    return message_enqueue(**(fields | overrides))


def _nurture(n: int, **overrides) -> Message:
    return _enqueue(
        n,
        kind=MessageKind.JOB_OFFERS,
        unsubscribe_url=f"https://alpha.localhost/c/u/{n}",
        **overrides,
    )


def _due_now(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(send_after=timezone.now())


def test_message_is_sent_with_sender_identity_headers_and_metadata(tenant_a, postmark):
    tenant = tenant_a.tenant
    tenant.sender_name, tenant.sender_email = "Alpha Careers", "jobs@alpha.example"
    tenant.reply_to = "hr@alpha.example"
    tenant.save()
    candidate = Candidate.objects.create(first_name="Ada", email="person1@example.com")
    message = _enqueue(candidate=candidate)

    result = outbox_dispatch()

    assert result.sent == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.esp_message_id and message.sent_at and message.attempts == 1
    sent = postmark.accepted[0]
    assert sent["From"] == "Alpha Careers <jobs@alpha.example>"
    assert sent["ReplyTo"] == "hr@alpha.example"
    assert sent["Metadata"] == {
        "schema": "alpha",
        "message_id": str(message.pk),
        "mailing_key": f"alpha:{message.pk}",
    }
    headers = postmark.headers_of(mailing_key(message))
    assert headers["Message-ID"] == message.headers["Message-ID"]
    assert headers["Message-ID"].endswith(".alpha@alpha.example>")
    assert "List-Unsubscribe" not in headers  # transactional mail
    assert Activity.objects.filter(candidate=candidate, ref=message.ref).exists()


def test_nurture_mail_leaves_with_rfc8058_headers(tenant_a, postmark):
    register_send_gate(lambda messages: [GateDecision(True)] * len(messages))
    message = _nurture(1)
    outbox_dispatch()
    headers = postmark.headers_of(mailing_key(message))
    assert headers["List-Unsubscribe"] == "<https://alpha.localhost/c/u/1>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_nurture_is_refused_when_no_gate_is_registered(tenant_a, postmark):
    message = _nurture(1)
    transactional = _enqueue(2)
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED
    assert "No consent gate" in message.last_error
    assert postmark.counts() == {mailing_key(transactional): 1}


def test_gate_refusal_is_recorded_and_nothing_is_sent(tenant_a, postmark):
    register_send_gate(
        lambda messages: [GateDecision(False, "No consent for job offers.")] * len(messages)
    )
    message = _nurture(1)
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED
    assert message.last_error == "No consent for job offers."
    assert postmark.accepted == []


def test_suppressed_address_gets_nothing_even_transactional(tenant_a, postmark):
    suppression_add(email="Person1@Example.com", reason=SuppressionReason.HARD_BOUNCE)
    message = _enqueue(1)
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED
    assert "hard bounce" in message.last_error
    assert postmark.accepted == []


@pytest.mark.parametrize("status", [500, 503, 429])
def test_transient_errors_are_retried_with_backoff(tenant_a, postmark, settings, status):
    settings.MAILING_RETRY_BASE_SECONDS = 30
    postmark.fail_next = [status, status]
    message = _enqueue(1)

    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 1
    first_delay = message.send_after - timezone.now()
    assert timedelta(seconds=20) < first_delay <= timedelta(seconds=30)
    assert str(status) in message.last_error

    outbox_dispatch()  # not due yet: nothing happens
    assert len(postmark.calls) == 1

    _due_now(message)
    outbox_dispatch()
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.send_after - timezone.now() > timedelta(seconds=50)  # doubled

    _due_now(message)
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert postmark.counts() == {mailing_key(message): 1}


def test_a_timeout_after_the_esp_accepted_is_not_sent_twice(tenant_a, postmark):
    postmark.hang_next = 1  # accepted, but the answer comes after anymail's 2 s timeout
    message = _enqueue(1)
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.needs_reconcile

    _due_now(message)
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.esp_message_id == postmark.accepted[0]["MessageID"]
    assert postmark.counts() == {mailing_key(message): 1}
    assert len(postmark.calls) == 1


@pytest.mark.parametrize("status", [401, 422])
def test_permanent_errors_fail_without_retry(tenant_a, postmark, status):
    postmark.fail_next = [status]
    message = _enqueue(1)
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.last_error
    assert message.send_after is None
    outbox_dispatch()
    assert len(postmark.calls) == 1


def test_gives_up_after_max_attempts(tenant_a, postmark, settings):
    settings.MAILING_MAX_ATTEMPTS = 2
    postmark.fail_next = [503, 503, 503]
    message = _enqueue(1)
    outbox_dispatch()
    _due_now(message)
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.last_error.startswith("Gave up")


def test_stuck_message_is_reconciled_not_resent(tenant_a, postmark):
    """A worker died after the ESP accepted two messages but before recording them."""
    register_send_gate(lambda messages: [GateDecision(True)] * len(messages))
    accepted, lost = _enqueue(1), _enqueue(2)
    outbox_dispatch()
    assert len(postmark.accepted) == 2
    # Simulate the crash: the outbox never learnt that message 1 was accepted, and message 2
    # never reached the ESP.
    Message.objects.filter(pk=accepted.pk).update(
        status=MessageStatus.SENDING, esp_message_id="", lease_until=timezone.now()
    )
    with postmark.lock:
        postmark.accepted = [
            m for m in postmark.accepted if m["Metadata"]["message_id"] == str(accepted.pk)
        ]
    Message.objects.filter(pk=lost.pk).update(
        status=MessageStatus.SENDING, esp_message_id="", lease_until=timezone.now()
    )

    assert outbox_sweep(now=timezone.now() - timedelta(seconds=1)) == 0  # leases still held
    assert outbox_sweep(now=timezone.now() + timedelta(seconds=1)) == 2
    outbox_dispatch()

    for message in (accepted, lost):
        message.refresh_from_db()
        assert message.status == MessageStatus.SENT
    assert postmark.counts() == {mailing_key(accepted): 1, mailing_key(lost): 1}


def test_nurture_batches_go_out_in_one_call_per_batch(tenant_a, postmark, settings):
    register_send_gate(lambda messages: [GateDecision(True)] * len(messages))
    settings.MAILING_BATCH_TEMPLATE = "talentcrm-passthrough"
    settings.MAILING_BATCH_LIMITS = {"postmark": 3}
    messages = [_nurture(n) for n in range(8)]
    duplicate = _nurture(99, to_email="person7@example.com")  # same address as message 7

    outbox_dispatch()

    assert postmark.calls.count("email/batchWithTemplates") == 3  # 3 + 3 + 2
    assert postmark.calls.count("email") == 1  # the duplicate address goes out on its own
    assert set(postmark.counts().values()) == {1} and len(postmark.counts()) == 9
    batch_message = next(
        m for m in postmark.accepted if m["Metadata"]["message_id"] == str(messages[3].pk)
    )
    assert batch_message["TemplateAlias"] == "talentcrm-passthrough"
    assert batch_message["TemplateModel"]["html_body"] == messages[3].html
    assert {h["Name"]: h["Value"] for h in batch_message["Headers"]}["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    for message in [*messages, duplicate]:
        message.refresh_from_db()
        assert message.status == MessageStatus.SENT and message.esp_message_id


def test_rate_limit_holds_back_the_rest(tenant_a, postmark, settings):
    from mailing import ratelimit

    settings.MAILING_RATE_PER_TENANT = 1
    settings.MAILING_RATE_BURST_SECONDS = 3
    ratelimit._client().delete(f"mailing:rate:tenant:{connection.schema_name}")
    for n in range(5):
        _enqueue(n)
    result = outbox_dispatch()
    assert result.sent == 3
    assert result.more and result.wait > 0
    ratelimit._client().delete(f"mailing:rate:tenant:{connection.schema_name}")


def test_a_worker_that_outlived_its_lease_does_not_send_what_another_claimed(tenant_a, postmark):
    """Worker A claimed a message but was so slow that its lease expired; the sweeper gave the
    message to worker B. A must not send it too."""
    from mailing.dispatch import DispatchResult, message_claim, messages_send

    message = _enqueue(1)
    claimed_by_a = message_claim(limit=10)
    outbox_sweep(now=timezone.now() + timedelta(seconds=3600))
    claimed_by_b = message_claim(limit=10)

    messages_send(claimed_by_a, DispatchResult())
    assert postmark.accepted == []
    messages_send(claimed_by_b, DispatchResult())
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert postmark.counts() == {mailing_key(message): 1}


def test_attachments_reach_the_esp(tenant_a, postmark):
    message = _enqueue(1, attachments=[("feedback.pdf", b"%PDF-1.4 demo", "application/pdf")])
    outbox_dispatch()
    sent = postmark.accepted[0]
    assert [a["Name"] for a in sent["Attachments"]] == ["feedback.pdf"]
    assert sent["Attachments"][0]["ContentType"] == "application/pdf"
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_smtp_server_down_is_retried_not_lost(tenant_a, settings):
    """docker compose sends through Mailpit over SMTP; a server that is down is transient."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port
    settings.MAILING_RATE_PER_TENANT = settings.MAILING_RATE_GLOBAL = 0
    message = _enqueue(1)
    result = outbox_dispatch()
    message.refresh_from_db()
    assert result.retrying == 1
    assert message.status == MessageStatus.QUEUED and message.send_after is not None


def test_mailgun_batches_by_default_with_on_the_fly_substitution(tenant_a, settings):
    """Mailgun substitutes recipient variables in the message itself: nurture mail goes out in
    batches with no template to set up, each recipient getting exactly its outbox row."""
    from tests.mailing.fake_esp import FakeMailgun

    mailgun = FakeMailgun().start()
    try:
        settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
        settings.ANYMAIL = settings.ANYMAIL | {
            "MAILGUN_API_KEY": "key-test",
            "MAILGUN_SENDER_DOMAIN": "mg.example",
            "MAILGUN_API_URL": mailgun.url,
        }
        settings.MAILING_RATE_PER_TENANT = settings.MAILING_RATE_GLOBAL = 0
        settings.MAILING_BATCH_TEMPLATE = ""
        settings.MAILING_BATCH_LIMITS = {"mailgun": 4}
        register_send_gate(lambda messages: [GateDecision(True)] * len(messages))
        nurture = [_nurture(n) for n in range(6)]
        receipt = _enqueue(50)  # transactional: on its own

        outbox_dispatch()
    finally:
        mailgun.stop()

    # The ESP calls run concurrently: in any order.
    batches = sorted((c for c in mailgun.calls if len(c["to"]) > 1), key=lambda c: -len(c["to"]))
    assert [len(c["to"]) for c in batches] == [4, 2]
    assert len(mailgun.calls) == 3
    first = batches[0]
    assert first["subject"] == ["%recipient.subject%"]
    assert first["html"] == ["%recipient.html_body%"]
    assert first["text"] == ["%recipient.text_body%"]
    variables = json.loads(first["recipient-variables"][0])
    assert set(variables) == {m.to_email for m in nurture[:4]}  # the claim's id order
    for message in nurture[:4]:
        data = variables[message.to_email]
        assert (data["subject"], data["html_body"], data["text_body"]) == (
            message.subject,
            message.html,
            message.text,
        )
        assert data["v:mailing_key"] == mailing_key(message)
    for message in [*nurture, receipt]:
        message.refresh_from_db()
        assert message.status == MessageStatus.SENT and message.esp_message_id
