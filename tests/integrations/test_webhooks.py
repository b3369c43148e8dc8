"""Outbound webhooks: events from consent and applications, Standard Webhooks signatures checked
with the `standardwebhooks` package (an independent implementation of the spec), retries,
disabling with an email to the HR admins, replay, and the refusal of private addresses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from candidates.pipeline import application_create
from consent.erasure import candidate_erase
from consent.models import Purpose, Source
from consent.services import consent_change
from integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventType,
    WebhookSubscription,
)
from integrations.webhooks.outbox import (
    WebhookError,
    deliveries_run,
    delivery_replay,
    subscription_create,
)
from integrations.webhooks.transport import WebhookUrlError, url_target
from mailing.models import Message
from tests.candidates.factories import application, candidate, position
from tests.integrations.receiver import Receiver

ALL_EVENTS = list(WebhookEventType.values)


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:  # type: ignore[no-untyped-def]
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True  # the test receiver is on loopback
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = Receiver()
    yield server
    server.stop()


def verified(subscription: WebhookSubscription, request) -> dict:  # type: ignore[no-untyped-def]
    """The payload, after the independent implementation accepted the signature."""
    return Webhook(subscription.secret).verify(request.body, request.headers)


def _subscribe(url: str, events=ALL_EVENTS) -> WebhookSubscription:  # type: ignore[no-untyped-def]
    return subscription_create(url=url, events=events, actor=None)


def _run_on_commit(django_capture_on_commit_callbacks, action):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        action()


def test_consent_events_are_signed_and_delivered(
    tenant_a, receiver, django_capture_on_commit_callbacks
):
    subscription = _subscribe(receiver.url)
    person = candidate(email="opt@example.com")
    _run_on_commit(
        django_capture_on_commit_callbacks,
        lambda: consent_change(
            candidate=person, source=Source.OPTIN_LINK, grant={Purpose.TALENT_POOL: None}
        ),
    )
    _run_on_commit(
        django_capture_on_commit_callbacks,
        lambda: consent_change(
            candidate=person, source=Source.UNSUBSCRIBE, withdraw=[Purpose.TALENT_POOL]
        ),
    )
    assert deliveries_run() == 4
    payloads = [verified(subscription, r) for r in receiver.accepted()]
    types = [p["type"] for p in payloads]
    assert types == [
        "consent.changed",
        "candidate.opted_in",
        "consent.changed",
        "candidate.unsubscribed",
    ]
    assert payloads[1]["data"]["candidate"]["email"] == "opt@example.com"
    assert payloads[3]["data"]["purposes"] == ["talent_pool"]
    ids = [r.headers["webhook-id"] for r in receiver.accepted()]
    assert len(set(ids)) == 4
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_only_subscribed_events_are_recorded(
    tenant_a, receiver, django_capture_on_commit_callbacks
):
    _subscribe(receiver.url, events=[WebhookEventType.REAPPLIED])
    person = candidate()
    _run_on_commit(
        django_capture_on_commit_callbacks,
        lambda: consent_change(
            candidate=person, source=Source.OPTIN_LINK, grant={Purpose.TALENT_POOL: None}
        ),
    )
    assert not WebhookEvent.objects.exists()
    application(person)
    _run_on_commit(
        django_capture_on_commit_callbacks,
        lambda: application_create(candidate=person, position=position(), actor=None),
    )
    event = WebhookEvent.objects.get()
    assert event.event_type == "candidate.reapplied"
    assert event.payload["data"]["candidate"]["id"] == person.pk


def test_erasure_is_announced_without_the_person_and_scrubs_earlier_payloads(
    tenant_a, receiver, django_capture_on_commit_callbacks
):
    from mailing.models import email_hash

    subscription = _subscribe(receiver.url)
    person = candidate(email="gone@example.com")
    _run_on_commit(
        django_capture_on_commit_callbacks,
        lambda: consent_change(
            candidate=person, source=Source.OPTIN_LINK, grant={Purpose.TALENT_POOL: None}
        ),
    )
    assert WebhookEvent.objects.filter(candidate_id=person.pk).count() == 2
    _run_on_commit(
        django_capture_on_commit_callbacks,
        lambda: candidate_erase(candidate=person, actor=None),
    )
    erased = WebhookEvent.objects.get(event_type="candidate.erased")
    assert erased.payload["data"] == {
        "candidate_ids": [person.pk],
        "email_sha256": [email_hash("gone@example.com")],
        "reason": "request",
    }
    assert "gone@example.com" not in json.dumps(list(WebhookEvent.objects.values("payload")))
    deliveries_run()
    delivered = [verified(subscription, r)["type"] for r in receiver.accepted()]
    assert delivered == ["candidate.erased"]
    assert (
        WebhookDelivery.objects.filter(event__candidate_id=person.pk).values_list(
            "status", flat=True
        )
    ).distinct().get() == DeliveryStatus.CANCELLED


def test_a_failing_receiver_is_retried_with_the_same_webhook_id(
    tenant_a, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    receiver.script = [500, "hang"]
    subscription = _subscribe(receiver.url)
    person = candidate()
    _run_on_commit(
        django_capture_on_commit_callbacks,
        lambda: consent_change(
            candidate=person, source=Source.PREFERENCE_CENTRE, grant={Purpose.EVENTS: None}
        ),
    )
    deliveries_run(budget_seconds=15)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    assert [r.answered for r in receiver.requests] == [500, 0, 204]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert [a.status_code for a in delivery.log.order_by("at", "id")] == [500, None, 204]
    assert "timed out" in delivery.log.order_by("at", "id")[1].error
    verified(subscription, receiver.accepted()[0])


def test_a_receiver_failing_for_24_hours_is_disabled_and_hr_admins_are_told(
    tenant_a, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [3600]
    receiver.script = [500] * 10
    subscription = _subscribe(receiver.url)
    person = candidate()
    _run_on_commit(
        django_capture_on_commit_callbacks,
        lambda: consent_change(
            candidate=person, source=Source.PREFERENCE_CENTRE, grant={Purpose.EVENTS: None}
        ),
    )
    deliveries_run()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    # 23 hours later the next gap would pass the 24 h window: it gives up.
    WebhookDelivery.objects.update(
        window_start=timezone.now() - timedelta(hours=23, minutes=30),
        next_attempt_at=timezone.now(),
    )
    deliveries_run()
    delivery.refresh_from_db()
    subscription.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert not subscription.enabled and "24 hours" in subscription.disabled_reason
    mail = Message.objects.get(to_email=tenant_a.hr_admin.email)
    assert subscription.url in mail.subject and mail.kind == "transactional"
    # Fixed, enabled again and replayed from the log: same webhook-id, delivered.
    WebhookSubscription.objects.filter(pk=subscription.pk).update(enabled=True)
    receiver.script = []
    delivery.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        delivery_replay(delivery=delivery, actor=tenant_a.hr_admin)
    deliveries_run()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {delivery.event.msg_id}


def test_non_http_and_private_addresses_are_refused(tenant_a, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    for url in ("ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)"):
        with pytest.raises(WebhookError, match="http"):
            _subscribe(url)
    for url in (
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
    ):
        with pytest.raises(WebhookError, match="private or local"):
            _subscribe(url)
    with pytest.raises(WebhookUrlError, match="does not resolve"):
        url_target("https://no-such-host.invalid/hook")


def test_private_addresses_are_refused_again_at_delivery_time(
    tenant_a, receiver, settings, django_capture_on_commit_callbacks
):
    subscription = _subscribe(receiver.url)  # allowed when saved (test setting on)...
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False  # ...then the address is no longer fine
    person = candidate()
    _run_on_commit(
        django_capture_on_commit_callbacks,
        lambda: consent_change(
            candidate=person, source=Source.PREFERENCE_CENTRE, grant={Purpose.EVENTS: None}
        ),
    )
    deliveries_run()
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.PENDING
    assert "private or local" in delivery.last_error


def test_hr_admin_pages(tenant_a, receiver):
    admin = tenant_a.client(tenant_a.hr_admin)
    response = admin.post(
        "/integrations/webhooks/",
        {"url": receiver.url, "events": ["consent.changed"], "enabled": "on"},
    )
    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302
    page = admin.get(f"/integrations/webhooks/{subscription.pk}/")
    assert subscription.secret.encode() in page.content
    refused = admin.post(
        "/integrations/webhooks/", {"url": "ftp://x.org", "events": ["consent.changed"]}
    )
    assert refused.status_code == 200 and WebhookSubscription.objects.count() == 1
