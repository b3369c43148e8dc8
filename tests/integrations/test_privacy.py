"""What integrations keeps about people, under the personal-data registry: an erasure (the
registry walk, in the erasure's transaction) takes the person's webhook payloads, ATS events and
links, replies and stored API answers, and nobody else's; the daily retention keeps none of it
for long. The canary (tests/consent/test_erasure_canary.py) proves the same with markers; these
use short and non-ASCII names, which the canary's long markers cannot show."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from candidates.models import Candidate, Outcome, Stage
from candidates.pipeline import application_outcome_set
from consent.erasure import candidate_erase
from consent.exports import candidate_export
from consent.models import Purpose, Source
from consent.records import records_of_processing
from consent.retention import retention_run
from consent.services import consent_change
from integrations.ats.services import ats_events_retry_all
from integrations.keys import api_key_create
from integrations.models import (
    AtsConnection,
    AtsEvent,
    AtsEventStatus,
    AtsMapping,
    DeliveryStatus,
    IdempotencyRecord,
    InboundReply,
    MappingKind,
    ReplyStatus,
    UnknownJobPolicy,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventType,
)
from integrations.webhooks.outbox import (
    WebhookError,
    deliveries_run,
    delivery_replay,
    subscription_create,
    webhook_event_emit,
)
from mailing.models import Message
from tests.candidates.factories import application, candidate, position
from tests.feedback.helpers import reasons
from tests.integrations.receiver import Receiver

GH_SECRET = "greenhouse-secret-key-123"
AUTH = "dev-webhook-user:dev-webhook-password"
FIXTURE = "tests/integrations/fixtures/greenhouse_application_updated.json"


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:  # type: ignore[no-untyped-def]
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True  # the test receiver is on loopback
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = Receiver()
    yield server
    server.stop()


def _committed(capture, action):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return action()


def _erase(capture, person: Candidate) -> None:  # type: ignore[no-untyped-def]
    _committed(capture, lambda: candidate_erase(candidate=person, actor=None))


# --- Outbound webhooks ----------------------------------------------------------------------------


def test_webhook_payloads_of_the_person_are_erased_and_undelivered_ones_cancelled(
    tenant_a, receiver, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    subscription = subscription_create(url=receiver.url, events=WebhookEventType.values, actor=None)
    li = candidate(email="li@example.com", first_name="Li", last_name="Wu")
    ann = candidate(email="ann@example.com", first_name="Ann", last_name="Ode")
    grant = {Purpose.TALENT_POOL: None}
    _committed(capture, lambda: consent_change(candidate=li, source=Source.OPTIN_LINK, grant=grant))
    assert deliveries_run() == 2
    # Not delivered yet when the erasure comes.
    _committed(
        capture,
        lambda: consent_change(
            candidate=li, source=Source.PREFERENCE_CENTRE, grant={Purpose.EVENTS: None}
        ),
    )
    _committed(
        capture, lambda: consent_change(candidate=ann, source=Source.OPTIN_LINK, grant=grant)
    )
    exported = candidate_export(li)["records"]["integrations.webhookevent"]
    assert {row["payload"]["data"]["candidate"]["email"] for row in exported} == {"li@example.com"}

    _erase(capture, li)

    assert {e.payload["erased"] for e in WebhookEvent.objects.filter(candidate_id=li.pk)} == {True}
    statuses = WebhookDelivery.objects.filter(event__candidate_id=li.pk).values_list(
        "status", flat=True
    )
    assert sorted(statuses) == ["cancelled", "delivered", "delivered"]
    delivered = WebhookDelivery.objects.filter(
        event__candidate_id=li.pk, status=DeliveryStatus.DELIVERED
    ).first()
    with pytest.raises(WebhookError, match="erased"):
        delivery_replay(delivery=delivered, actor=None)
    ann_events = WebhookEvent.objects.filter(candidate_id=ann.pk)
    assert {e.payload["data"]["candidate"]["first_name"] for e in ann_events} == {"Ann"}

    deliveries_run()
    later = [json.loads(r.body) for r in receiver.accepted()[2:]]
    assert sorted(p["type"] for p in later) == [
        "candidate.erased",
        "candidate.opted_in",
        "consent.changed",
    ]
    bodies = [r.body.decode() for r in receiver.accepted()[2:]]
    assert not any("li@example.com" in b or '"Li"' in b or '"Wu"' in b for b in bodies)
    assert len(receiver.accepted()) == 5 and subscription.deliveries.count() == 6


# --- ATS ------------------------------------------------------------------------------------------


def _greenhouse_post(world, payload: dict, event_id: str):  # type: ignore[no-untyped-def]
    body = json.dumps(payload).encode()
    signature = hmac.new(GH_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return world.client().post(
        "/integrations/ats/greenhouse/webhook/",
        body,
        content_type="application/json",
        HTTP_SIGNATURE=f"sha256 {signature}",
        HTTP_GREENHOUSE_EVENT_ID=event_id,
    )


def _greenhouse_person(
    number: int, email: str, first: str, last: str, stage_id: int = 900203
) -> dict:
    with open(FIXTURE) as source:
        payload = json.load(source)
    application_data = payload["payload"]["application"]
    application_data["id"] = 7300100 + number
    application_data["current_stage"]["id"] = stage_id
    person = application_data["candidate"]
    person.update(first_name=first, last_name=last)
    person["email_addresses"] = [{"value": email, "type": "personal"}]
    return payload


def test_ats_events_about_the_person_lose_their_payload_and_leave_the_review_queue(
    tenant_a, django_capture_on_commit_callbacks
):
    AtsConnection.objects.create(
        provider="greenhouse", secret=GH_SECRET, unknown_job=UnknownJobPolicy.CREATE
    )
    AtsMapping.objects.create(
        provider="greenhouse",
        kind=MappingKind.STAGE,
        external_id="900203",
        stage=Stage.objects.get(slug="final-interview"),
    )
    bo = ("bo@example.org", "Bo", "Ek")
    applied = _greenhouse_post(tenant_a, _greenhouse_person(1, *bo), "e-1")
    assert applied.json()["status"] == AtsEventStatus.PROCESSED
    # The ATS sent a name with the address: held for review, the person not stored from it.
    held = _greenhouse_post(
        tenant_a, _greenhouse_person(2, "Bo Ek <bo@example.org>", "Bo", "Ek"), "e-2"
    )
    assert held.json()["status"] == AtsEventStatus.REVIEW
    other = _greenhouse_post(
        tenant_a, _greenhouse_person(3, "cy@example.org", "Cy", "Oz", stage_id=1), "e-3"
    )
    assert other.json()["status"] == AtsEventStatus.REVIEW
    person = Candidate.objects.get(email="bo@example.org")
    their_application = person.applications.get()
    AtsMapping.objects.create(
        provider="lever",
        kind=MappingKind.APPLICATION,
        external_id="opp-bo",
        external_name="Bo Ek, Data Analyst",
        application=their_application,
    )

    _erase(django_capture_on_commit_callbacks, person)

    first, second, third = AtsEvent.objects.order_by("received_at", "id")
    assert first.payload == {} and first.status == AtsEventStatus.PROCESSED
    assert second.payload == {} and second.status == AtsEventStatus.IGNORED
    assert "erased" in second.result
    assert "bo@" not in second.problem.lower() and "Bo Ek" not in second.problem
    assert third.status == AtsEventStatus.REVIEW
    assert third.payload["payload"]["application"]["candidate"]["first_name"] == "Cy"
    links = AtsMapping.objects.filter(kind=MappingKind.APPLICATION)
    assert not links.filter(application__candidate=person).exists()
    assert set(AtsMapping.objects.values_list("kind", flat=True)) == {
        MappingKind.STAGE,
        MappingKind.JOB,
    }
    # Retrying the queue does not bring them back.
    ats_events_retry_all(actor=None)
    assert not Candidate.objects.filter(email__iexact="bo@example.org").exists()


# --- Replies --------------------------------------------------------------------------------------


def _inbound(world, *, sender: str, name: str, text: str, to: str, event_id: str = ""):  # type: ignore[no-untyped-def]
    payload = {
        "FromFull": {"Email": sender, "Name": name},
        "ToFull": [{"Email": to, "Name": ""}],
        "OriginalRecipient": to,
        "Subject": f"Re: from {name}",
        "TextBody": text,
        "HtmlBody": f"<p>{text}</p>",
        "Headers": [{"Name": "Message-ID", "Value": f"<{event_id or text[:8]}@{sender}>"}],
        "Attachments": [],
    }
    if event_id:
        payload["MessageID"] = event_id
    response = world.client().post(
        "/integrations/inbound/postmark/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(AUTH.encode()).decode(),
    )
    assert response.status_code == 200, response.content


def test_replies_from_or_about_the_person_are_erased(
    tenant_a, settings, django_capture_on_commit_callbacks
):
    from feedback.services import application_reject

    settings.REPLIES_DOMAIN = "{schema}.replies.example.com"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": AUTH}
    nora = candidate(email="nora@example.com", first_name="Nora", last_name="Lindqvist")
    rejection = application_reject(
        application=application(nora), actor=tenant_a.recruiter, reasons=reasons("skills-gap")
    )
    reply_to = Message.objects.get(pk=rejection.message_id).headers["Reply-To"]
    _inbound(tenant_a, sender="nora@example.com", name="Nora", text="Can we talk?", to=reply_to)
    # Unmatched (to the company's address, no thread): waits for review, from her address.
    _inbound(
        tenant_a,
        sender="NORA@example.com",
        name="Nora L",
        text="Me again",
        to="jobs@alpha.example",
        event_id="pm-2",
    )
    _inbound(
        tenant_a,
        sender="max@example.net",
        name="Max",
        text="Please also consider Nora Lindqvist (nora@example.com), she is great",
        to="jobs@alpha.example",
        event_id="pm-3",
    )
    assert InboundReply.objects.filter(status=ReplyStatus.MATCHED, candidate=nora).count() == 1

    _erase(django_capture_on_commit_callbacks, nora)

    hers = InboundReply.objects.exclude(from_email="max@example.net").order_by("id")
    assert [(r.from_email, r.from_name, r.subject, r.text) for r in hers] == [
        ("", "", "[erased]", ""),
        ("", "", "[erased]", ""),
    ]
    assert [r.status for r in hers] == [ReplyStatus.MATCHED, ReplyStatus.DISMISSED]
    assert all(r.dedupe_key == f"erased-{r.pk}" for r in hers)
    theirs = InboundReply.objects.get(from_email="max@example.net")
    assert theirs.text == "Please also consider [erased] ([erased]), she is great"
    assert theirs.status == ReplyStatus.REVIEW and theirs.from_name == "Max"
    page = tenant_a.client(tenant_a.recruiter).get("/integrations/replies/")
    assert b"nora" not in page.content.lower() and b"max@example.net" in page.content
    assert b"after 90 days is deleted" in page.content


# --- Stored API answers ---------------------------------------------------------------------------


def test_stored_api_answers_mentioning_the_person_are_deleted(
    tenant_a, api, django_capture_on_commit_callbacks
):
    zoe = api.post(
        "/candidates",
        {"email": "zoe@example.com", "first_name": "Zoë", "last_name": "Müller-Lüdenscheidt"},
        headers={"Idempotency-Key": "sync-1"},
    )
    assert zoe.status_code == 201
    api.post("/candidates", {"email": "sam@example.com"}, headers={"Idempotency-Key": "sync-2"})
    person = Candidate.objects.get(pk=zoe.json()["id"])
    withdrawn = application(person, position())
    application_outcome_set(application=withdrawn, outcome=Outcome.WITHDRAWN, actor=None)
    # An error naming her, without her address, written as JSON writes it ("Zo\u00eb").
    refused = api.post(
        f"/applications/{withdrawn.pk}/reject", {}, headers={"Idempotency-Key": "reject-1"}
    )
    assert refused.status_code == 409
    stored = IdempotencyRecord.objects.get(key="reject-1").body
    assert "M\\u00fcller-L\\u00fcdenscheidt" in stored and "zoe@" not in stored

    _erase(django_capture_on_commit_callbacks, person)

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["sync-2"]


# --- Retention ------------------------------------------------------------------------------------


def test_retention_keeps_none_of_it_for_long(tenant_a, receiver, settings):
    settings.INTEGRATIONS_LOG_RETENTION_DAYS = 30
    settings.INTEGRATIONS_REVIEW_RETENTION_DAYS = 90
    now = timezone.now()

    def ago(days: float):  # type: ignore[no-untyped-def]
        return now - timedelta(days=days)

    subscription_create(url=receiver.url, events=WebhookEventType.values, actor=None)
    person = candidate()
    events = [
        webhook_event_emit(
            event_type=WebhookEventType.CONSENT_CHANGED,
            data={"candidate": {"id": person.pk, "email": person.email}},
            candidate_id=person.pk,
        )
        for _ in range(3)
    ]
    old_done, old_pending, recent = (e.pk for e in events)  # type: ignore[union-attr]
    WebhookEvent.objects.filter(pk__in=[old_done, old_pending]).update(created_at=ago(40))
    WebhookDelivery.objects.filter(event_id__in=[old_done, old_pending]).update(
        window_start=ago(40)
    )
    WebhookDelivery.objects.filter(event_id=old_done).update(status=DeliveryStatus.DELIVERED)

    def ats(key: str, status: str, days: float) -> AtsEvent:
        return AtsEvent.objects.create(
            provider="greenhouse",
            dedupe_key=key,
            action="application_updated",
            payload={"candidate": person.email},
            problem=f"about {person.email}",
            status=status,
            received_at=ago(days),
            processed_at=ago(days),
        )

    applied_old = ats("a", AtsEventStatus.PROCESSED, 31)
    applied_new = ats("b", AtsEventStatus.PROCESSED, 29)
    review_stale = ats("c", AtsEventStatus.REVIEW, 91)
    review_open = ats("d", AtsEventStatus.REVIEW, 60)

    def reply(key: str, status: str, days: float) -> InboundReply:
        return InboundReply.objects.create(
            dedupe_key=key,
            status=status,
            from_email=person.email,
            text="hello",
            received_at=ago(days),
        )

    for key, status, days in [
        ("r1", ReplyStatus.MATCHED, 31),
        ("r2", ReplyStatus.DISMISSED, 31),
        ("r3", ReplyStatus.MATCHED, 29),
        ("r4", ReplyStatus.REVIEW, 60),
        ("r5", ReplyStatus.REVIEW, 91),
    ]:
        reply(key, status, days)

    key = api_key_create(name="Sync", scopes=["write"], actor=None).key
    for name, hours in [("old", 25), ("new", 1)]:
        record = IdempotencyRecord.objects.create(
            api_key=key, key=name, method="POST", path="/api/v1/candidates", body=person.email
        )
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            created_at=now - timedelta(hours=hours)
        )

    report = retention_run(now=now).as_dict()

    assert report["idempotency_records_deleted"] == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert report["webhook_events_deleted"] == 1
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {old_pending, recent}
    assert report["ats_payloads_deleted"] == 1
    for event in (applied_old, applied_new, review_stale, review_open):
        event.refresh_from_db()
    assert applied_old.payload == {} and applied_old.problem == ""
    assert applied_new.payload and review_open.payload
    assert report["ats_reviews_given_up"] == 1
    assert review_stale.status == AtsEventStatus.IGNORED and review_stale.payload == {}
    assert review_open.status == AtsEventStatus.REVIEW
    assert report["replies_deleted"] == 3
    assert sorted(InboundReply.objects.values_list("dedupe_key", flat=True)) == ["r3", "r4"]
    # A second run finds nothing more to do.
    again = retention_run(now=now).as_dict()
    assert not any(again.get(k) for k in report if k.startswith(("ats_", "webhook", "replies")))


def test_the_records_of_processing_state_the_integrations_purposes(tenant_a, settings):
    settings.INTEGRATIONS_LOG_RETENTION_DAYS = 21
    activities = {a.key: a for a in records_of_processing().activities}
    assert "21 days" in activities["integrations"].retention
    assert "21 days" in activities["replies"].retention
    described = {d.description for d in activities["integrations"].datasets}
    assert "Events sent to the company's webhook receivers" in described
