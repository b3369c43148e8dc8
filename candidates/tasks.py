from __future__ import annotations

from celery import shared_task
from django.utils.translation import gettext as _

from candidates.import_dry_run import import_dry_run_execute, import_dry_run_fail
from candidates.importing import import_job_fail, import_job_run, import_jobs_resume_stale
from candidates.importing.jobs import job_language
from config.celery import SchemaRequiredTask
from tenants.fanout import enqueue_for_each_tenant
from tenants.i18n import localised


@shared_task(acks_late=True)
def import_job_run_task(job_id: int) -> str:
    """Runs (or resumes from its cursor) an import job, reporting in its uploader's language."""
    with localised(language=job_language(job_id)):
        try:
            return import_job_run(job_id).status
        except Exception as exc:
            # The committed chunks stay (cursor saved); the job can be resumed from the page.
            import_job_fail(job_id=job_id, message=_("The import stopped: %s") % exc)
            raise


@shared_task(acks_late=True)
def import_dry_run_task(job_id: int, run: str) -> str:
    """Checks every row of an import without writing, with progress (import_dry_run.py)."""
    with localised(language=job_language(job_id)):
        try:
            return import_dry_run_execute(job_id, run)
        except Exception as exc:
            import_dry_run_fail(job_id=job_id, run=run, message=_("The dry run stopped: %s") % exc)
            raise


@shared_task
def import_jobs_resume_task() -> int:
    return import_jobs_resume_stale()


@shared_task(base=SchemaRequiredTask, runs_in_public=True)
def import_jobs_sweep_dispatch_task() -> int:
    """A killed worker leaves its job "running" without progress: restart those, per tenant."""
    return enqueue_for_each_tenant(import_jobs_resume_task)
