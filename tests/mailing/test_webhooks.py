"""Anymail's Postmark tracking webhook, on the tenant's host, end to end over HTTP."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection

from candidates.models import Activity, Candidate
from mailing import gate
from mailing.events import recipient_complained, recipient_unsubscribed
from mailing.kinds import MessageKind
from mailing.models import Message, MessageStatus, Suppression, TrackingEvent, email_hash
from mailing.services import is_suppressed, message_enqueue

URL = "/mail/webhooks/anymail/postmark/tracking/"
GOOD = "Basic " + base64.b64encode(b"dev-webhook-user:dev-webhook-password").decode()
BAD = "Basic " + base64.b64encode(b"dev-webhook-user:wrong").decode()

pytestmark = pytest.mark.usefixtures("no_gate")


@pytest.fixture
def sent(tenant_a):
    candidate = Candidate.objects.create(first_name="Ada", email="ada@example.com")
    message = message_enqueue(
        send_key="wh:1",
        kind=MessageKind.JOB_OFFERS,
        to_email="ada@example.com",
        subject="Jobs for you",
        html="<p>x</p>",
        text="x",
        candidate=candidate,
        unsubscribe_url="https://alpha.localhost/c/u/1",
    )
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, esp_message_id="pm-1")
    message.refresh_from_db()
    return message


def _event(message, record_type, **extra):
    return {
        "RecordType": record_type,
        "MessageID": "pm-1",
        "Recipient": "ada@example.com",
        "Email": "ada@example.com",
        "DeliveredAt": "2026-11-25T19:00:00Z",
        "ReceivedAt": "2026-11-25T19:01:00Z",
        "BouncedAt": "2026-11-25T19:00:30Z",
        "Metadata": {"schema": connection.schema_name, "message_id": str(message.pk)},
        **extra,
    }


def _post(world, payload, auth=GOOD):
    return world.client().post(
        URL, data=json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=auth
    )


def test_wrong_secret_is_refused_and_nothing_written(tenant_a, sent):
    response = _post(tenant_a, _event(sent, "Delivery"), auth=BAD)
    assert response.status_code in (400, 401)
    response = tenant_a.client().post(
        URL, data=json.dumps(_event(sent, "Delivery")), content_type="application/json"
    )
    assert response.status_code in (400, 401)
    assert TrackingEvent.objects.count() == 0
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT


def test_delivery_updates_status_and_timeline(tenant_a, sent):
    assert _post(tenant_a, _event(sent, "Delivery")).status_code == 200
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED
    assert Activity.objects.filter(ref=sent.ref, summary__startswith="Email delivered").exists()


def test_replayed_event_is_processed_once(tenant_a, sent):
    bounce = _event(sent, "Bounce", ID=4242, Type="HardBounce", TypeCode=1)
    assert _post(tenant_a, bounce).status_code == 200
    assert _post(tenant_a, bounce).status_code == 200
    assert TrackingEvent.objects.count() == 1
    assert Activity.objects.filter(ref=sent.ref, summary__startswith="Email bounced").count() == 1


def test_hard_bounce_suppresses_the_address_hashed(tenant_a, sent):
    _post(tenant_a, _event(sent, "Bounce", ID=1, Type="HardBounce", TypeCode=1))
    sent.refresh_from_db()
    assert sent.status == MessageStatus.BOUNCED
    assert is_suppressed("ADA@example.com")
    row = Suppression.objects.get()
    assert row.email_hash == email_hash("ada@example.com")
    assert "ada" not in row.email_hash


def test_soft_bounce_does_not_suppress(tenant_a, sent):
    _post(tenant_a, _event(sent, "Bounce", ID=2, Type="SoftBounce", TypeCode=4096))
    assert not is_suppressed("ada@example.com")


def test_complaint_suppresses_and_announces(tenant_a, sent, django_capture_on_commit_callbacks):
    heard = []

    def listener(message, **_):
        heard.append(message.pk)

    recipient_complained.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _post(tenant_a, _event(sent, "SpamComplaint", ID=3, Type="SpamComplaint", TypeCode=512))
    finally:
        recipient_complained.disconnect(listener)
    sent.refresh_from_db()
    assert sent.status == MessageStatus.COMPLAINED
    assert is_suppressed("ada@example.com")
    assert heard == [sent.pk]


def test_unsubscribe_event_is_announced_with_the_topic(
    tenant_a, sent, django_capture_on_commit_callbacks
):
    heard = []

    def listener(message, topic, **_):
        heard.append(topic)

    recipient_unsubscribed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _post(
                tenant_a,
                _event(
                    sent,
                    "SubscriptionChange",
                    SuppressSending=True,
                    SuppressionReason="ManualSuppression",
                    ChangedAt="2026-11-25T19:02:00Z",
                ),
            )
    finally:
        recipient_unsubscribed.disconnect(listener)
    assert heard == [MessageKind.JOB_OFFERS]


def test_opens_are_recorded_only_when_tracking_is_allowed(tenant_a, sent):
    open_event = _event(sent, "Open", FirstOpen=True)
    _post(tenant_a, open_event)
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT
    assert TrackingEvent.objects.count() == 0

    gate.register_tracking_check(lambda message: True)
    _post(tenant_a, open_event)
    sent.refresh_from_db()
    assert sent.status == MessageStatus.OPENED


def test_status_never_moves_backwards(tenant_a, sent):
    gate.register_tracking_check(lambda message: True)
    _post(tenant_a, _event(sent, "Click", OriginalLink="https://x.example"))
    _post(tenant_a, _event(sent, "Delivery"))
    sent.refresh_from_db()
    assert sent.status == MessageStatus.CLICKED


def test_event_for_another_tenants_message_is_ignored(tenant_a, tenant_b, sent):
    tenant_b.activate()
    payload = _event(sent, "Bounce", ID=9, Type="HardBounce", TypeCode=1)
    payload["Metadata"]["schema"] = "alpha"
    assert _post(tenant_b, payload).status_code == 200
    tenant_b.activate()
    assert TrackingEvent.objects.count() == 0
    assert not is_suppressed("ada@example.com")
    tenant_a.activate()
    assert TrackingEvent.objects.count() == 0


def test_sent_entry_on_the_timeline_shows_the_current_status(tenant_a, sent):
    """The "Email sent" entry keeps one badge, moved by tracking; per-event entries stay."""
    Activity.objects.create(
        candidate=sent.candidate,
        kind="email",
        summary="Email sent: Jobs for you",
        ref=sent.ref,
        data={"status": "sent", "kind": sent.kind},
    )
    assert _post(tenant_a, _event(sent, "Delivery")).status_code == 200
    entry = Activity.objects.get(ref=sent.ref, summary__startswith="Email sent")
    assert entry.data == {"status": "delivered", "kind": sent.kind}
    bounce = {"Type": "HardBounce", "TypeCode": 1, "ID": 7, "Description": "Unknown user"}
    assert _post(tenant_a, _event(sent, "Bounce", **bounce)).status_code == 200
    entry.refresh_from_db()
    assert entry.data["status"] == "bounced"
    delivered = Activity.objects.get(ref=sent.ref, summary__startswith="Email delivered")
    assert "status" not in delivered.data
    page = tenant_a.client(tenant_a.recruiter).get(f"/candidates/{sent.candidate_id}/")
    html = page.content.decode()
    assert 'class="badge mail-status-bounced"' in html
    assert html.count("mail-status-") == 1
