from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog
from candidates.actions import (
    ApplicationAction,
    _actions,
    _bulk_actions,
    register_application_action,
    register_bulk_application_action,
)
from candidates.columns import ListColumn, _columns, register_list_column
from candidates.models import (
    Activity,
    ActivityKind,
    Application,
    Candidate,
    Outcome,
    Position,
    PositionStatus,
    Stage,
)
from candidates.services import candidate_tags_add
from tests.candidates import factories as f
from tests.public_forms import post_like_a_person


def test_list_requires_a_recruiter(tenant_a):
    response = tenant_a.client().get("/candidates/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_filters_search_sort_and_paginate(tenant_a):
    f.candidate(
        first_name="Ada", last_name="Zed", skills=["Python"], country="FR", seniority="senior"
    )
    f.candidate(first_name="Bob", last_name="Young", skills=["Python"], country="DE")
    for i in range(55):
        f.candidate(first_name=f"Filler{i}", country="IT")
    client = tenant_a.client(tenant_a.recruiter)
    response = client.get("/candidates/", {"q": "ada", "skills_any": "Python", "country": "FR"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ada Zed" in body and "Bob Young" not in body
    # Filters stay in the URL of sort links and the export link.
    assert "skills_any=Python" in body and "country=FR" in body
    response = client.get("/candidates/", {"skills_any": "Python", "sort": "name"})
    body = response.content.decode()
    assert body.index("Bob Young") < body.index("Ada Zed")
    page2 = client.get("/candidates/", {"country": "IT", "page": 2})
    assert "Page 2 of 2" in page2.content.decode()


def test_list_htmx_returns_only_the_rows_partial(tenant_a):
    f.candidate(first_name="Ada")
    response = tenant_a.client(tenant_a.recruiter).get(
        "/candidates/", {"q": "ada"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "Ada" in body and "<html" not in body and 'id="result-count"' in body


def test_invalid_filters_show_errors_not_a_500(tenant_a):
    response = tenant_a.client(tenant_a.recruiter).get(
        "/candidates/", {"country": "France", "skills_all": "NoSuchSkill", "page": "x"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "two-letter country code" in body and "does not exist" in body


def test_list_query_count_is_constant(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/candidates/", {"skills_any": "Python", "q": "e"}).status_code == 200
        return len(ctx.captured_queries)

    f.candidate(skills=["Python", "SQL"])
    candidate_tags_add(candidates=Candidate.objects.all(), names=["a"], actor=None)
    few = queries()
    for _ in range(20):
        f.candidate(skills=["Python", "Go"])
    candidate_tags_add(candidates=Candidate.objects.all(), names=["b", "c"], actor=None)
    assert queries() == few


def test_registered_column_is_rendered(tenant_a):
    from django.db.models import Value

    f.candidate(first_name="Ada")
    register_list_column(
        ListColumn(
            "test_consent",
            "Consent",
            lambda qs: qs.annotate(c=Value("granted")),
            lambda cand: f"<{cand.c}>",
        )
    )
    try:
        body = tenant_a.client(tenant_a.recruiter).get("/candidates/").content.decode()
    finally:
        _columns.pop("test_consent")
    assert '<th scope="col">Consent</th>' in body and "&lt;granted&gt;" in body


def test_export_is_filtered_neutralises_formulas_and_is_audited(tenant_a):
    f.candidate(
        first_name='=HYPERLINK("evil")',
        last_name="@SUM(A1)",
        city="-2+3",
        profession="+cmd",
        country="FR",
        skills=["Python"],
    )
    f.candidate(first_name="Other", country="DE")
    response = tenant_a.client(tenant_a.recruiter).get("/candidates/export.csv", {"country": "FR"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["First name"] == '\'=HYPERLINK("evil")'
    assert row["Last name"] == "'@SUM(A1)"
    assert row["City"] == "'-2+3"
    assert row["Profession"] == "'+cmd"
    assert row["Skills"] == "Python"
    log = AuditLog.objects.get(action="candidate.export")
    assert log.details == {"filters": {"country": "FR"}, "count": 1}
    assert log.actor == tenant_a.recruiter


def test_bulk_tags_from_the_list(tenant_a):
    a, b = f.candidate(), f.candidate()
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        "/candidates/bulk/tags/",
        {
            "candidate_ids": [a.pk, b.pk],
            "names": "silver, young talent",
            "action": "add",
            "next": "/candidates/?q=x",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/candidates/?q=x"
    assert sorted(a.tags.names()) == ["silver", "young talent"]
    client.post(
        "/candidates/bulk/tags/",
        {
            "candidate_ids": [a.pk],
            "names": "silver",
            "action": "remove",
            "next": "https://evil.example/",
        },
    )
    assert list(a.tags.names()) == ["young talent"]
    response = client.post(
        "/candidates/bulk/tags/", {"candidate_ids": [a.pk], "names": "x" * 101, "action": "add"}
    )
    assert response["Location"] == "/candidates/"
    assert "at most 100" in str(list(response.wsgi_request._messages))


def test_create_with_a_known_email_completes_the_existing_record(tenant_a):
    existing = f.candidate(email="ada@example.com", first_name="Ada", city="")
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        "/candidates/new/", {"first_name": "Other", "email": "ADA@example.com", "city": "London"}
    )
    assert response.status_code == 302
    existing.refresh_from_db()
    assert (existing.first_name, existing.city) == ("Ada", "London")
    assert Candidate.objects.count() == 1
    response = client.post("/candidates/new/", {"first_name": "", "email": "bad"})
    assert response.status_code == 200 and Candidate.objects.count() == 1


def test_candidate_page_edit_notes_tags_stage_moves_and_timeline(tenant_a):
    cand = f.candidate(first_name="Ada", last_name="Lovelace")
    app = f.application(cand)
    client = tenant_a.client(tenant_a.recruiter)
    assert (
        client.post(f"/candidates/{cand.pk}/notes/", {"body": "Strong <b>profile</b>"}).status_code
        == 302
    )
    client.post(f"/candidates/{cand.pk}/tags/", {"names": "silver", "action": "add"})
    interview = Stage.objects.get(slug="interview")
    client.post(f"/candidates/applications/{app.pk}/move/", {"stage": interview.pk})
    app.refresh_from_db()
    assert app.stage == interview and app.furthest_stage == interview
    client.post(f"/candidates/applications/{app.pk}/outcome/", {"outcome": "rejected"})
    app.refresh_from_db()
    assert app.outcome == Outcome.ACTIVE  # rejections belong to the feedback workflow
    response = client.post(
        f"/candidates/{cand.pk}/edit/",
        {
            "first_name": "Ada",
            "last_name": "King",
            "email": cand.email,
            "country": "gb",
            "skills": "Python, Maths",
            "languages": "en",
        },
    )
    assert response.status_code == 302
    cand.refresh_from_db()
    assert (cand.last_name, cand.country) == ("King", "GB")
    page = client.get(f"/candidates/{cand.pk}/").content.decode()
    assert "Strong &lt;b&gt;profile&lt;/b&gt;" in page
    kinds = list(Activity.objects.filter(candidate=cand).values_list("kind", flat=True))
    assert kinds[:3] == [ActivityKind.EDIT, ActivityKind.STAGE, ActivityKind.TAG]
    assert page.index("Profile edited") < page.index("Strong &lt;b&gt;")


def test_empty_note_is_refused(tenant_a):
    cand = f.candidate()
    tenant_a.client(tenant_a.recruiter).post(f"/candidates/{cand.pk}/notes/", {"body": "  "})
    assert not Activity.objects.filter(candidate=cand, kind=ActivityKind.NOTE).exists()


def test_duplicates_are_shown_and_merged_from_the_page(tenant_a):
    kept = f.candidate(
        email="Jane.Doe@example.com", first_name="Jane", last_name="Doe", phone="06 12 34 56 78"
    )
    f.candidate(email="janedoe+cv@EXAMPLE.com", first_name="J", last_name="D")
    f.candidate(
        email="other@example.org", first_name="jane", last_name="DOE", phone="06.12.34.56.78"
    )
    f.candidate(email="unrelated@example.com", first_name="Jane", last_name="Doe")
    f.candidate(
        email="samephone@example.com", first_name="Bob", last_name="Doe", phone="0612345678"
    )
    client = tenant_a.client(tenant_a.recruiter)
    page = client.get(f"/candidates/{kept.pk}/").content.decode()
    assert "janedoe+cv@example.com" in page  # email variant (dots, +suffix, case)
    assert "other@example.org" in page  # same name and phone digits
    assert "unrelated@example.com" not in page and "samephone@example.com" not in page
    dup = Candidate.objects.get(email="janedoe+cv@example.com")
    app = f.application(dup)
    client.post(f"/candidates/{kept.pk}/merge/", {"merged": dup.pk})
    app.refresh_from_db()
    assert app.candidate_id == kept.pk
    # The merged record's page forwards to the kept one.
    assert client.get(f"/candidates/{dup.pk}/")["Location"] == f"/candidates/{kept.pk}/"


def test_application_actions_from_the_registry(tenant_a):
    cand = f.candidate()
    app = f.application(cand)
    register_application_action(
        ApplicationAction(
            "test_reject",
            "Reject…",
            "candidates:detail",
            visible=lambda application, user: application.outcome == Outcome.ACTIVE,
        )
    )
    register_bulk_application_action("test_bulk", "Bulk reject…", "candidates:bulk_tags")
    try:
        client = tenant_a.client(tenant_a.recruiter)
        page = client.get(f"/candidates/{cand.pk}/").content.decode()
        assert (
            f'href="/candidates/{app.pk}/?next=/candidates/{cand.pk}/"' in page
            and "Reject…" in page
        )
        position_page = client.get(f"/candidates/positions/{app.position_id}/").content.decode()
        assert "Reject…" in position_page
        assert (
            'formaction="/candidates/bulk/tags/"' in position_page
            and "Bulk reject…" in position_page
        )
        Application.objects.filter(pk=app.pk).update(outcome=Outcome.REJECTED)
        assert "Reject…" not in client.get(f"/candidates/{cand.pk}/").content.decode()
    finally:
        _actions.pop("test_reject")
        _bulk_actions.pop("test_bulk")


def test_positions_crud_and_applicant_list(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        "/candidates/positions/new/",
        {
            "title": "Data engineer",
            "status": "draft",
            "remote_policy": "remote",
            "required_skills": "Python, SQL",
            "country": "FR",
        },
    )
    position = Position.objects.get(title="Data engineer")
    assert response["Location"] == f"/candidates/positions/{position.pk}/"
    assert sorted(position.required_skills.names()) == ["Python", "SQL"]
    assert client.get(f"/candidates/jobs/{position.pk}/").status_code == 404  # draft
    client.post(
        f"/candidates/positions/{position.pk}/edit/",
        {
            "title": "Data engineer",
            "status": "open",
            "remote_policy": "remote",
            "required_skills": "Python",
        },
    )
    position.refresh_from_db()
    assert position.status == PositionStatus.OPEN and position.opened_at
    f.application(f.candidate(first_name="Ada"), position)
    page = client.get(f"/candidates/positions/{position.pk}/").content.decode()
    assert "Ada" in page and "Applied" in page
    response = client.post("/candidates/positions/new/", {"title": "", "status": "nope"})
    assert response.status_code == 200
    # A position with applicants is closed, not deleted; an empty one can be deleted.
    client.post(f"/candidates/positions/{position.pk}/delete/")
    assert Position.objects.filter(pk=position.pk).exists()
    empty = f.position()
    response = client.post(f"/candidates/positions/{empty.pk}/delete/")
    assert response["Location"] == "/candidates/positions/"
    assert not Position.objects.filter(pk=empty.pk).exists()


def test_stage_admin_add_rename_reorder_delete(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    assert tenant_a.client(tenant_a.recruiter).get("/candidates/stages/").status_code == 403
    client.post("/candidates/stages/", {"action": "add", "name": "Assessment"})
    assessment = Stage.objects.get(name="Assessment")
    assert assessment.order > Stage.objects.get(slug="offer").order
    client.post("/candidates/stages/", {"action": "up", "stage": assessment.pk})
    assert list(Stage.objects.values_list("slug", flat=True))[-2:] == ["assessment", "offer"]
    client.post(
        "/candidates/stages/", {"action": "rename", "stage": assessment.pk, "name": "Case study"}
    )
    assessment.refresh_from_db()
    assert (assessment.name, assessment.slug) == ("Case study", "assessment")
    app = f.application(f.candidate())
    response = client.post("/candidates/stages/", {"action": "delete", "stage": app.stage_id})
    assert Stage.objects.filter(pk=app.stage_id).exists()
    assert "cannot be deleted" in str(list(response.wsgi_request._messages))
    client.post("/candidates/stages/", {"action": "delete", "stage": assessment.pk})
    assert not Stage.objects.filter(pk=assessment.pk).exists()
    client.post("/candidates/stages/", {"action": "add", "name": "Offer"})
    assert Stage.objects.filter(name__iexact="offer").count() == 1


PDF = b"%PDF-1.4\n%test\n"


def test_public_apply_creates_candidate_and_application_with_cv(tenant_a, fresh_form_limits):
    position = f.position(title="Nurse")
    client = tenant_a.client()
    assert "Nurse" in client.get("/candidates/jobs/").content.decode()
    response = post_like_a_person(
        client,
        f"/candidates/jobs/{position.pk}/",
        {
            "first_name": "Ada",
            "email": "Ada@Example.com",
            "cv": SimpleUploadedFile("cv.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 200 and b"Thank you" in response.content
    app = Application.objects.get(position=position)
    assert app.candidate.email == "Ada@example.com" and app.stage.slug == "applied"
    assert app.cv.name.startswith("cvs/")
    assert tenant_a.tenant.schema_name in app.cv.path
    # The recruiter downloads it; an anonymous visitor cannot.
    assert client.get(f"/candidates/applications/{app.pk}/cv/").status_code == 302
    cv = tenant_a.client(tenant_a.recruiter).get(f"/candidates/applications/{app.pk}/cv/")
    assert b"".join(cv.streaming_content) == PDF
    app.cv.delete()


def test_public_apply_rejects_bad_cvs(tenant_a, fresh_form_limits):
    position = f.position()
    client = tenant_a.client()
    for upload, message in [
        (SimpleUploadedFile("cv.exe", b"MZ..."), "PDF, DOCX, ODT or DOC"),
        (SimpleUploadedFile("cv.pdf", b"MZ not a pdf"), "not a real PDF"),
        (SimpleUploadedFile("cv.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024 + 1)), "limit is 5 MB"),
    ]:
        response = post_like_a_person(
            client,
            f"/candidates/jobs/{position.pk}/",
            {"first_name": "Ada", "email": "ada@example.com", "cv": upload},
        )
        assert response.status_code == 400 and message in response.content.decode()
    assert not Candidate.objects.exists()


def test_closed_positions_are_not_public(tenant_a):
    position = f.position(status=PositionStatus.CLOSED)
    assert tenant_a.client().get(f"/candidates/jobs/{position.pk}/").status_code == 404


def test_pages_of_another_tenant_are_not_found(tenant_a, tenant_b):
    tenant_a.activate()
    cand = f.candidate()
    app = f.application(cand)
    client = tenant_b.client(tenant_b.recruiter)
    for url in [
        f"/candidates/{cand.pk}/",
        f"/candidates/{cand.pk}/edit/",
        f"/candidates/positions/{app.position_id}/",
        f"/candidates/applications/{app.pk}/cv/",
    ]:
        assert client.get(url).status_code == 404, url
    client.post(f"/candidates/applications/{app.pk}/move/", {"stage": app.stage_id})
    tenant_a.activate()
    assert Candidate.objects.filter(pk=cand.pk).exists()


def test_applying_twice_does_not_duplicate(tenant_a, fresh_form_limits):
    position = f.position()
    client = tenant_a.client()
    for _ in range(2):
        post_like_a_person(
            client,
            f"/candidates/jobs/{position.pk}/",
            {"first_name": "Ada", "email": "ada@example.com"},
        )
    assert Application.objects.filter(position=position).count() == 1
    assert Candidate.objects.count() == 1
