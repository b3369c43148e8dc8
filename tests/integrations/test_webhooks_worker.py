"""Outbound webhooks through the real path: PostgreSQL outbox, a real Celery worker process,
a real HTTP receiver that fails before it succeeds. Each event reaches the receiver exactly once
per webhook-id (as accepted answers), and every request's signature verifies with the
`standardwebhooks` package."""

from __future__ import annotations

import pytest
from django.db import transaction
from standardwebhooks.webhooks import Webhook

from consent.models import Purpose, Source
from consent.services import consent_change
from integrations.models import DeliveryStatus, WebhookDelivery
from integrations.webhooks.outbox import subscription_create
from tests.candidates.factories import candidate
from tests.integrations.receiver import Receiver
from tests.worker import wait_until

pytestmark = pytest.mark.worker


def test_a_receiver_that_fails_then_succeeds_gets_each_event_exactly_once(
    committed_tenant, celery_worker, settings, monkeypatch
):
    # The worker process reads these from its environment; this process from settings.
    for name, value in {
        "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "1",
        "WEBHOOK_RETRY_SCHEDULE": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    celery_worker.stop()
    celery_worker.start()
    receiver = Receiver(script=[500, 503, "hang", 500], hang_seconds=4)
    try:
        committed_tenant.activate()
        subscription = subscription_create(
            url=receiver.url, events=["consent.changed", "candidate.opted_in"], actor=None
        )
        people = [candidate(email=f"w{n}@example.com") for n in range(3)]
        for person in people:
            with transaction.atomic():
                consent_change(
                    candidate=person, source=Source.OPTIN_LINK, grant={Purpose.TALENT_POOL: None}
                )
        deliveries = WebhookDelivery.objects.filter(subscription=subscription)

        def all_delivered() -> bool:
            return (
                deliveries.count() == 6
                and not deliveries.exclude(status=DeliveryStatus.DELIVERED).exists()
            )

        assert wait_until(all_delivered, timeout=90), (
            list(deliveries.values("status", "attempts", "last_error")),
            celery_worker.log()[-3000:],
        )
        expected = {d.event.msg_id for d in deliveries.select_related("event")}
        accepted = [r.headers["webhook-id"] for r in receiver.accepted()]
        assert sorted(accepted) == sorted(expected)  # each once, none twice
        assert len(receiver.requests) > len(accepted)  # the failures were retried
        verifier = Webhook(subscription.secret)
        for request in receiver.requests:
            payload = verifier.verify(request.body, request.headers)
            assert payload["type"] in ("consent.changed", "candidate.opted_in")
        assert sum(d.attempts for d in deliveries) == len(receiver.requests)
    finally:
        receiver.stop()
