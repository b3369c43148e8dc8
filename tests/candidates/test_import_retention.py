"""Uploaded import files hold every row's name, email and phone: they are deleted
IMPORT_FILE_RETENTION_DAYS after the import finished (by the daily retention, which walks the
personal-data registry), and the error report keeps no personal data beyond that; an erasure
purges at once every import that holds the person."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from candidates.importing import import_job_create, import_job_run, import_mapping_set
from candidates.models import ImportJob, ImportStatus
from consent.erasure import candidate_erase
from consent.retention import retention_run
from tests.candidates import factories as f

ROWS = "Email;First name;Phone\nana.pereira@example.org;Ana;+351 912 345 678\nnot-an-email;Rui;\n"


def _import(name: str) -> ImportJob:
    job = import_job_create(
        kind="candidates",
        upload=SimpleUploadedFile(name, ROWS.encode(), content_type="text/csv"),
        actor=None,
    )
    import_mapping_set(job=job, mapping=job.mapping, actor=None)
    return import_job_run(job.pk)


def test_files_and_error_details_go_after_the_retention_period(tenant_a, settings):
    settings.IMPORT_FILE_RETENTION_DAYS = 14
    old, recent = _import("ana-pereira-export.csv"), _import("fresh.csv")
    assert old.status == ImportStatus.DONE and "not-an-email" in old.errors[0]["reason"]
    stored = old.file.name
    long_ago = timezone.now() - timedelta(days=15)
    ImportJob.objects.filter(pk=old.pk).update(finished_at=long_ago, updated_at=long_ago)

    report = retention_run()

    assert report.apps["import_files_deleted"] == 1
    old.refresh_from_db()
    assert not old.file and not default_storage.exists(stored)
    assert old.original_name == f"import-{old.pk}.csv"
    assert old.errors == [{"line": 3, "column": "Email"}]  # where, not what
    assert (old.created_count, old.error_count) == (1, 1)  # the counts stay
    assert old.purged_at is not None
    recent.refresh_from_db()
    assert recent.file and recent.original_name == "fresh.csv" and recent.purged_at is None
    # The job page says what happened instead of offering an empty error report.
    page = tenant_a.client(tenant_a.recruiter).get(f"/candidates/import/{old.pk}/")
    assert b"were deleted on" in page.content and b"errors.csv" not in page.content
    report = tenant_a.client(tenant_a.recruiter).get(f"/candidates/import/{old.pk}/errors.csv")
    assert b"not-an-email" not in b"".join(report.streaming_content)


def test_an_erasure_purges_every_import_holding_the_person(tenant_a):
    job = _import("people.csv")
    other = import_job_create(
        kind="candidates",
        upload=SimpleUploadedFile("others.csv", b"Email;First name\nx@example.org;X\n"),
        actor=None,
    )
    stored = job.file.name
    ana = f.candidate(email="ana.pereira@example.org")
    candidate_erase(candidate=ana, actor=None)
    job.refresh_from_db()
    assert not job.file and not default_storage.exists(stored) and job.purged_at
    assert all("reason" not in e for e in job.errors)
    other.refresh_from_db()
    assert other.file and other.purged_at is None  # it does not hold her


def test_a_running_import_holding_an_erased_person_stops(tenant_a):
    job = import_job_create(
        kind="candidates", upload=SimpleUploadedFile("p.csv", ROWS.encode()), actor=None
    )
    import_mapping_set(job=job, mapping=job.mapping, actor=None)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    candidate_erase(candidate=f.candidate(email="ana.pereira@example.org"), actor=None)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "erased" in job.message
    # Resuming cannot bring her back: the file is gone and the run refuses to continue.
    import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status != ImportStatus.DONE
