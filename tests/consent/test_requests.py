""" "My data": copy and erasure requests, confirmed by an emailed link before anything happens."""

from __future__ import annotations

import json

from accounts.models import AuditLog
from candidates.models import Candidate
from consent import links
from consent.exports import access_export_run
from consent.models import AccessExport, DataRequest, RequestStatus
from mailing.models import Message
from tests.consent.conftest import path_of, person


def _link_in_last_email(prefix: str) -> str:
    message = Message.objects.order_by("-pk").first()
    assert message is not None
    start = message.text.index(prefix)
    return message.text[start:].split()[0].rstrip(">)")


def test_copy_request_is_confirmed_by_email_then_downloadable(tenant_a):
    ada = person(first_name="Ada", email="ada@example.com")
    client = tenant_a.client()
    page = path_of(links.preferences_url(ada)).replace("/c/p/", "/c/my-data/")
    response = client.post(page, {"kind": "access"})
    assert b"We have emailed you a link" in response.content
    request = DataRequest.objects.get(candidate=ada)
    assert request.status == RequestStatus.AWAITING_CONFIRMATION
    assert (request.due_at - request.requested_at).days == 30
    # Asking twice sends one email.
    client.post(page, {"kind": "access"})
    assert Message.objects.filter(to_email="ada@example.com").count() == 1

    confirm = _link_in_last_email("/c/request/")
    assert b"Prepare a copy of all your data?" in client.get(confirm).content
    started = client.post(confirm)
    # The copy is prepared by the worker: the page shows its progress and polls it.
    assert b"We are preparing your copy" in started.content
    request.refresh_from_db()
    assert request.status == RequestStatus.CONFIRMED
    assert AuditLog.objects.filter(action="candidate.export").exists()
    export = AccessExport.objects.get(request=request)
    access_export_run(export_id=export.pk)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    done = client.get(confirm, headers={"HX-Request": "true"})
    assert b"Download everything we hold about you" in done.content
    assert b"hx-trigger" not in done.content  # finished: no more polling

    download = done.context["download_token"]
    as_json = client.get(f"/c/download/{download}/json/")
    assert as_json["Content-Type"].startswith("application/json")
    assert json.loads(b"".join(as_json.streaming_content))["profile"]["email"] == "ada@example.com"
    as_pdf = client.get(f"/c/download/{download}/pdf/")
    assert b"".join(as_pdf.streaming_content).startswith(b"%PDF")


def test_erasure_request_acts_only_after_confirmation_and_cannot_be_replayed(tenant_a):
    ada = person(first_name="Ada", email="ada@example.com")
    client = tenant_a.client()
    page = path_of(links.preferences_url(ada)).replace("/c/p/", "/c/my-data/")
    client.post(page, {"kind": "erasure"})
    confirm = _link_in_last_email("/c/request/")
    # Opening the link (as a mail scanner would) does nothing.
    assert b"Erase all your personal data?" in client.get(confirm).content
    assert Candidate.objects.get(pk=ada.pk).anonymised_at is None
    response = client.post(confirm)
    assert b"Your data has been erased" in response.content
    ada.refresh_from_db()
    assert ada.anonymised_at is not None and ada.email.endswith("@invalid.invalid")
    # The link is dead afterwards.
    replay = client.post(confirm)
    assert replay.status_code == 410


def test_unknown_request_kind_gets_a_clear_page(tenant_a):
    ada = person()
    page = path_of(links.preferences_url(ada)).replace("/c/p/", "/c/my-data/")
    response = tenant_a.client().post(page, {"kind": "everything"})
    assert response.status_code == 400
    assert not DataRequest.objects.exists()


def test_hr_admin_sees_requests_with_deadlines_and_can_cancel(tenant_a):
    ada = person(first_name="Ada")
    page = path_of(links.preferences_url(ada)).replace("/c/p/", "/c/my-data/")
    tenant_a.client().post(page, {"kind": "access"})
    admin = tenant_a.client(tenant_a.hr_admin)
    listing = admin.get("/c/admin/requests/")
    assert listing.status_code == 200
    assert b"Ada" in listing.content and b"Copy of my data" in listing.content
    request = DataRequest.objects.get()
    admin.post(f"/c/admin/requests/{request.pk}/cancel/")
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    assert tenant_a.client(tenant_a.recruiter).get("/c/admin/requests/").status_code == 403
