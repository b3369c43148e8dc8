"""Tracking only with consent, at the source: the ESP is told per message whether to add its
open pixel and rewrite links, from the person's tracking consent at send time (off when unknown),
so nothing tracks someone who did not agree. Checked on what is handed to the ESP: anymail's
test backend (the message's send parameters) and the real Postmark backend over HTTP."""

from __future__ import annotations

import pytest
from django.core import mail

from consent.models import Purpose, Source
from consent.services import consent_grant, consent_withdraw
from mailing import gate
from mailing.dispatch import outbox_dispatch
from mailing.esp import mailing_key
from mailing.kinds import MessageKind
from mailing.services import message_enqueue
from tests.consent.conftest import person
from tests.mailing.fake_esp import FakePostmark


def _mail(candidate, key: str, *, kind: str = MessageKind.TRANSACTIONAL):  # type: ignore[no-untyped-def]
    return message_enqueue(
        send_key=key,
        kind=kind,
        to_email=candidate.email if candidate else "nobody@example.com",
        subject="Hello",
        html='<p>Hello <a href="https://example.com/job">a job</a></p>',
        text="Hello",
        candidate=candidate,
        unsubscribe_url="https://alpha.localhost/c/u/x/"
        if kind != MessageKind.TRANSACTIONAL
        else None,
    )


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):  # type: ignore[no-untyped-def]
    """anymail's own test backend (pytest-django would use Django's locmem one): it parses the
    message as an ESP backend does and keeps the send parameters it would post."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


def _sent_params() -> dict[str, dict]:
    return {m.to[0]: m.anymail_test_params for m in mail.outbox}


def test_each_message_tells_the_esp_whether_it_may_track(tenant_a):
    agreed, refused, unknown = person(), person(), person()
    consent_grant(candidate=agreed, purpose=Purpose.TRACKING, source=Source.PREFERENCE_CENTRE)
    consent_grant(candidate=refused, purpose=Purpose.TRACKING, source=Source.PREFERENCE_CENTRE)
    consent_withdraw(candidate=refused, purpose=Purpose.TRACKING, source=Source.PREFERENCE_CENTRE)
    for n, candidate in enumerate((agreed, refused, unknown)):
        _mail(candidate, f"track:{n}")
    _mail(None, "track:nobody")  # e.g. a registration confirmation: no person known yet
    mail.outbox = []
    outbox_dispatch()
    params = _sent_params()
    assert (params[agreed.email]["track_opens"], params[agreed.email]["track_clicks"]) == (
        True,
        True,
    )
    for address in (refused.email, unknown.email, "nobody@example.com"):
        assert params[address]["track_opens"] is False, address
        assert params[address]["track_clicks"] is False, address


def test_the_decision_is_taken_at_send_time(tenant_a):
    ada = person()
    consent_grant(candidate=ada, purpose=Purpose.TRACKING, source=Source.PREFERENCE_CENTRE)
    _mail(ada, "track:later")
    consent_withdraw(candidate=ada, purpose=Purpose.TRACKING, source=Source.PREFERENCE_CENTRE)
    mail.outbox = []
    outbox_dispatch()
    assert _sent_params()[ada.email]["track_opens"] is False


def test_without_a_tracking_check_nothing_is_tracked(tenant_a, monkeypatch):
    ada = person()
    consent_grant(candidate=ada, purpose=Purpose.TRACKING, source=Source.PREFERENCE_CENTRE)
    monkeypatch.setattr(gate, "_tracking_check", None)
    monkeypatch.setattr(gate, "_tracking_check_many", None)
    _mail(ada, "track:no-check")
    mail.outbox = []
    outbox_dispatch()
    assert _sent_params()[ada.email]["track_opens"] is False


@pytest.fixture
def postmark(settings):  # type: ignore[no-untyped-def]
    esp = FakePostmark().start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = settings.ANYMAIL | {
        "POSTMARK_SERVER_TOKEN": "test-server-token",
        "POSTMARK_API_URL": esp.url,
    }
    settings.MAILING_BATCH_TEMPLATE = "talentcrm-passthrough"
    settings.MAILING_BATCH_LIMITS = {"postmark": 500}
    try:
        yield esp
    finally:
        esp.stop()


def test_batch_sends_never_mix_tracked_and_untracked_recipients(tenant_a, postmark):
    """anymail's track_opens is one switch per ESP call, so a batch (merge_data) holds only
    messages with the same tracking; Postmark receives TrackOpens/TrackLinks per message."""
    people = [person() for _ in range(6)]
    for candidate in people:
        consent_grant(
            candidate=candidate, purpose=MessageKind.JOB_OFFERS, source=Source.PREFERENCE_CENTRE
        )
    tracked = people[::2]
    for candidate in tracked:
        consent_grant(
            candidate=candidate, purpose=Purpose.TRACKING, source=Source.PREFERENCE_CENTRE
        )
    messages = {
        candidate.pk: _mail(candidate, f"batch:{candidate.pk}", kind=MessageKind.JOB_OFFERS)
        for candidate in people
    }
    outbox_dispatch()
    assert postmark.calls.count("email/batchWithTemplates") == 2
    accepted = {m["Metadata"]["mailing_key"]: m for m in postmark.accepted}
    for candidate in people:
        sent = accepted[mailing_key(messages[candidate.pk])]
        on = candidate in tracked
        assert sent["TrackOpens"] is on, candidate.email
        assert sent["TrackLinks"] == ("HtmlAndText" if on else "None"), candidate.email
