"""REST API v1 through HTTP on a tenant's host: keys, scopes, rate limit, problems for bad
input, upserts, idempotency, ETags, the list's criteria and cursor, rejections through the stage
policy, consent, pools and messages."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from candidates.models import Application, Candidate, Stage
from consent.models import CandidateConsent, Purpose, Source
from consent.services import consent_change
from feedback.models import FeedbackTask, FeedbackTaskStatus, Rejection
from integrations.keys import api_key_create, api_key_revoke
from mailing.models import Message
from pools.models import Pool, PoolKind, PoolMember
from tests.candidates.factories import application, candidate, position
from tests.integrations.conftest import Api

PROBLEM = "application/problem+json"


def _problem(response, status):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- Keys, scopes, rate limit ---------------------------------------------------------------------


def test_a_request_without_a_key_is_refused_with_a_problem(tenant_a):
    response = tenant_a.client().get("/api/v1/candidates")
    body = _problem(response, 401)
    assert "Bearer" in body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_key_of_another_tenant_is_not_valid_here(tenant_a, tenant_b):
    beta = Api(tenant_b)
    tenant_a.activate()
    response = tenant_a.client().get("/api/v1/candidates", HTTP_AUTHORIZATION=f"Bearer {beta.key}")
    _problem(response, 401)
    # ...and it works on its own tenant's host.
    assert beta.get("/candidates").status_code == 200


def test_a_revoked_key_is_refused_with_a_clear_message(api):
    assert api.get("/candidates").status_code == 200
    api_key_revoke(key=api.created.key, actor=None)
    body = _problem(api.get("/candidates"), 401)
    assert "revoked" in body["detail"]


def test_a_forged_key_with_a_known_prefix_is_refused(api):
    forged = api.key[:12] + "x" * (len(api.key) - 12)
    response = api.client.get("/api/v1/candidates", HTTP_AUTHORIZATION=f"Bearer {forged}")
    _problem(response, 401)


def test_scopes_are_enforced(tenant_a):
    reader = Api(tenant_a, scopes=["read"])
    assert reader.get("/candidates").status_code == 200
    body = _problem(reader.post("/candidates", {"email": "x@example.com"}), 403)
    assert "write" in body["detail"]
    app = application(candidate())
    _problem(reader.post(f"/applications/{app.pk}/reject", {}), 403)


def test_last_use_is_recorded(api):
    assert api.created.key.last_used_at is None
    api.get("/candidates")
    api.created.key.refresh_from_db()
    assert api.created.key.last_used_at is not None


def test_the_rate_limit_answers_429_with_retry_after(tenant_a, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 60
    settings.API_RATE_LIMIT_BURST = 3
    api = Api(tenant_a)
    statuses = [api.get("/stages").status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200]
    response = api.get("/stages")
    _problem(response, 429)
    assert int(response["Retry-After"]) >= 1
    # Another key has its own bucket.
    assert Api(tenant_a).get("/stages").status_code == 200


def test_operator_command_prints_a_working_key(tenant_a):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "api_key_create",
        "--tenant",
        "alpha",
        "--name",
        "ops",
        "--scopes",
        "read,write",
        stdout=out,
        stderr=err,
    )
    key = out.getvalue().strip()
    assert key.startswith("tcrm_") and "cannot be shown again" in err.getvalue()
    tenant_a.activate()
    response = tenant_a.client().get("/api/v1/stages", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200


def test_operator_command_refuses_unknown_tenant_and_scope(tenant_a):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No tenant"):
        call_command("api_key_create", "--tenant", "nope", "--name", "x")
    with pytest.raises(CommandError, match="Unknown scope"):
        call_command("api_key_create", "--tenant", "alpha", "--name", "x", "--scopes", "admin")


# --- Bad input ------------------------------------------------------------------------------------


def test_malformed_json_is_a_400_problem(api):
    body = _problem(api.post("/candidates", raw='{"email": "a@example.com",'), 400)
    assert "JSON" in body["detail"]


def test_a_form_body_is_not_taken_for_json(api):
    response = api.post("/candidates", raw="email=a@example.com", content_type="text/plain")
    _problem(response, 400)


def test_wrong_types_and_unknown_fields_name_the_field(api):
    body = _problem(
        api.post("/candidates", {"email": "a@example.com", "years_experience": "many"}), 422
    )
    assert {"location": "body", "pointer": "/years_experience"}.items() <= body["errors"][0].items()
    body = _problem(api.post("/candidates", {"email": "a@example.com", "salary": 1}), 422)
    assert body["errors"][0]["pointer"] == "/salary"
    assert "Unknown field" in body["errors"][0]["detail"]
    assert not Candidate.objects.filter(email="a@example.com").exists()


def test_nul_characters_are_refused_not_a_server_error(api):
    response = api.post("/candidates", raw='{"email": "a@example.com", "city": "Par\\u0000is"}')
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == PROBLEM
    response = api.post("/candidates", raw='{"email": "a@example.com", "city": "\\ud800"}')
    assert response.status_code in (400, 422)
    assert api.get("/candidates", {"q": "a\x00b"}).status_code == 422


def test_a_ten_megabyte_body_is_a_413_problem(api):
    huge = json.dumps({"email": "a@example.com", "notes": "x" * (10 * 1024 * 1024)})
    body = _problem(api.post("/candidates", raw=huge), 413)
    assert "MB" in body["detail"]


def test_an_invalid_email_is_a_422_problem(api):
    body = _problem(api.post("/candidates", {"email": "not@an address"}), 422)
    assert "valid email" in body["detail"]


# --- Candidates -----------------------------------------------------------------------------------


def test_upsert_creates_then_completes_without_overwriting(api):
    created = api.post(
        "/candidates", {"email": "Ada@Example.com", "first_name": "Ada", "skills": ["Python"]}
    )
    assert created.status_code == 201
    assert created["Location"].endswith(f"/candidates/{created.json()['id']}")
    again = api.post(
        "/candidates",
        {"email": "ada@example.com", "first_name": "Other", "city": "Lyon", "tags": ["vip"]},
    )
    assert again.status_code == 200
    data = again.json()
    assert data["id"] == created.json()["id"]
    assert (data["first_name"], data["city"], data["tags"], data["skills"]) == (
        "Ada",
        "Lyon",
        ["vip"],
        ["Python"],
    )


def test_batch_upsert_reports_each_row_and_writes_once_per_person(api):
    existing = candidate(email="known@example.com", first_name="Known", city="")
    rows = [
        {"email": "new1@example.com", "first_name": "New", "skills": ["SQL"]},
        {"email": "KNOWN@example.com", "city": "Berlin", "tags": ["silver"]},
        {"email": "new1@example.com", "last_name": "Later"},
        {"email": "same@example.com", "first_name": "Same"},
    ]
    candidate(email="same@example.com", first_name="Same")
    response = api.post("/candidates/batch", {"candidates": rows})
    assert response.status_code == 200, response.content
    result = response.json()
    assert (result["created"], result["updated"], result["unchanged"]) == (1, 1, 1)
    by_index = {r["index"]: r for r in result["results"]}
    assert by_index[1]["id"] == existing.pk and by_index[1]["updated"]
    assert by_index[0]["id"] == by_index[2]["id"] and by_index[0]["created"]
    new = Candidate.objects.get(email="new1@example.com")
    assert (new.first_name, new.last_name, list(new.skills.names())) == ("New", "Later", ["SQL"])
    existing.refresh_from_db()
    assert existing.city == "Berlin" and list(existing.tags.names()) == ["silver"]


def test_an_invalid_row_refuses_the_whole_batch(api):
    rows = [{"email": "ok@example.com", "first_name": "Ok"}, {"email": "bad@", "first_name": "X"}]
    body = _problem(api.post("/candidates/batch", {"candidates": rows}), 422)
    assert body["errors"][0]["pointer"] == "/candidates/1/email"
    assert not Candidate.objects.filter(email="ok@example.com").exists()


def test_a_batch_above_1000_is_refused(api):
    rows = [{"email": f"p{n}@example.com", "first_name": "P"} for n in range(1001)]
    body = _problem(api.post("/candidates/batch", {"candidates": rows}), 422)
    assert body["errors"][0]["pointer"] == "/candidates"


def test_idempotency_key_replays_the_first_answer(api):
    first = api.post(
        "/candidates", {"email": "idem@example.com", "first_name": "I"}, {"Idempotency-Key": "k1"}
    )
    assert first.status_code == 201
    Candidate.objects.filter(email="idem@example.com").update(city="Changed meanwhile")
    replay = api.post(
        "/candidates", {"email": "idem@example.com", "first_name": "I"}, {"Idempotency-Key": "k1"}
    )
    assert replay.status_code == 201 and replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["ETag"] == first["ETag"]
    other = api.post(
        "/candidates", {"email": "other@example.com", "first_name": "O"}, {"Idempotency-Key": "k1"}
    )
    body = _problem(other, 422)
    assert "different request" in body["detail"]
    assert not Candidate.objects.filter(email="other@example.com").exists()


def test_idempotency_keys_belong_to_one_api_key(tenant_a, api):
    api.post(
        "/candidates", {"email": "one@example.com", "first_name": "A"}, {"Idempotency-Key": "s"}
    )
    second = Api(tenant_a)
    response = second.post(
        "/candidates", {"email": "two@example.com", "first_name": "B"}, {"Idempotency-Key": "s"}
    )
    assert response.status_code == 201 and "Idempotent-Replayed" not in response


def test_update_needs_if_match_and_refuses_a_stale_etag(api):
    person = api.post("/candidates", {"email": "e@example.com", "first_name": "E"})
    pk, etag = person.json()["id"], person["ETag"]
    _problem(api.patch(f"/candidates/{pk}", {"city": "Rome"}), 428)
    changed = api.patch(f"/candidates/{pk}", {"city": "Rome"}, {"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["city"] == "Rome"
    assert changed["ETag"] != etag
    stale = api.patch(f"/candidates/{pk}", {"city": "Milan"}, {"If-Match": etag})
    _problem(stale, 412)
    assert Candidate.objects.get(pk=pk).city == "Rome"
    cleared = api.patch(f"/candidates/{pk}", {"city": None}, {"If-Match": "*"})
    assert cleared.json()["city"] == ""
    assert api.get(f"/candidates/{pk}")["ETag"] == cleared["ETag"]


def test_update_refuses_an_email_that_belongs_to_someone_else(api):
    candidate(email="taken@example.com")
    person = api.post("/candidates", {"email": "mine@example.com", "first_name": "M"})
    response = api.patch(
        f"/candidates/{person.json()['id']}", {"email": "taken@example.com"}, {"If-Match": "*"}
    )
    _problem(response, 422)


def test_list_uses_the_candidate_list_criteria_and_a_cursor(api):
    for n in range(7):
        person = candidate(email=f"fr{n}@example.com", country="FR", profession="Analyst")
        if n % 2:
            api.post(f"/candidates/{person.pk}/tags", {"names": ["silver"]})
    candidate(email="de@example.com", country="DE")
    seen: list[int] = []
    cursor = None
    while True:
        params = {"country": "FR", "limit": "3", **({"cursor": cursor} if cursor else {})}
        page = api.get("/candidates", params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    tagged = api.get("/candidates", {"country": "FR", "tags_any": "silver"}).json()["items"]
    assert len(tagged) == 3
    by_activity = api.get("/candidates", {"sort": "-activity", "limit": "200"}).json()["items"]
    times = [c["last_activity_at"] for c in by_activity]
    assert times == sorted(times, reverse=True)


def test_list_refuses_unknown_filters_and_invalid_values(api):
    body = _problem(api.get("/candidates", {"contry": "FR"}), 422)
    assert body["errors"][0]["pointer"] == "contry"
    body = _problem(api.get("/candidates", {"skills_any": "NoSuchSkill"}), 422)
    assert body["errors"][0]["pointer"] == "skills_any"
    _problem(api.get("/candidates", {"cursor": "garbage"}), 422)


def test_tags_are_added_and_removed(api):
    person = candidate()
    assert api.post(f"/candidates/{person.pk}/tags", {"names": ["a", "b"]}).json()["tags"] == [
        "a",
        "b",
    ]
    response = api.delete(f"/candidates/{person.pk}/tags", "?name=a")
    assert response.json()["tags"] == ["b"]


def test_unknown_ids_are_404_problems(api):
    _problem(api.get("/candidates/999999"), 404)
    _problem(api.get("/applications/999999"), 404)
    _problem(api.get("/pools/999999/members"), 404)


# --- Positions and applications -------------------------------------------------------------------


def test_positions_and_applications(api):
    created = api.post("/positions", {"title": "Data Engineer", "status": "open"})
    assert created.status_code == 201
    pos_id = created.json()["id"]
    renamed = api.patch(
        f"/positions/{pos_id}", {"title": "Senior Data Engineer"}, {"If-Match": created["ETag"]}
    )
    assert renamed.json()["title"] == "Senior Data Engineer"
    person = candidate(email="applicant@example.com")
    applied = api.post(
        "/applications", {"candidate_email": "Applicant@example.com", "position_id": pos_id}
    )
    assert applied.status_code == 201
    again = api.post("/applications", {"candidate_id": person.pk, "position_id": pos_id})
    assert again.status_code == 200 and again.json()["id"] == applied.json()["id"]
    moved = api.post(f"/applications/{applied.json()['id']}/stage", {"stage": "screening"})
    assert moved.json()["stage"] == "screening"
    _problem(api.post(f"/applications/{applied.json()['id']}/stage", {"stage": "nope"}), 422)
    listed = api.get("/applications", {"candidate_id": person.pk}).json()["items"]
    assert [a["id"] for a in listed] == [applied.json()["id"]]


def _reject(api, app, **body):  # type: ignore[no-untyped-def]
    return api.post(f"/applications/{app.pk}/reject", {"reasons": ["skills-gap"], **body})


def test_reject_below_the_policy_stage_queues_the_automatic_email(api):
    app = application(candidate(email="early@example.com"))  # at "applied"
    response = _reject(api, app, note="Greenhouse sync")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["result"] == "email_queued" and not data["already"]
    assert data["application"]["outcome"] == "rejected"
    message = Message.objects.get(pk=data["message_id"])
    assert message.to_email == "early@example.com"
    assert message.send_key == f"rejection:{app.pk}"
    again = _reject(api, app).json()
    assert again["already"] and again["message_id"] == data["message_id"]
    assert Message.objects.filter(send_key__startswith=f"rejection:{app.pk}").count() == 1


def test_reject_from_the_policy_stage_waits_for_a_recruiter(api, tenant_a):
    app = application(candidate(email="late@example.com"))
    Application.objects.filter(pk=app.pk).update(
        stage=Stage.objects.get(slug="final-interview"),
        furthest_stage=Stage.objects.get(slug="final-interview"),
    )
    response = _reject(api, app, note="Not the right fit", recruiter_email=tenant_a.recruiter.email)
    data = response.json()
    assert data["result"] == "feedback_to_write"
    assert data["application"]["outcome"] == "active"
    assert not Message.objects.filter(send_key__startswith=f"rejection:{app.pk}").exists()
    task = FeedbackTask.objects.get(pk=data["feedback_task_id"])
    assert task.status == FeedbackTaskStatus.OPEN and task.assigned_to == tenant_a.recruiter
    assert [r.key for r in task.reasons.all()] == ["skills-gap"]
    assert _reject(api, app).json()["already"]
    # The recruiter sees it and writes the feedback; the task closes with the rejection.
    client = tenant_a.client(tenant_a.recruiter)
    home = client.get("/feedback/")
    assert b"Feedback to write" in home.content and b"late@example.com" not in home.content
    page = client.get(f"/feedback/applications/{app.pk}/reject/")
    assert b"Not the right fit" in page.content
    from feedback.services import application_reject
    from tests.feedback.helpers import reasons

    rejection = application_reject(
        application=app,
        actor=tenant_a.recruiter,
        reasons=reasons("skills-gap"),
        personal_points="Great case study; we needed more SQL depth.",
    )
    task.refresh_from_db()
    assert task.status == FeedbackTaskStatus.DONE and task.rejection == rejection
    assert Rejection.objects.get(application=app).branch == "personalised"


def test_reject_refuses_unknown_reasons_and_closed_applications(api):
    app = application(candidate())
    body = _problem(api.post(f"/applications/{app.pk}/reject", {"reasons": ["nope"]}), 422)
    assert body["errors"][0]["pointer"] == "/reasons/0"
    Application.objects.filter(pk=app.pk).update(outcome="hired")
    _problem(_reject(api, app), 409)


# --- Consent, pools, messages ---------------------------------------------------------------------


def test_consent_read_and_withdraw(api):
    person = candidate(email="c@example.com")
    consent_change(candidate=person, source=Source.OPTIN_LINK, grant={Purpose.TALENT_POOL: None})
    state = api.get(f"/candidates/{person.pk}/consent").json()
    assert state["contactable"] is True
    withdrawn = api.post(
        f"/candidates/{person.pk}/consent/withdraw",
        {"purposes": ["talent_pool"], "reason": "Asked by phone to our ATS team"},
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["contactable"] is False
    assert not CandidateConsent.objects.get(candidate=person, purpose="talent_pool").granted
    _problem(
        api.post(f"/candidates/{person.pk}/consent/withdraw", {"purposes": ["x"], "reason": "r"}),
        422,
    )


def test_pools_and_messages(api):
    person = candidate(email="member@example.com")
    pool = Pool.objects.create(name="Alumni", kind=PoolKind.STATIC)
    PoolMember.objects.create(pool=pool, candidate=person)
    pools = api.get("/pools").json()
    assert [p["name"] for p in pools] == ["Alumni"]
    members = api.get(f"/pools/{pool.pk}/members").json()["items"]
    assert [m["email"] for m in members] == ["member@example.com"]
    app = application(person, position())
    message_id = _reject(api, app).json()["message_id"]
    message = api.get(f"/messages/{message_id}").json()
    assert message["status"] == "queued" and message["candidate_id"] == person.pk
    assert api.get("/messages", {"candidate_id": person.pk}).json()["items"][0]["id"] == message_id


def test_the_schema_and_docs_are_served_on_the_tenant_host(tenant_a):
    client = tenant_a.client()
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    post = schema["paths"]["/api/v1/candidates"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert "application/problem+json" in post["responses"]["422"]["content"]
    names = {p["name"] for p in schema["paths"]["/api/v1/candidates"]["get"]["parameters"]}
    assert {"country", "tags_any", "contactable", "pools", "cursor"} <= names
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"swagger-ui-bundle.js" in docs.content
    assert b"cdn" not in docs.content.lower()
    assert b"<script>" not in docs.content
    api_key_create(name="x", scopes=["read"], actor=None)


def test_the_docs_scripts_carry_the_csp_nonce_when_there_is_one(tenant_a):
    from django.test import RequestFactory

    from integrations.api import api

    request = RequestFactory().get("/api/v1/docs", HTTP_HOST=tenant_a.host)
    request.csp_nonce = "n0nce123"  # type: ignore[attr-defined]
    html = api.docs.render_page(request, api).content.decode()
    assert html.count('nonce="n0nce123"') == 2
    assert 'type="application/json"' in html


def test_the_api_still_answers_when_redis_is_down(tenant_a, settings, monkeypatch):
    import redis

    from integrations import keys

    settings.API_RATE_LIMIT_PER_MINUTE = 60
    api = Api(tenant_a)
    monkeypatch.setattr(keys, "_client", lambda: redis.Redis(port=1, socket_connect_timeout=0.2))
    assert api.get("/stages").status_code == 200
