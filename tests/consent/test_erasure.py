"""Erasure removes the person everywhere; the access export contains everything held."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.services import audit_log_record
from candidates.models import Activity, Application, Candidate, CandidateTag, Position
from candidates.pipeline import application_create
from candidates.services import candidate_note_add, candidate_tags_add
from consent.erasure import candidate_erase
from consent.exports import candidate_export, candidate_export_pdf
from consent.models import ConsentEvent, Registration, Source
from consent.selectors import active_purposes
from consent.services import Origin, consent_change
from mailing.dispatch import outbox_dispatch
from mailing.kinds import MessageKind
from mailing.models import Message, MessageStatus, Suppression, email_hash
from mailing.services import message_enqueue
from tests.consent.conftest import person
from tests.pgdump import dump_schemas

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EMAIL = "zebulon.quattrocchi@example.org"
PHONE = "+33 6 12 34 56 78"


def _someone_with_history(hr_admin) -> tuple[Candidate, Message, Message]:  # type: ignore[no-untyped-def]
    zeb = person(first_name="Zebulon", last_name="Quattrocchi", email=EMAIL, phone=PHONE)
    consent_change(
        candidate=zeb,
        source=Source.OPTIN_LINK,
        grant={"talent_pool": None, "events": None, "job_offers": None},
        origin=Origin(ip="203.0.113.9", user_agent="ZebBrowser/7"),
    )
    position = Position.objects.create(title="Backend engineer")
    application_create(
        candidate=zeb,
        position=position,
        actor=hr_admin,
        cv=SimpleUploadedFile("zebulon-cv.pdf", PDF, content_type="application/pdf"),
    )
    candidate_note_add(
        candidate=zeb, body=f"Met Zebulon Quattrocchi at the fair, call {PHONE}", actor=hr_admin
    )
    candidate_tags_add(
        candidates=[zeb], names=["fair-2026", "Zebulon Quattrocchi referral"], actor=hr_admin
    )
    audit_log_record(actor=hr_admin, action="candidate.export", target=EMAIL)
    sent = message_enqueue(
        send_key="erasure-test:sent",
        kind=MessageKind.TRANSACTIONAL,
        to_email=EMAIL,
        subject="Your application, Zebulon",
        html="<p>Dear Zebulon Quattrocchi, thank you.</p>",
        text="Dear Zebulon Quattrocchi, thank you.",
        candidate=zeb,
    )
    outbox_dispatch()
    pending = message_enqueue(
        send_key="erasure-test:pending",
        kind=MessageKind.TRANSACTIONAL,
        to_email=EMAIL,
        subject="Zebulon, one more thing",
        html="<p>Zebulon…</p>",
        text="Zebulon…",
        candidate=zeb,
        send_after=timezone.now() + timedelta(days=1),
    )
    registration = Registration.objects.create(
        email=EMAIL, data={"first_name": "Zebulon", "phone": PHONE}
    )
    registration.cv.save("zebulon.pdf", SimpleUploadedFile("zebulon.pdf", PDF))
    return zeb, sent, pending


def test_after_erasure_a_dump_of_the_schema_has_no_trace_of_the_person(committed_tenant):
    committed_tenant.activate()
    zeb, sent, pending = _someone_with_history(committed_tenant.hr_admin)
    assert sent.refresh_from_db() is None and sent.status == MessageStatus.SENT
    files = [
        Application.objects.get(candidate=zeb).cv.name,
        Registration.objects.get(email=EMAIL).cv.name,
    ]
    before = dump_schemas(committed_tenant.tenant.schema_name)
    assert EMAIL in before and "Quattrocchi" in before and PHONE in before

    candidate_erase(candidate=zeb, actor=committed_tenant.hr_admin)

    dump = dump_schemas(committed_tenant.tenant.schema_name).lower()
    for trace in (EMAIL, "zebulon", "quattrocchi", PHONE.lower(), "12 34 56 78", "zebbrowser"):
        assert trace.lower() not in dump, trace
    assert "203.0.113.9" not in dump
    assert email_hash(EMAIL) in dump
    for name in files:
        assert not default_storage.exists(name)
    pending.refresh_from_db()
    assert pending.status == MessageStatus.CANCELLED
    # What stays is anonymous: the application (position, stage, outcome) and the ledger.
    zeb.refresh_from_db()
    assert zeb.anonymised_at is not None
    assert Application.objects.filter(candidate=zeb).exists()
    assert ConsentEvent.objects.filter(candidate=zeb, source=Source.ERASURE).count() == 3
    assert active_purposes(zeb) == set()
    assert not CandidateTag.objects.filter(content_object=zeb).exists()


def test_erasure_cancels_pending_email_and_suppresses_the_address(tenant_a):
    zeb = person(email="zeb@example.org")
    pending = message_enqueue(
        send_key="erasure-test:pending-a",
        kind=MessageKind.TRANSACTIONAL,
        to_email="zeb@example.org",
        subject="Later",
        html="<p>Later</p>",
        text="Later",
        candidate=zeb,
        send_after=timezone.now() + timedelta(hours=2),
    )
    candidate_erase(candidate=zeb, actor=tenant_a.hr_admin)
    pending.refresh_from_db()
    assert pending.status == MessageStatus.CANCELLED
    assert Suppression.objects.filter(email_hash=email_hash("zeb@example.org")).exists()
    # A re-import of the same address gets no mail out.
    again = person(email="zeb@example.org")
    message = message_enqueue(
        send_key="erasure-test:after",
        kind=MessageKind.TRANSACTIONAL,
        to_email="zeb@example.org",
        subject="Hello",
        html="<p>Hello</p>",
        text="Hello",
        candidate=again,
    )
    outbox_dispatch()
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED
    # Erasure is audited, without the address.
    from accounts.models import AuditLog

    entry = AuditLog.objects.get(action="candidate.erased")
    assert entry.target == f"candidate:{zeb.pk}" and "zeb@" not in json.dumps(entry.details)


def test_erasing_twice_is_harmless_and_links_stop_working(tenant_a):
    from consent import links
    from tests.consent.conftest import path_of

    zeb = person()
    url = path_of(links.preferences_url(zeb))
    candidate_erase(candidate=zeb, actor=None)
    candidate_erase(candidate=zeb, actor=None)
    assert tenant_a.client().get(url).status_code == 410
    assert Activity.objects.filter(candidate=zeb, summary="Personal data erased").count() == 1


def test_access_export_contains_everything_held(tenant_a):
    zeb, _sent, _pending = _someone_with_history(tenant_a.hr_admin)
    data = candidate_export(zeb)
    assert data["profile"]["email"] == EMAIL
    assert data["profile"]["phone"] == PHONE
    assert data["profile"]["tags"] == ["Zebulon Quattrocchi referral", "fair-2026"]
    records = data["records"]
    assert records["candidates.application"][0]["cv"] == "zebulon-cv.pdf" or records[
        "candidates.application"
    ][0]["cv"].endswith(".pdf")
    assert any("Met Zebulon" in a["body"] for a in records["candidates.activity"])
    assert {m["subject"] for m in records["mailing.message"]} >= {"Your application, Zebulon"}
    assert len(records["consent.consentevent"]) == 3
    assert records["consent.consentevent"][0]["user_agent"] == "ZebBrowser/7"
    pdf = candidate_export_pdf(zeb)
    assert pdf.startswith(b"%PDF")
