from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailing import gate
from tests.e2e.conftest import (  # noqa: F401 (browser fixtures for the Sent mail page test)
    browser_type_launch_args,
    site,
    tenant_live_server,
)
from tests.mailing.fake_esp import FakePostmark


@pytest.fixture
def fake_esp() -> Iterator[FakePostmark]:
    esp = FakePostmark().start()
    try:
        yield esp
    finally:
        esp.stop()


@pytest.fixture
def postmark(settings, fake_esp) -> FakePostmark:
    """The real anymail Postmark backend, talking HTTP to the local fake ESP."""
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = settings.ANYMAIL | {
        "POSTMARK_SERVER_TOKEN": "test-server-token",
        "POSTMARK_API_URL": fake_esp.url,
        "REQUESTS_TIMEOUT": 2,
    }
    settings.MAILING_RATE_PER_TENANT = 0
    settings.MAILING_RATE_GLOBAL = 0
    settings.MAILING_BATCH_TEMPLATE = ""
    return fake_esp


@pytest.fixture
def no_gate() -> Iterator[None]:
    """No send gate registered (the consent app registers one at start-up)."""
    previous = gate._send_gate, gate._tracking_check, gate._tracking_check_many
    gate.register_send_gate(None)
    gate.register_tracking_check(None)
    gate.register_tracking_check_many(None)
    try:
        yield
    finally:
        gate.register_send_gate(previous[0])
        gate.register_tracking_check(previous[1])
        gate.register_tracking_check_many(previous[2])


@pytest.fixture
def dispatch_enqueues() -> Iterator[list[str]]:
    """The dispatcher tasks published to the broker meanwhile (Celery's own publish signal;
    the task still goes to the test's Redis)."""
    from celery.signals import before_task_publish

    published: list[str] = []

    def record(sender: str, **kwargs: object) -> None:
        if sender == "mailing.tasks.outbox_dispatch_task":
            published.append(sender)

    before_task_publish.connect(record, weak=False)
    try:
        yield published
    finally:
        before_task_publish.disconnect(record)
