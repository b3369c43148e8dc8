"""Erasure under bad input: asked twice (one after the other, and at the same moment), of a
merged person, while an email is queued, claimed by a worker or already with the ESP."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import AuditLog
from candidates.models import Activity, Candidate
from candidates.services import candidate_merge, candidate_note_add
from consent.erasure import candidate_erase
from consent.events import candidate_erased
from consent.models import ConsentEvent, Source
from consent.services import consent_grant
from mailing.dispatch import DispatchResult, message_claim, messages_send, outbox_dispatch
from mailing.kinds import MessageKind
from mailing.models import Message, MessageStatus, Suppression, email_hash
from mailing.services import message_enqueue
from tests.consent.conftest import person
from tests.mailing.fake_esp import FakePostmark


def _email(candidate, key: str, subject: str = "Dear Zoe Quist", **extra):  # type: ignore[no-untyped-def]
    return message_enqueue(
        send_key=key,
        kind=MessageKind.TRANSACTIONAL,
        to_email=candidate.email,
        subject=subject,
        html=f"<p>{subject}</p>",
        text=subject,
        candidate=candidate,
        **extra,
    )


def test_erasure_asked_twice_does_it_once(tenant_a):
    zoe = person(first_name="Zoe", last_name="Quist", email="zoe.quist@example.org")
    admin = tenant_a.client(tenant_a.hr_admin)
    first = admin.post(f"/c/candidate/{zoe.pk}/erase/", {"confirm": "ERASE"}, follow=True)
    assert b"has been erased" in first.content
    second = admin.post(f"/c/candidate/{zoe.pk}/erase/", {"confirm": "ERASE"}, follow=True)
    assert second.status_code == 200 and b"already erased" in second.content
    assert candidate_erase(candidate=zoe, actor=None) == 0
    assert Activity.objects.filter(candidate=zoe, summary="Personal data erased").count() == 1
    assert AuditLog.objects.filter(action="candidate.erased").count() == 1


def test_two_erasures_at_the_same_moment_do_it_once(committed_tenant):
    committed_tenant.activate()
    zoe = person(first_name="Zoe", last_name="Quist", email="zoe.quist@example.org")
    candidate_note_add(candidate=zoe, body="Zoe Quist, long note", actor=None)
    results: list[int] = []
    start = threading.Barrier(2)

    def erase() -> None:
        connection.set_tenant(committed_tenant.tenant)
        try:
            start.wait()
            results.append(candidate_erase(candidate=zoe, actor=None, reason="twice"))
        finally:
            connection.close()

    threads = [threading.Thread(target=erase) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [0, 1]
    committed_tenant.activate()
    assert Activity.objects.filter(candidate=zoe, summary="Personal data erased").count() == 1
    assert not Activity.objects.filter(body__icontains="zoe").exists()


def test_erasing_a_merged_duplicate_erases_the_person_it_was_merged_into(tenant_a):
    kept = person(first_name="Zoe", last_name="Quist", email="zoe@work.example")
    duplicate = person(first_name="Zoé", last_name="Quist", email="zq@home.example")
    consent_grant(candidate=duplicate, purpose="events", source=Source.RECRUITER, reason="phone")
    _email(duplicate, "merged:old")
    candidate_merge(kept=kept, merged=duplicate, actor=tenant_a.recruiter)
    # The request arrives for the old address, i.e. the forwarding stub.
    assert candidate_erase(candidate=duplicate, actor=None) == 2
    for record in (kept, duplicate):
        record.refresh_from_db()
        assert record.anonymised_at is not None
        assert record.email.endswith("@invalid.invalid")
    for address in ("zoe@work.example", "zq@home.example"):
        assert Suppression.objects.filter(email_hash=email_hash(address)).exists()
    assert not Message.objects.filter(to_email__icontains="home.example").exists()
    assert not Activity.objects.filter(summary__icontains="Quist").exists()
    assert not ConsentEvent.objects.exclude(reason="").filter(candidate=kept).exists()
    # Erasing the kept record instead reaches its duplicates the same way.
    other = person(email="other@example.org")
    stub = person(email="other.old@example.org")
    candidate_merge(kept=other, merged=stub, actor=None)
    assert candidate_erase(candidate=other, actor=None) == 2


def test_erasure_cancels_queued_mail_and_stops_mail_a_worker_has_claimed(tenant_a, settings):
    settings.MAILING_RATE_PER_TENANT = settings.MAILING_RATE_GLOBAL = 0
    zoe = person(first_name="Zoe", last_name="Quist", email="zoe.quist@example.org")
    later = _email(zoe, "queued:later", send_after=timezone.now() + timedelta(hours=3))
    claimed = _email(zoe, "queued:claimed")
    (in_hand,) = message_claim(limit=10)  # a worker holds it, before calling the ESP
    assert in_hand.pk == claimed.pk
    candidate_erase(candidate=zoe, actor=None)
    mail.outbox = []
    result = DispatchResult()
    messages_send([in_hand], result)
    assert mail.outbox == [] and result.sent == 0  # its claim check saw the erasure
    for message in (later, claimed):
        message.refresh_from_db()
        assert message.status == MessageStatus.CANCELLED
        assert (message.subject, message.text, message.html) == ("[erased]", "", "")
        assert message.to_email.endswith("@invalid.invalid")


def test_mail_already_with_the_esp_when_erasure_runs_keeps_no_body(committed_tenant, settings):
    """The ESP is answering while the erasure commits: the email has left (recorded as sent,
    once), but neither its row nor the timeline entry written after the answer keeps anything."""
    committed_tenant.activate()
    esp = FakePostmark().start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = settings.ANYMAIL | {
        "POSTMARK_SERVER_TOKEN": "test-server-token",
        "POSTMARK_API_URL": esp.url,
    }
    settings.MAILING_RATE_PER_TENANT = settings.MAILING_RATE_GLOBAL = 0
    settings.MAILING_BATCH_TEMPLATE = ""
    esp.delay = 3.0  # accepted at once, answered 3 s later
    try:
        zoe = person(first_name="Zoe", last_name="Quist", email="zoe.quist@example.org")
        message = _email(zoe, "in-flight")

        def dispatch() -> None:
            connection.set_tenant(committed_tenant.tenant)
            try:
                outbox_dispatch()
            finally:
                connection.close()

        worker = threading.Thread(target=dispatch)
        worker.start()
        deadline = time.monotonic() + 20
        while not esp.accepted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert esp.accepted, "the ESP never received the message"
        candidate_erase(candidate=zoe, actor=None)  # commits while the ESP is still answering
        worker.join(30)
        assert not worker.is_alive()
    finally:
        esp.stop()
    committed_tenant.activate()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.esp_message_id
    assert (message.subject, message.text, message.html) == ("[erased]", "", "")
    assert len(esp.accepted) == 1
    assert not Activity.objects.filter(candidate=zoe, summary__icontains="Quist").exists()
    sent_entry = Activity.objects.get(candidate=zoe, ref=message.ref, kind="email")
    assert sent_entry.summary == "[erased]" and sent_entry.data == {}
    assert Candidate.objects.get(pk=zoe.pk).anonymised_at is not None


def test_integrations_hear_of_an_erasure_once_it_committed(
    tenant_a, django_capture_on_commit_callbacks
):
    heard: list[dict] = []

    def listener(**kwargs: object) -> None:
        heard.append(kwargs)

    candidate_erased.connect(listener, dispatch_uid="test.erased")
    try:
        kept = person(email="kept@example.org")
        stub = person(email="stub@example.org")
        candidate_merge(kept=kept, merged=stub, actor=None)
        with django_capture_on_commit_callbacks(execute=True):
            candidate_erase(candidate=kept, actor=None, reason="data request")
            assert heard == []  # not before the commit
        with django_capture_on_commit_callbacks(execute=True):
            candidate_erase(candidate=kept, actor=None)  # nothing left to erase
    finally:
        candidate_erased.disconnect(dispatch_uid="test.erased")
    assert len(heard) == 1
    assert sorted(heard[0]["candidate_ids"]) == sorted([kept.pk, stub.pk])
    assert heard[0]["reason"] == "data request"
    assert sorted(heard[0]["email_hashes"]) == sorted(
        [email_hash("kept@example.org"), email_hash("stub@example.org")]
    )
