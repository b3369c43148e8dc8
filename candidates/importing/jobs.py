"""Import jobs: upload, mapping, dry-run preview, and the run itself in chunks of CHUNK_SIZE
rows, each chunk one transaction that also advances the job's persisted cursor, so a job killed
mid-way resumes from the cursor (and a stale one is restarted)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.i18n import staff_language
from accounts.models import User
from candidates.importing.files import ImportFileError, ParsedFile, parse_bytes, too_big
from candidates.importing.records import (
    Record,
    headers_signature,
    iter_records,
    mapping_guess,
    mapping_validate,
)
from candidates.importing.writers import ApplicationWriter, CandidateWriter, Superseded, Writer
from candidates.models import Candidate, ImportJob, ImportKind, ImportMapping, ImportStatus

CHUNK_SIZE = 1000
# A job "running" without progress for this long lost its worker and may be resumed.
STALE_AFTER_SECONDS = 120
PREVIEW_ROWS = 10


class DryRunSuperseded(Exception):
    """A newer dry run of the same job was asked for; this one stops."""


# --- Preview ------------------------------------------------------------------------------------


@dataclass
class Preview:
    total: int = 0
    valid: int = 0
    new: int = 0
    existing: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    sample: list[Record] = field(default_factory=list)


PROGRESS_EVERY = 1000


def import_preview(
    job: ImportJob, *, progress: Callable[[int, int | None], bool] | None = None
) -> Preview:
    """Dry run: validate every row and count what would be created, without writing.

    `progress(rows_checked, estimated_rows)` is called every PROGRESS_EVERY rows; when it
    returns False the dry run stops (a newer one replaced it) and raises DryRunSuperseded."""
    parsed = job_parse(job)
    preview = Preview()
    emails: list[str] = []
    for record in iter_records(job.kind, parsed, job.mapping):
        preview.total += 1
        tick = progress is not None and preview.total % PROGRESS_EVERY == 0
        if tick and not progress(preview.total, parsed.estimated_rows):  # type: ignore[misc]
            raise DryRunSuperseded
        if len(preview.sample) < PREVIEW_ROWS:
            preview.sample.append(record)
        if record.errors:
            preview.error_count += 1
            for column, reason in record.errors:
                if len(preview.errors) < 500:
                    preview.errors.append({"line": record.line, "column": column, "reason": reason})
            continue
        preview.valid += 1
        emails.append(record.values["email"].lower())
    known = set()
    for start in range(0, len(emails), 5000):
        known |= set(
            Candidate.objects.annotate(e=Lower("email"))
            .filter(e__in=emails[start : start + 5000])
            .values_list("e", flat=True)
        )
    preview.existing = len(set(emails) & known)
    preview.new = len(set(emails)) - preview.existing
    return preview


# --- Jobs ---------------------------------------------------------------------------------------


def job_parse(job: ImportJob) -> ParsedFile:
    with job.file.open("rb") as handle:
        data = handle.read()
    return parse_bytes(job.original_name, data)


@transaction.atomic
def import_job_create(*, kind: str, upload: UploadedFile, actor: User | None) -> ImportJob:
    """Validate the file as a whole and store it; the mapping step comes next."""
    if kind not in ImportKind.values:
        raise ImportFileError(_("Choose what the file contains: candidates or applications."))
    if upload.size and upload.size > settings.MAX_UPLOAD_BYTES:
        raise ImportFileError(too_big(upload.size))
    data = upload.read(settings.MAX_UPLOAD_BYTES + 1)
    parsed = parse_bytes(upload.name or "upload.csv", data)
    job = ImportJob(
        kind=kind,
        created_by=actor if actor and actor.pk else None,
        original_name=(upload.name or "upload.csv")[-255:],
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        headers=parsed.headers,
    )
    job.mapping = mapping_guess(kind, parsed.headers)
    job.file.save(_safe_name(job.original_name), ContentFile(data), save=False)
    job.save()
    return job


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", name)[-80:]
    return stem or "upload.csv"


@transaction.atomic
def import_mapping_set(*, job: ImportJob, mapping: dict[str, str], actor: User | None) -> ImportJob:
    if job.status != ImportStatus.UPLOADED:
        raise ImportFileError(_("This import has already started; upload the file again to remap."))
    mapping = {h: mapping.get(h, "") for h in job.headers}
    problems = mapping_validate(job.kind, job.headers, mapping)
    if problems:
        raise ImportFileError(" ".join(problems))
    job.mapping = mapping
    job.save(update_fields=["mapping"])
    ImportMapping.objects.update_or_create(
        kind=job.kind,
        signature=headers_signature(job.kind, job.headers),
        defaults={"mapping": mapping},
    )
    return job


@transaction.atomic
def import_job_start(*, job: ImportJob, actor: User | None) -> ImportJob:
    from candidates.tasks import import_job_run_task

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job_resumable(job):
        return job
    problems = mapping_validate(job.kind, job.headers, job.mapping)
    if problems:
        raise ImportFileError(" ".join(problems))
    job.status = ImportStatus.QUEUED
    job.message = ""
    job.save(update_fields=["status", "message", "updated_at"])
    transaction.on_commit(lambda: import_job_run_task.delay(job.pk))
    return job


def job_resumable(job: ImportJob) -> bool:
    if job.purged_at is not None:
        return False  # its file was deleted (retention, or an erasure of someone in it)
    if job.status in (ImportStatus.UPLOADED, ImportStatus.FAILED):
        return True
    stale = timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS)
    return job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING) and job.updated_at < stale


def import_jobs_resume_stale() -> int:
    """Restart jobs whose worker died (no progress for STALE_AFTER_SECONDS); they continue from
    their cursor. Returns how many were restarted."""
    stale = timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS)
    restarted = 0
    for job in ImportJob.objects.filter(
        status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING], updated_at__lt=stale
    ):
        import_job_start(job=job, actor=None)
        restarted += 1
    return restarted


def import_job_run(job_id: int) -> ImportJob:
    """Process the job from its cursor to the end; safe to call again after a crash, and safe
    if two runs overlap (a chunk is committed by exactly one of them)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status == ImportStatus.DONE or job.purged_at is not None:
            return job
        job.status = ImportStatus.RUNNING
        job.save(update_fields=["status", "updated_at"])
    try:
        parsed = job_parse(job)
    except ImportFileError as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, message=str(exc))
        job.refresh_from_db()
        return job
    if not job.total_rows:
        job.total_rows = sum(1 for _ in parsed.rows())
        ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
    writer = CandidateWriter(job) if job.kind == ImportKind.CANDIDATES else ApplicationWriter(job)
    try:
        _run_chunks(writer, job, parsed)
    except Superseded:
        job.refresh_from_db()
        return job
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, finished_at=timezone.now(), updated_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def _run_chunks(writer: Writer, job: ImportJob, parsed: ParsedFile) -> None:
    chunk: list[Record] = []
    for index, record in enumerate(iter_records(job.kind, parsed, job.mapping)):
        if index < job.cursor:
            continue  # committed by an earlier run (the loop still saw it for duplicates)
        chunk.append(record)
        if len(chunk) >= CHUNK_SIZE:
            writer.write_chunk(chunk)
            chunk = []
    if chunk:
        writer.write_chunk(chunk)


def job_language(job_id: int) -> str:
    """The language an import job reports in (its row errors and failure message are stored
    text): that of the recruiter who uploaded the file, else the company's default."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    return staff_language(job.created_by if job else None)


def import_job_fail(*, job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).exclude(status=ImportStatus.DONE).update(
        status=ImportStatus.FAILED, message=message[:300]
    )


def error_report_rows(job: ImportJob) -> Iterator[list[str]]:
    yield [_("line"), _("column"), _("reason")]
    for error in job.errors:
        yield [str(error.get("line", "")), error.get("column", ""), error.get("reason", "")]
