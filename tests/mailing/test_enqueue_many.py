"""Queueing many messages at once: one INSERT per batch, the same guarantees as one by one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from candidates.models import Activity, Candidate
from mailing.dispatch import outbox_dispatch
from mailing.kinds import MessageKind
from mailing.models import Message, MessageAttachment
from mailing.services import OutgoingEmail, message_enqueue, message_enqueue_many


def _email(n: int, **overrides) -> OutgoingEmail:
    fields = {
        "send_key": f"many:{n}",
        "kind": MessageKind.TRANSACTIONAL,
        "to_email": f"person{n}@example.com",
        "subject": f" Hello {n} ",
        "html": f"<p>Hello {n}</p>",
        "text": f"Hello {n}",
    }
    return OutgoingEmail(**(fields | overrides))


def test_many_messages_are_written_in_order_with_their_headers(tenant_a):
    candidate = Candidate.objects.create(first_name="Ada", email="person1@example.com")
    messages = message_enqueue_many(
        emails=[
            _email(1, candidate=candidate),
            _email(
                2,
                kind=MessageKind.JOB_OFFERS,
                unsubscribe_url="https://alpha.localhost/c/u/2",
            ),
        ]
    )
    assert [m.send_key for m in messages] == ["many:1", "many:2"]
    first, second = (Message.objects.get(pk=m.pk) for m in messages)
    assert (first.subject, first.candidate, first.status) == ("Hello 1", candidate, "queued")
    assert first.headers["Message-ID"] == messages[0].headers["Message-ID"]
    assert second.topic == MessageKind.JOB_OFFERS
    assert second.headers["List-Unsubscribe"] == "<https://alpha.localhost/c/u/2>"


def test_a_send_key_already_queued_returns_the_existing_message(tenant_a):
    earlier = message_enqueue(**_email(1).__dict__ | {"subject": "First version"})
    messages = message_enqueue_many(emails=[_email(1), _email(2), _email(2, subject="Again")])
    assert messages[0].pk == earlier.pk and messages[0].subject == "First version"
    assert messages[1].pk == messages[2].pk
    assert Message.objects.count() == 2


def test_attachments_are_stored_only_for_new_messages(tenant_a):
    pdf = ("feedback.pdf", b"%PDF-1.7", "application/pdf")
    message_enqueue_many(emails=[_email(1, attachments=[pdf])])
    message_enqueue_many(emails=[_email(1, attachments=[pdf]), _email(2, attachments=[pdf])])
    assert MessageAttachment.objects.count() == 2
    assert set(MessageAttachment.objects.values_list("message__send_key", flat=True)) == {
        "many:1",
        "many:2",
    }


def test_one_invalid_message_writes_nothing(tenant_a):
    with pytest.raises(ValidationError, match="not a valid email address"):
        message_enqueue_many(emails=[_email(1), _email(2, to_email="not-an-address")])
    with pytest.raises(ValidationError, match="unsubscribe"):
        message_enqueue_many(emails=[_email(3, kind=MessageKind.EVENTS)])
    assert not Message.objects.exists()


def test_statements_do_not_grow_with_the_count_and_dispatch_is_kicked_once(
    tenant_a, django_capture_on_commit_callbacks, dispatch_enqueues
):
    with django_capture_on_commit_callbacks(execute=True):
        with CaptureQueriesContext(connection) as few:
            message_enqueue_many(emails=[_email(n) for n in range(2)])
        with CaptureQueriesContext(connection) as many:
            message_enqueue_many(emails=[_email(n) for n in range(2, 60)])
        assert dispatch_enqueues == []
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(dispatch_enqueues) == 1
    assert Message.objects.count() == 60


@pytest.mark.usefixtures("no_gate")
def test_sent_email_is_on_the_timeline_without_counting_as_the_persons_activity(tenant_a, postmark):
    old = timezone.now() - dt.timedelta(days=400)
    people = [
        Candidate.objects.create(first_name=f"P{n}", email=f"person{n}@example.com")
        for n in range(3)
    ]
    Candidate.objects.update(last_activity_at=old)
    messages = message_enqueue_many(
        emails=[_email(n, candidate=person) for n, person in enumerate(people)]
    )

    assert outbox_dispatch().sent == 3

    for person, message in zip(people, messages, strict=True):
        entry = Activity.objects.get(candidate=person, ref=message.ref)
        assert entry.summary == f"Email sent: Hello {message.send_key[5:]}"
        person.refresh_from_db()
        assert person.last_activity_at == old


def test_every_column_round_trips_and_too_long_values_are_refused_not_cut(tenant_a):
    ada = Candidate.objects.create(first_name="Ada", email="person1@example.com")
    later = timezone.now() + dt.timedelta(hours=2)
    messages = message_enqueue_many(
        emails=[
            _email(1, candidate=ada, send_after=later, headers={"X-Campaign": "spring"}),
            _email(2, html="<p>é ' \" \\ {}</p>", text="line\nbreak"),
        ]
    )
    first, second = (Message.objects.get(pk=m.pk) for m in messages)
    assert (first.candidate, first.send_after, first.headers["X-Campaign"]) == (
        ada,
        later,
        "spring",
    )
    assert (second.candidate, second.send_after) == (None, None)
    assert (second.html, second.text) == ("<p>é ' \" \\ {}</p>", "line\nbreak")
    assert first.queued_at <= second.queued_at and first.attempts == 0
    with pytest.raises(DataError), transaction.atomic():
        message_enqueue_many(emails=[_email(3, subject="x" * 501), _email(4)])
    assert Message.objects.count() == 2
