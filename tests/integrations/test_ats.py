"""Contract tests of the ATS connectors: the documented Greenhouse and Lever payloads, signed as
the vendors sign them, POSTed to the tenant's webhook URL, through to the rejection email or the
"feedback to write" task; forged, replayed and unmappable events."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from candidates.models import Application, Candidate, Outcome, Position, PositionStatus, Stage
from feedback.models import FeedbackTask, Rejection, RejectionReason
from integrations.models import (
    AtsConnection,
    AtsEvent,
    AtsEventStatus,
    AtsMapping,
    MappingKind,
    ReasonOutcome,
    UnknownJobPolicy,
)
from mailing.models import Message
from tests.candidates.factories import application, candidate

FIXTURES = Path(__file__).parent / "fixtures"
GH_SECRET = "greenhouse-secret-key-123"
LEVER_SECRET = "lever-signature-token-456"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def greenhouse(tenant_a):  # type: ignore[no-untyped-def]
    tenant_a.activate()
    AtsConnection.objects.create(provider="greenhouse", secret=GH_SECRET)
    analyst = Position.objects.create(title="Data Analyst", status=PositionStatus.OPEN)
    _map("greenhouse", MappingKind.JOB, "66001", position=analyst)
    _map("greenhouse", MappingKind.STAGE, "900201", stage=Stage.objects.get(slug="screening"))
    _map("greenhouse", MappingKind.STAGE, "900203", stage=Stage.objects.get(slug="final-interview"))
    _map(
        "greenhouse",
        MappingKind.REASON,
        "4411",
        reason=RejectionReason.objects.get(key="skills-gap"),
    )
    return analyst


def _map(provider: str, kind: str, external_id: str, **target) -> AtsMapping:  # type: ignore[no-untyped-def]
    return AtsMapping.objects.create(
        provider=provider, kind=kind, external_id=external_id, **target
    )


def post_greenhouse(world, payload: dict, *, event_id: str = "evt-1", secret: str = GH_SECRET):  # type: ignore[no-untyped-def]
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return world.client().post(
        "/integrations/ats/greenhouse/webhook/",
        body,
        content_type="application/json",
        HTTP_SIGNATURE=f"sha256 {signature}",
        HTTP_GREENHOUSE_EVENT_ID=event_id,
    )


def signed_lever(payload: dict, secret: str = LEVER_SECRET) -> dict:
    payload = copy.deepcopy(payload)
    signed = f"{payload['token']}{payload['triggeredAt']}".encode()
    payload["signature"] = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return payload


def post_lever(world, payload: dict):  # type: ignore[no-untyped-def]
    return world.client().post(
        "/integrations/ats/lever/webhook/", json.dumps(payload), content_type="application/json"
    )


# --- Greenhouse -----------------------------------------------------------------------------------


def test_greenhouse_rejection_below_the_policy_stage_queues_the_automatic_email(
    tenant_a, greenhouse
):
    response = post_greenhouse(tenant_a, fixture("greenhouse_reject_candidate.json"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed"
    person = Candidate.objects.get(email="mireille.fontaine@example.org")
    assert (person.first_name, person.last_name) == ("Mireille", "Fontaine")
    app = Application.objects.get(candidate=person, position=greenhouse)
    assert app.outcome == Outcome.REJECTED and app.stage.slug == "screening"
    rejection = Rejection.objects.get(application=app)
    assert [r.key for r in rejection.reasons.all()] == ["skills-gap"]
    message = Message.objects.get(pk=rejection.message_id)
    assert message.to_email == "mireille.fontaine@example.org"
    assert not FeedbackTask.objects.filter(application=app).exists()
    event = AtsEvent.objects.get()
    assert event.status == AtsEventStatus.PROCESSED and event.application == app
    assert (
        AtsMapping.objects.get(kind=MappingKind.APPLICATION, external_id="7300101").application
        == app
    )


def test_greenhouse_rejection_after_the_interview_waits_for_personal_feedback(tenant_a, greenhouse):
    post_greenhouse(tenant_a, fixture("greenhouse_application_updated.json"), event_id="e-up")
    app = Application.objects.get(candidate__email="mireille.fontaine@example.org")
    assert app.stage.slug == "final-interview" and app.outcome == Outcome.ACTIVE
    post_greenhouse(tenant_a, fixture("greenhouse_reject_candidate.json"), event_id="e-rej")
    app.refresh_from_db()
    # The furthest stage counts: moved back to screening, still past the policy's stage.
    assert app.outcome == Outcome.ACTIVE and app.furthest_stage.slug == "final-interview"
    task = FeedbackTask.objects.get(application=app)
    assert task.source == "Greenhouse" and "Lacking required skills" in task.note
    assert not Message.objects.filter(candidate=app.candidate).exists()
    assert not Rejection.objects.filter(application=app).exists()


def test_greenhouse_they_rejected_us_withdraws_without_any_email(tenant_a, greenhouse):
    _map("greenhouse", MappingKind.STAGE, "900202", stage=Stage.objects.get(slug="screening"))
    response = post_greenhouse(tenant_a, fixture("greenhouse_they_rejected_us.json"))
    assert response.json()["status"] == "processed"
    app = Application.objects.get(candidate__email="tobias.brenner@example.net")
    assert app.outcome == Outcome.WITHDRAWN
    assert not Message.objects.exists() and not FeedbackTask.objects.exists()


def test_a_replayed_delivery_is_processed_once(tenant_a, greenhouse):
    payload = fixture("greenhouse_reject_candidate.json")
    first = post_greenhouse(tenant_a, payload, event_id="same")
    second = post_greenhouse(tenant_a, payload, event_id="same")
    assert first.json()["duplicate"] is False and second.json()["duplicate"] is True
    assert AtsEvent.objects.count() == 1 and AtsEvent.objects.get().attempts == 2
    assert Message.objects.count() == 1
    # Greenhouse retried under another id: still one rejection, one email.
    post_greenhouse(tenant_a, payload, event_id="another")
    assert Message.objects.count() == 1 and Rejection.objects.count() == 1


def test_a_forged_or_unsigned_greenhouse_webhook_is_refused_and_not_stored(tenant_a, greenhouse):
    payload = fixture("greenhouse_reject_candidate.json")
    assert post_greenhouse(tenant_a, payload, secret="wrong-secret").status_code == 401
    unsigned = tenant_a.client().post(
        "/integrations/ats/greenhouse/webhook/",
        json.dumps(payload),
        content_type="application/json",
    )
    assert unsigned.status_code == 401
    assert (
        not AtsEvent.objects.exists()
        and not Candidate.objects.filter(email="mireille.fontaine@example.org").exists()
    )


def test_a_signed_but_malformed_body_is_a_400(tenant_a, greenhouse):
    body = b'{"action": "reject_candidate", '
    signature = hmac.new(GH_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = tenant_a.client().post(
        "/integrations/ats/greenhouse/webhook/",
        body,
        content_type="application/json",
        HTTP_SIGNATURE=f"sha256 {signature}",
    )
    assert response.status_code == 400


def test_a_payload_unlike_the_documentation_waits_for_review(tenant_a, greenhouse):
    response = post_greenhouse(tenant_a, {"action": "reject_candidate", "payload": {}})
    assert response.status_code == 200
    event = AtsEvent.objects.get()
    assert event.status == AtsEventStatus.REVIEW and "could not be read" in event.problem


def test_a_webhook_for_a_tenant_without_the_connection_is_a_404(tenant_b):
    assert post_greenhouse(tenant_b, {"action": "ping"}).status_code == 404


def test_an_unknown_stage_waits_for_review_then_applies_once_mapped(tenant_a, greenhouse):
    AtsMapping.objects.filter(external_id="900201").delete()
    response = post_greenhouse(tenant_a, fixture("greenhouse_reject_candidate.json"))
    assert response.json()["status"] == "review"
    event = AtsEvent.objects.get()
    assert "Application Review" in event.problem
    # Nothing half-done: not even the candidate.
    assert not Candidate.objects.filter(email="mireille.fontaine@example.org").exists()
    unmapped = AtsMapping.objects.get(kind=MappingKind.STAGE, external_id="900201")
    assert unmapped.external_name == "Application Review" and not unmapped.is_mapped

    admin = tenant_a.client(tenant_a.hr_admin)
    page = admin.get("/integrations/ats/")
    assert b"Application Review" in page.content and b"not mapped" in page.content
    saved = admin.post(
        f"/integrations/ats/mappings/{unmapped.pk}/",
        {"stage": Stage.objects.get(slug="screening").pk},
    )
    assert saved.status_code == 302
    admin.post(f"/integrations/ats/events/{event.pk}/retry/")
    event.refresh_from_db()
    assert event.status == AtsEventStatus.PROCESSED
    assert Message.objects.filter(to_email="mireille.fontaine@example.org").count() == 1


def test_an_unknown_reason_waits_for_review(tenant_a, greenhouse):
    AtsMapping.objects.filter(kind=MappingKind.REASON).delete()
    post_greenhouse(tenant_a, fixture("greenhouse_reject_candidate.json"))
    event = AtsEvent.objects.get()
    assert event.status == AtsEventStatus.REVIEW and "Lacking required skills" in event.problem
    assert AtsMapping.objects.filter(kind=MappingKind.REASON, external_id="4411").exists()
    assert not Message.objects.exists()


def test_an_unknown_job_waits_for_review_or_becomes_a_draft_position(tenant_a, greenhouse):
    AtsMapping.objects.filter(kind=MappingKind.JOB).delete()
    post_greenhouse(tenant_a, fixture("greenhouse_reject_candidate.json"), event_id="a")
    event = AtsEvent.objects.get()
    assert event.status == AtsEventStatus.REVIEW and "Data Analyst" in event.problem

    AtsConnection.objects.update(unknown_job=UnknownJobPolicy.CREATE)
    post_greenhouse(tenant_a, fixture("greenhouse_reject_candidate.json"), event_id="b")
    created = AtsMapping.objects.get(kind=MappingKind.JOB, external_id="66001").position
    assert created.status == PositionStatus.DRAFT and created.title == "Data Analyst"
    assert Application.objects.get(position=created).outcome == Outcome.REJECTED


# --- Lever ----------------------------------------------------------------------------------------


@pytest.fixture
def lever(tenant_a):  # type: ignore[no-untyped-def]
    tenant_a.activate()
    AtsConnection.objects.create(provider="lever", secret=LEVER_SECRET)
    app = application(candidate(email="lena@example.com"))
    _map("lever", MappingKind.APPLICATION, "0b1c2d3e-4f50-4a1b-9c2d-3e4f5a6b7c8d", application=app)
    _map(
        "lever",
        MappingKind.STAGE,
        "f2e1d0c9-b8a7-4c6d-9e5f-4a3b2c1d0e9f",
        stage=Stage.objects.get(slug="interview"),
    )
    _map(
        "lever",
        MappingKind.REASON,
        "63dd55b2-a99f-4e7b-985f-22c7bf80ab42",
        reason=RejectionReason.objects.get(key="skills-gap"),
        external_name="Underqualified",
    )
    return app


def test_lever_stage_change_then_archive_reaches_the_feedback_task(tenant_a, lever):
    moved = post_lever(tenant_a, signed_lever(fixture("lever_candidate_stage_change.json")))
    assert moved.json()["status"] == "processed"
    lever.refresh_from_db()
    assert lever.stage.slug == "interview"  # the policy's stage
    archived = post_lever(tenant_a, signed_lever(fixture("lever_candidate_archive_change.json")))
    assert archived.json()["status"] == "processed"
    task = FeedbackTask.objects.get(application=lever)
    assert task.source == "Lever" and "Underqualified" in task.note
    assert not Message.objects.filter(candidate=lever.candidate).exists()


def test_lever_archive_early_queues_the_email_and_withdrawal_sends_none(tenant_a, lever):
    post_lever(tenant_a, signed_lever(fixture("lever_candidate_archive_change.json")))
    lever.refresh_from_db()
    assert lever.outcome == Outcome.REJECTED
    assert Message.objects.filter(to_email="lena@example.com").count() == 1

    other = application(candidate(email="withdrew@example.com"))
    _map("lever", MappingKind.APPLICATION, "opp-2", application=other)
    _map("lever", MappingKind.REASON, "reason-withdrew", outcome=ReasonOutcome.WITHDRAWN)
    payload = fixture("lever_candidate_archive_change.json")
    payload["data"]["opportunityId"] = "opp-2"
    payload["data"]["toArchived"]["reason"] = "reason-withdrew"
    payload["triggeredAt"] += 1
    post_lever(tenant_a, signed_lever(payload))
    other.refresh_from_db()
    assert other.outcome == Outcome.WITHDRAWN
    assert not Message.objects.filter(to_email="withdrew@example.com").exists()


def test_lever_forged_and_replayed_webhooks(tenant_a, lever):
    forged = signed_lever(fixture("lever_candidate_archive_change.json"), secret="not-ours")
    assert post_lever(tenant_a, forged).status_code == 401
    assert not AtsEvent.objects.exists()
    good = signed_lever(fixture("lever_candidate_archive_change.json"))
    post_lever(tenant_a, good)
    again = post_lever(tenant_a, good)
    assert again.json()["duplicate"] is True
    assert AtsEvent.objects.count() == 1 and Message.objects.count() == 1


def test_lever_unknown_opportunity_waits_until_an_admin_links_it(tenant_a, lever):
    payload = fixture("lever_candidate_stage_change.json")
    payload["data"]["opportunityId"] = "opp-unknown"
    post_lever(tenant_a, signed_lever(payload))
    event = AtsEvent.objects.get()
    assert event.status == AtsEventStatus.REVIEW and "opp-unknown" in event.problem
    row = AtsMapping.objects.get(kind=MappingKind.APPLICATION, external_id="opp-unknown")
    target = application(candidate(email="linked@example.com"))
    admin = tenant_a.client(tenant_a.hr_admin)
    admin.post(
        f"/integrations/ats/mappings/{row.pk}/",
        {"candidate_email": "linked@example.com", "application_position": target.position_id},
    )
    admin.post("/integrations/ats/events/retry/")
    event.refresh_from_db()
    target.refresh_from_db()
    assert event.status == AtsEventStatus.PROCESSED and target.stage.slug == "interview"


def test_an_api_client_links_a_lever_opportunity_when_it_creates_the_application(tenant_a):
    from tests.integrations.conftest import Api

    api = Api(tenant_a)
    AtsConnection.objects.create(provider="lever", secret=LEVER_SECRET)
    _map(
        "lever",
        MappingKind.STAGE,
        "f2e1d0c9-b8a7-4c6d-9e5f-4a3b2c1d0e9f",
        stage=Stage.objects.get(slug="screening"),
    )
    person = candidate(email="via-api@example.com")
    pos = Position.objects.create(title="Ops", status=PositionStatus.OPEN)
    created = api.post(
        "/applications",
        {
            "candidate_id": person.pk,
            "position_id": pos.pk,
            "ats": {"provider": "lever", "id": "0b1c2d3e-4f50-4a1b-9c2d-3e4f5a6b7c8d"},
        },
    )
    assert created.status_code == 201
    post_lever(tenant_a, signed_lever(fixture("lever_candidate_stage_change.json")))
    assert Application.objects.get(pk=created.json()["id"]).stage.slug == "screening"
