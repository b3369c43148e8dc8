""" "Send now" on a scheduled email: the same outbox row becomes due at once (same send key, so
still exactly once), a dispatcher run is kicked after commit, and a message that already left or
was cancelled is left alone."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import AuditLog
from mailing.dispatch import outbox_dispatch
from mailing.models import Message, MessageStatus
from mailing.services import message_cancel, message_send_now


def _scheduled(key: str = "k1") -> Message:
    # A row as message_enqueue writes it (without its own dispatcher kick pending in the test's
    # transaction, so the kick seen below is send_now's).
    return Message.objects.create(
        send_key=key,
        kind="transactional",
        to_email="ada@example.com",
        subject="Your feedback",
        html="<p>Hello</p>",
        text="Hello",
        send_after=timezone.now() + dt.timedelta(days=2),
    )


def test_send_now_makes_it_due_and_kicks_the_dispatcher(
    tenant_a, django_capture_on_commit_callbacks, dispatch_enqueues
):
    message = _scheduled()
    assert not Message.objects.due().filter(pk=message.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert message_send_now(message=message, actor=tenant_a.recruiter)
    assert len(dispatch_enqueues) == 1
    assert Message.objects.due().filter(pk=message.pk).exists()
    assert Message.objects.get(pk=message.pk).status == MessageStatus.QUEUED
    entry = AuditLog.objects.get(action="mailing.message_send_now")
    assert entry.details["message"] == message.pk and entry.actor == tenant_a.recruiter
    # The dispatcher sends it once; "Send now" again changes nothing.
    result = outbox_dispatch(budget_seconds=10)
    assert result.sent == 1
    assert not message_send_now(message=message, actor=tenant_a.recruiter)
    assert outbox_dispatch(budget_seconds=10).sent == 0


def test_send_now_leaves_a_cancelled_message_alone(tenant_a):
    message = _scheduled("k2")
    message_cancel(message=message)
    assert not message_send_now(message=message, actor=tenant_a.recruiter)
    assert Message.objects.get(pk=message.pk).status == MessageStatus.CANCELLED


def test_send_now_button_on_the_page_and_back_where_you_came_from(tenant_a):
    message = _scheduled("k3")
    client = tenant_a.client(tenant_a.recruiter)
    page = client.get(f"/mail/{message.pk}/").content.decode()
    assert "Send now" in page and 'class="event-timeline"' in page and "Scheduled" in page
    response = client.post(f"/mail/{message.pk}/send-now/", {"next": "/feedback/"})
    assert response["Location"] == "/feedback/"
    assert Message.objects.due().filter(pk=message.pk).exists()
    # A link elsewhere is not followed.
    response = client.post(f"/mail/{message.pk}/send-now/", {"next": "//evil.example/"})
    assert response["Location"] == f"/mail/{message.pk}/"
    assert "Send now" not in client.get(f"/mail/{message.pk}/").content.decode()
