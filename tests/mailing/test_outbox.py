from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from candidates.models import Candidate
from mailing.kinds import MessageKind
from mailing.models import Message, MessageStatus
from mailing.services import message_cancel, message_enqueue


def _enqueue(**overrides):
    fields = {
        "send_key": "test:1",
        "kind": MessageKind.TRANSACTIONAL,
        "to_email": "ada@example.com",
        "subject": "Hello",
        "html": "<p>Hello</p>",
        "text": "Hello",
    }
    return message_enqueue(**(fields | overrides))


def test_same_send_key_returns_the_same_message(tenant_a):
    first = _enqueue()
    second = _enqueue(subject="Another subject")
    assert first.pk == second.pk
    assert Message.objects.count() == 1


def test_message_gets_a_stable_message_id_per_tenant_and_send_key(tenant_a, tenant_b):
    tenant_a.activate()
    message = _enqueue()
    assert re.fullmatch(r"<[0-9a-f]{32}\.alpha@localhost>", message.headers["Message-ID"])
    tenant_b.activate()
    other = _enqueue()
    assert other.headers["Message-ID"] != message.headers["Message-ID"]


def test_nurture_mail_carries_rfc8058_headers(tenant_a):
    message = _enqueue(
        kind=MessageKind.JOB_OFFERS, unsubscribe_url="https://alpha.localhost/c/u/token"
    )
    assert message.headers["List-Unsubscribe"] == "<https://alpha.localhost/c/u/token>"
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.topic == MessageKind.JOB_OFFERS


def test_nurture_mail_without_unsubscribe_link_is_refused(tenant_a):
    with pytest.raises(ValidationError, match="unsubscribe"):
        _enqueue(kind=MessageKind.EVENTS)


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Hello\r\nBcc: victim@example.com"},
        {"to_email": "ada@example.com\nBcc: victim@example.com"},
        {"to_email": "Ada <ada@example.com>"},
        {"to_email": "not-an-address"},
        {"headers": {"X-Campaign": "a\nBcc: victim@example.com"}},
        {"headers": {"Bcc": "victim@example.com"}},
        {"headers": {"Bad Header": "x"}},
    ],
)
def test_header_injection_and_bad_addresses_are_refused(tenant_a, overrides):
    with pytest.raises(ValidationError):
        _enqueue(**overrides)
    assert Message.objects.count() == 0


def test_cancel_only_before_it_left(tenant_a):
    message = _enqueue()
    assert message_cancel(message=message) is True
    assert message.status == MessageStatus.CANCELLED
    sent = _enqueue(send_key="test:2")
    Message.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT)
    assert message_cancel(message=sent) is False


def test_candidate_link_survives_as_null_when_candidate_deleted(tenant_a):
    candidate = Candidate.objects.create(first_name="Ada", email="ada@example.com")
    message = _enqueue(candidate=candidate)
    candidate.delete()
    message.refresh_from_db()
    assert message.candidate_id is None


def test_attachments_are_stored(tenant_a):
    message = _enqueue(attachments=[("feedback.pdf", b"%PDF-1.4", "application/pdf")])
    attachment = message.attachments.get()
    assert bytes(attachment.content) == b"%PDF-1.4"
