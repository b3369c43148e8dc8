"""The import job under a real Celery worker, killed mid-way (SIGKILL, as a container dies)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from candidates.importing import (
    CHUNK_SIZE,
    import_job_create,
    import_job_start,
    import_jobs_resume_stale,
    import_mapping_set,
    job_resumable,
)
from candidates.models import Candidate, ImportJob, ImportStatus
from tests.worker import WorkerProcess, wait_until

ROWS = 60_000

pytestmark = pytest.mark.worker


def test_a_killed_import_leaves_whole_chunks_and_resumes_to_the_end(
    committed_tenant, celery_worker, tmp_path
):
    committed_tenant.activate()
    lines = ["email;first_name;skills"] + [
        f"p{i}@example.com;P{i};Skill{i % 7}" for i in range(ROWS)
    ]
    job = import_job_create(
        kind="candidates",
        upload=SimpleUploadedFile("big.csv", "\n".join(lines).encode()),
        actor=None,
    )
    import_mapping_set(job=job, mapping=job.mapping, actor=None)
    import_job_start(job=job, actor=None)

    def progressed() -> bool:
        return ImportJob.objects.get(pk=job.pk).cursor >= CHUNK_SIZE

    assert wait_until(progressed, timeout=120), celery_worker.log()[-2000:]
    celery_worker.kill()

    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING and job.cursor < ROWS, "finished before the kill"
    # Only whole chunks were committed, and exactly what the cursor says.
    assert job.cursor % CHUNK_SIZE == 0
    assert Candidate.objects.count() == job.cursor == job.created_count
    assert not job_resumable(job)  # it might still be running somewhere
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    job.refresh_from_db()
    assert job_resumable(job)

    second = WorkerProcess(tmp_path / "worker2.log")
    second.start()
    try:
        # What the periodic sweeper does for every tenant.
        assert import_jobs_resume_stale() == 1
        assert wait_until(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE, timeout=180
        ), second.log()[-2000:]
    finally:
        second.stop()
    job.refresh_from_db()
    assert (job.cursor, job.created_count, job.error_count) == (ROWS, ROWS, 0)
    assert Candidate.objects.count() == ROWS
    assert Candidate.objects.filter(skills__name="Skill3").count() == len(range(3, ROWS, 7))


def test_the_dry_run_runs_in_the_worker_with_progress_and_a_newer_run_takes_over(
    committed_tenant, celery_worker
):
    from candidates.import_dry_run import import_dry_run_start
    from candidates.models import DryRunStatus

    committed_tenant.activate()
    rows = 40_000
    lines = ["email;first_name"] + [f"d{i}@example.com;D{i}" for i in range(rows)] + ["bad;Bad"]
    job = import_job_create(
        kind="candidates",
        upload=SimpleUploadedFile("dry.csv", "\n".join(lines).encode()),
        actor=None,
    )
    import_mapping_set(job=job, mapping=job.mapping, actor=None)
    first = import_dry_run_start(job=job, actor=None)  # committed: the worker picks it up
    seen: set[int] = set()

    def checking() -> bool:
        current = ImportJob.objects.get(pk=job.pk)
        seen.add(current.dry_run_checked)
        return current.dry_run_status == DryRunStatus.RUNNING and current.dry_run_checked > 0

    assert wait_until(checking, timeout=60, interval=0.02), celery_worker.log()[-2000:]
    # Asked again meanwhile (the recruiter changed the mapping back and forth): the first run
    # stops at its next progress write, and only the second one's result is kept.
    second = import_dry_run_start(job=job, actor=None)
    assert second.dry_run["run"] != first.dry_run["run"]

    def done() -> bool:
        current = ImportJob.objects.get(pk=job.pk)
        seen.add(current.dry_run_checked)
        return current.dry_run_status in (DryRunStatus.DONE, DryRunStatus.FAILED)

    assert wait_until(done, timeout=120, interval=0.02), celery_worker.log()[-2000:]
    job.refresh_from_db()
    assert job.dry_run_status == DryRunStatus.DONE
    assert job.dry_run["run"] == second.dry_run["run"]
    result = job.dry_run["result"]
    assert (result["total"], result["valid"], result["error_count"]) == (rows + 1, rows, 1)
    assert result["new"] == rows and result["errors"][0]["line"] == rows + 2
    assert any(0 < checked < rows for checked in seen), sorted(seen)  # progress was visible
    assert "superseded" in celery_worker.log()
    assert Candidate.objects.count() == 0  # a dry run writes nothing
