from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from candidates.import_dry_run import import_dry_run_execute
from candidates.importing import (
    ImportFileError,
    import_job_create,
    import_job_run,
    import_mapping_set,
    import_preview,
)
from candidates.models import (
    Activity,
    Application,
    Candidate,
    DryRunStatus,
    ImportJob,
    ImportMapping,
    ImportStatus,
    Outcome,
    Position,
    PositionStatus,
)
from tests.candidates import factories as f

HEADER = "Email;First name;Last name;City;Skills;Seniority\n"


def upload(data: bytes, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def create(data: bytes, name: str = "people.csv", kind: str = "candidates") -> ImportJob:
    return import_job_create(kind=kind, upload=upload(data, name), actor=None)


def run(data: bytes, name: str = "people.csv", kind: str = "candidates", mapping=None):
    job = create(data, name, kind)
    import_mapping_set(job=job, mapping=mapping or job.mapping, actor=None)
    return import_job_run(job.pk)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("latin-1", b""), ("cp1252", b"")],
)
def test_encodings_are_detected(tenant_a, encoding, bom):
    text = HEADER + "zoe@example.com;Zoë;Müller-Lefèvre;Zürich;Python;senior\n"
    if encoding == "cp1252":
        text += "eur@example.com;Euro;“Quoted” €;Paris;;\n"
    job = run(bom + text.encode(encoding))
    assert job.status == ImportStatus.DONE, job.message
    zoe = Candidate.objects.get(email="zoe@example.com")
    assert (zoe.first_name, zoe.last_name, zoe.city) == ("Zoë", "Müller-Lefèvre", "Zürich")
    if encoding == "cp1252":
        assert Candidate.objects.get(email="eur@example.com").last_name == "“Quoted” €"


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_separators_are_sniffed(tenant_a, sep):
    text = sep.join(["email", "first_name", "skills"]) + "\n"
    text += sep.join(["a@example.com", "Ada", '"Python, SQL"']) + "\n"
    job = run(text.encode())
    assert job.delimiter == sep and job.created_count == 1
    assert sorted(Candidate.objects.get().skills.names()) == ["Python", "SQL"]


def test_mapping_is_guessed_remembered_and_validated(tenant_a):
    data = b"Courriel,Prenom,Whatever\nada@example.com,Ada,x\n"
    job = create(data)
    assert job.mapping == {"Courriel": "email", "Prenom": "first_name", "Whatever": ""}
    with pytest.raises(ImportFileError, match="Map a column to Email"):
        import_mapping_set(job=job, mapping={"Prenom": "first_name"}, actor=None)
    with pytest.raises(ImportFileError, match="Two columns are mapped to First name"):
        import_mapping_set(
            job=job,
            mapping={"Courriel": "email", "Prenom": "first_name", "Whatever": "first_name"},
            actor=None,
        )
    import_mapping_set(
        job=job,
        mapping={"Courriel": "email", "Prenom": "first_name", "Whatever": "city"},
        actor=None,
    )
    assert ImportMapping.objects.count() == 1
    assert create(data).mapping["Whatever"] == "city"  # the same headers next time


def test_per_row_errors_keep_the_valid_rows(tenant_a):
    rows = [
        "Email;First name;Last name;City;Skills;Seniority",
        "good@example.com;Good;Row;Paris;Python;mid",
        "not-an-email;Bad;Email;;;",
        ";No;Email;;;",
        "GOOD@example.com;Dup;Licate;;;",
        "nofirst@example.com;;Name;;;",
        "level@example.com;Bad;Level;;;guru",
        "extra@example.com;Too;Many;Paris;Go;mid;surplus;cells",
        "short@example.com;Short",
        "=cmd@example.com;=HYPERLINK(1);@SUM;-1;;",
    ]
    job = run("\n".join(rows).encode())
    assert job.status == ImportStatus.DONE
    emails = set(Candidate.objects.values_list("email", flat=True))
    assert emails == {"good@example.com", "short@example.com", "=cmd@example.com"}
    formula = Candidate.objects.get(email="=cmd@example.com")
    assert formula.first_name == "=HYPERLINK(1)"  # stored as typed; neutralised on export
    by_line = {e["line"]: e for e in job.errors}
    assert set(by_line) == {3, 4, 5, 6, 7, 8}
    assert "not a valid email" in by_line[3]["reason"] and by_line[3]["column"] == "Email"
    assert "email is missing" in by_line[4]["reason"]
    assert "Same email as line 2" in by_line[5]["reason"]
    assert "first name is missing" in by_line[6]["reason"]
    assert "Unknown seniority" in by_line[7]["reason"] and by_line[7]["column"] == "Seniority"
    assert "8 cells but the header has 6" in by_line[8]["reason"]
    assert (job.created_count, job.error_count) == (3, 6)


def test_preview_is_a_dry_run(tenant_a):
    f.candidate(email="known@example.com")
    job = create(b"email,first_name\nknown@example.com,K\nnew@example.com,N\nbad,B\n")
    import_mapping_set(job=job, mapping=job.mapping, actor=None)
    preview = import_preview(job)
    assert (preview.total, preview.valid, preview.new, preview.existing) == (3, 2, 1, 1)
    assert preview.errors == [
        {"line": 4, "column": "email", "reason": "“bad” is not a valid email address."}
    ]
    assert Candidate.objects.count() == 1


def test_reimporting_the_same_file_changes_nothing(tenant_a):
    data = (
        HEADER + "a@example.com;Ada;L;Paris;Python, SQL;senior\nb@example.com;Bob;M;;;\n"
    ).encode()
    first = run(data)
    assert (first.created_count, first.updated_count) == (2, 0)
    before = (Candidate.objects.count(), Activity.objects.count())
    stamps = list(Candidate.objects.order_by("pk").values_list("updated_at", "last_activity_at"))
    second = run(data)
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 2)
    assert (Candidate.objects.count(), Activity.objects.count()) == before
    assert (
        list(Candidate.objects.order_by("pk").values_list("updated_at", "last_activity_at"))
        == stamps
    )


def test_import_fills_blanks_and_never_overwrites(tenant_a):
    f.candidate(email="a@example.com", first_name="Ada", city="")
    job = run((HEADER + "A@EXAMPLE.com;Other;L;Paris;Go;\n").encode())
    assert (job.created_count, job.updated_count) == (0, 1)
    ada = Candidate.objects.get()
    assert (ada.first_name, ada.city, list(ada.skills.names())) == ("Ada", "Paris", ["Go"])


def test_a_10_mb_line_is_reported_and_the_rest_imported(tenant_a):
    data = (
        b"email,first_name,notes\n"
        b"a@example.com,Ada,ok\n"
        b"huge@example.com,Huge," + b"x" * (10 * 1024 * 1024) + b"\n"
        b"b@example.com,Bob,ok\n"
    )
    job = run(data)
    assert set(Candidate.objects.values_list("email", flat=True)) == {
        "a@example.com",
        "b@example.com",
    }
    assert job.errors[0]["line"] == 3 and "characters long" in job.errors[0]["reason"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty"),
        (b"\xef\xbb\xbf\r\n  \n", "blank.csv", "The file is empty"),
        (bytes(range(256)) * 40, "photo.csv", "not a text file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "image.csv", "not a text file"),
        (b"PK\x03\x04garbage", "broken.xlsx", "not a valid XLSX"),
        (b"x", "old.xls", "CSV or an XLSX"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tenant_a, data, name, message):
    with pytest.raises(ImportFileError, match=message):
        create(data, name)
    assert not ImportJob.objects.exists()


@override_settings(MAX_UPLOAD_BYTES=1000 * 1024)
def test_files_over_the_size_limit_are_refused(tenant_a):
    with pytest.raises(ImportFileError, match=r"The file is 1\.5 MB; the limit is 1000 KB"):
        create(b"email,first_name\n" + b"a@example.com,A\n" * 100_000)


def test_xlsx_import(tenant_a):
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.append(["E-mail", "First name", "Years", "Country"])
    sheet.append(["xl@example.com", "Excel", 7, "fr"])
    sheet.append([None, None, None, None])
    sheet.append(["bad", "Row", "many", "France"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = run(
        buffer.getvalue(),
        "people.xlsx",
        mapping={
            "E-mail": "email",
            "First name": "first_name",
            "Years": "years_experience",
            "Country": "country",
        },
    )
    xl = Candidate.objects.get()
    assert (xl.years_experience, xl.country) == (7, "FR")
    assert job.error_count == 1 and len(job.errors) == 3  # email, years, country of line 4
    assert {e["line"] for e in job.errors} == {4}


def test_import_applications_brings_past_rejected_applicants(tenant_a):
    existing = f.position(title="Data engineer")
    data = (
        b"email,name,position,stage,outcome,applied\n"
        b"ada@example.com,Ada Lovelace,Data engineer,Final interview,Rejected,2023-05-02\n"
        b"bob@example.com,Bob,Old role,offer,withdrawn,2022-01-10\n"
        b"cy@example.com,Cy,Old role,Nonexistent,rejected,\n"
        b"dee@example.com,Dee,Old role,applied,fired,\n"
    )
    job = run(data, kind="applications")
    assert job.status == ImportStatus.DONE
    ada = Application.objects.get(candidate__email="ada@example.com")
    assert ada.position == existing
    assert (ada.furthest_stage.slug, ada.outcome) == ("final-interview", Outcome.REJECTED)
    assert ada.applied_at.year == 2023 and ada.candidate.last_name == "Lovelace"
    old = Position.objects.get(title="Old role")
    assert old.status == PositionStatus.CLOSED
    by_line = {e["line"]: e["reason"] for e in job.errors}
    assert "Unknown stage" in by_line[4] and "Unknown outcome" in by_line[5]
    # Again: nothing changes.
    again = run(data, kind="applications")
    assert (again.created_count, again.updated_count) == (0, 0)
    assert Application.objects.count() == 2


def test_a_job_resumes_from_its_cursor(tenant_a, monkeypatch):
    """A run that died after some chunks: the cursor says what is committed; running again
    finishes without duplicating or losing rows."""
    from candidates.importing import jobs

    monkeypatch.setattr(jobs, "CHUNK_SIZE", 3)
    lines = ["email,first_name"] + [f"p{i}@example.com,P{i}" for i in range(10)]
    job = create("\n".join(lines).encode())
    import_mapping_set(job=job, mapping=job.mapping, actor=None)
    # The state a killed worker leaves behind: two chunks committed (rows 0-5), then death.
    part = create("\n".join(lines[:7]).encode())
    import_mapping_set(job=part, mapping=part.mapping, actor=None)
    import_job_run(part.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, cursor=6, created_count=6, total_rows=10
    )
    done = import_job_run(job.pk)
    assert done.status == ImportStatus.DONE
    assert (done.cursor, done.created_count) == (10, 10)
    assert Candidate.objects.count() == 10


def test_http_flow_upload_map_preview_start_progress_and_error_report(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        "/candidates/import/",
        {
            "kind": "candidates",
            "file": upload(b"Mail;Given\nada@example.com;Ada\nbad;Bad\n", "list.csv"),
        },
    )
    job = ImportJob.objects.get()
    assert response["Location"] == f"/candidates/import/{job.pk}/mapping/"
    page = client.get(response["Location"]).content.decode()
    assert "Mail" in page and "Given" in page
    mapping = {"col_0": "email", "col_1": "first_name"}
    # Importing is offered only after a dry run of that mapping.
    response = client.post(f"/candidates/import/{job.pk}/mapping/", {**mapping, "action": "start"})
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED and job.dry_run_status == DryRunStatus.QUEUED
    # The dry run is queued for the worker, not run in the request.
    response = client.post(
        f"/candidates/import/{job.pk}/mapping/", {**mapping, "action": "preview"}
    )
    assert response["Location"] == f"/candidates/import/{job.pk}/mapping/#dry-run"
    job.refresh_from_db()
    assert job.dry_run_status == DryRunStatus.QUEUED
    progress = client.get(f"/candidates/import/{job.pk}/dry-run/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in progress.content.decode()  # the page keeps polling
    assert import_dry_run_execute(job.pk, job.dry_run["run"]) == DryRunStatus.DONE  # the worker
    body = client.get(response["Location"]).content.decode()
    assert "Dry run" in body and "is not a valid email" in body
    assert "First rows as they will be imported" in body and "first_name: Ada" in body
    assert "Import 1 valid row" in body
    done = client.get(f"/candidates/import/{job.pk}/dry-run/", HTTP_HX_REQUEST="true")
    assert (
        "hx-trigger" not in done.content.decode() and "Import 1 valid row" in done.content.decode()
    )
    assert not Candidate.objects.exists()
    response = client.post(f"/candidates/import/{job.pk}/mapping/", {**mapping, "action": "start"})
    assert response["Location"] == f"/candidates/import/{job.pk}/"
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    import_job_run(job.pk)  # what the worker does (tested for real in the browser test)
    progress = client.get(f"/candidates/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in progress and 'value="100"' in progress and "hx-trigger" not in progress
    report = client.get(f"/candidates/import/{job.pk}/errors.csv")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        ["line", "column", "reason"],
        ["3", "Mail", "“bad” is not a valid email address."],
    ]


def test_http_upload_errors_are_shown_on_the_form(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        "/candidates/import/", {"kind": "candidates", "file": upload(b"", "empty.csv")}
    )
    assert response.status_code == 200
    assert (
        "The submitted file is empty" in response.content.decode()
        or "empty" in response.content.decode()
    )
    response = client.post(
        "/candidates/import/",
        {"kind": "candidates", "file": upload(b"\x00\x01\x02" * 100, "bin.csv")},
    )
    assert "not a text file" in response.content.decode()


def test_jobs_of_other_tenants_are_invisible(tenant_a, tenant_b):
    tenant_a.activate()
    job = create(b"email,first_name\na@example.com,A\n")
    response = tenant_b.client(tenant_b.recruiter).get(f"/candidates/import/{job.pk}/")
    assert response.status_code == 404


def test_only_stale_running_jobs_are_restarted(tenant_a):
    from datetime import timedelta

    from django.utils import timezone

    from candidates.importing import import_jobs_resume_stale

    live, dead = (create(b"email,first_name\na@example.com,A\n") for _ in range(2))
    ImportJob.objects.filter(pk__in=[live.pk, dead.pk]).update(status=ImportStatus.RUNNING)
    ImportJob.objects.filter(pk=dead.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert import_jobs_resume_stale() == 1
    assert ImportJob.objects.get(pk=dead.pk).status == ImportStatus.QUEUED
    assert ImportJob.objects.get(pk=live.pk).status == ImportStatus.RUNNING
