from __future__ import annotations

from celery import shared_task

from candidates.importing import import_job_fail, import_job_run


@shared_task(acks_late=True)
def import_job_run_task(job_id: int) -> str:
    """Runs (or resumes, after a crash: the broker redelivers unacked tasks) an import job."""
    try:
        return import_job_run(job_id).status
    except Exception as exc:
        # The committed chunks stay (cursor saved); the job can be resumed from the page.
        import_job_fail(job_id=job_id, message=f"The import stopped: {exc}")
        raise
