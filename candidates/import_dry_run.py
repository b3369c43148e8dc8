"""The import dry run, in the Celery worker with progress (a 100,000-row file takes seconds to
check, far too long for a web request).

`import_dry_run_start` records a new run (a fresh run id and the mapping it checks) and enqueues
it on commit; the worker's `import_dry_run_execute` validates every row through
`importing.import_preview`, writing the rows checked so far to the job, and stores the result.
A newer run (the mapping changed, or the user asked again) takes over: the older one notices at
its next progress write and stops, and its result is never stored. The mapping page polls
`candidates:import_dry_run` until the run is done, and offers the import only for a finished
dry run of the mapping being submitted.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from candidates.importing import (
    DryRunSuperseded,
    ImportFileError,
    Preview,
    import_preview,
)
from candidates.models import DryRunStatus, ImportJob, ImportStatus

MAX_SHOWN_ERRORS = 500


@transaction.atomic
def import_dry_run_start(*, job: ImportJob, actor: User | None) -> ImportJob:
    from candidates.tasks import import_dry_run_task

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.UPLOADED:
        raise ImportFileError(_("This import has already started."))
    run = uuid.uuid4().hex
    job.dry_run_status = DryRunStatus.QUEUED
    job.dry_run_checked = 0
    job.dry_run = {"run": run, "mapping": job.mapping}
    job.save(update_fields=["dry_run_status", "dry_run_checked", "dry_run"])
    transaction.on_commit(lambda: import_dry_run_task.delay(job.pk, run))
    return job


def _current(job_id: int, run: str) -> Any:
    return ImportJob.objects.filter(pk=job_id, dry_run__run=run)


def import_dry_run_execute(job_id: int, run: str) -> str:
    """What the worker runs: check every row, with progress; returns the final status."""
    job = _current(job_id, run).first()
    if job is None or job.dry_run_status not in (DryRunStatus.QUEUED, DryRunStatus.RUNNING):
        return "superseded"
    _current(job_id, run).update(dry_run_status=DryRunStatus.RUNNING)
    job.mapping = job.dry_run["mapping"]

    def progress(checked: int, estimate: int | None) -> bool:
        updated = _current(job_id, run).update(
            dry_run_checked=checked, dry_run={**job.dry_run, "estimate": estimate}
        )
        return bool(updated)

    try:
        preview = import_preview(job, progress=progress)
    except DryRunSuperseded:
        return "superseded"
    except ImportFileError as exc:
        _current(job_id, run).update(
            dry_run_status=DryRunStatus.FAILED, dry_run={**job.dry_run, "message": str(exc)}
        )
        return DryRunStatus.FAILED
    _current(job_id, run).update(
        dry_run_status=DryRunStatus.DONE,
        dry_run_checked=preview.total,
        dry_run={**job.dry_run, "estimate": preview.total, "result": _result(preview)},
    )
    return DryRunStatus.DONE


def import_dry_run_fail(*, job_id: int, run: str, message: str) -> None:
    _current(job_id, run).exclude(dry_run_status=DryRunStatus.DONE).update(
        dry_run_status=DryRunStatus.FAILED, dry_run={"run": run, "message": message[:300]}
    )


def _display(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _result(preview: Preview) -> dict[str, Any]:
    return {
        "total": preview.total,
        "valid": preview.valid,
        "new": preview.new,
        "existing": preview.existing,
        "error_count": preview.error_count,
        "errors": preview.errors[:MAX_SHOWN_ERRORS],
        "sample": [
            {
                "line": record.line,
                "values": {key: _display(value) for key, value in record.values.items()},
                "has_errors": bool(record.errors),
            }
            for record in preview.sample
        ],
    }


def dry_run_result(job: ImportJob) -> dict[str, Any] | None:
    """The finished dry run of the job's current mapping, else None."""
    if job.dry_run_status != DryRunStatus.DONE or job.dry_run.get("mapping") != job.mapping:
        return None
    result: dict[str, Any] | None = job.dry_run.get("result")
    return result
