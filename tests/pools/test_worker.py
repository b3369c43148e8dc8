"""Rule application on a real Celery worker: the re-apply job and big fact changes (imports)."""

from __future__ import annotations

import pytest
from taggit.models import Tag

from candidates.models import CandidateTag
from pools.defaults import YOUNG_TALENT
from pools.models import RuleRun, RuleRunStatus
from pools.services import rule_run_start
from tests.pools.helpers import candidate
from tests.worker import wait_until

pytestmark = pytest.mark.worker


def young_talent_count() -> int:
    return CandidateTag.objects.filter(tag__name=YOUNG_TALENT, set_by_rule=True).count()


def test_reapply_all_rules_runs_on_the_worker_with_progress(committed_tenant, celery_worker):
    committed_tenant.activate()
    for _ in range(5):
        candidate(age_bracket="18_24")
    old = candidate(age_bracket="55_plus")
    # Facts changed behind the rules' back (e.g. a bulk SQL fix): only a re-apply catches it.
    CandidateTag.objects.all().delete()
    CandidateTag.objects.create(
        content_object=old, tag=Tag.objects.get(name=YOUNG_TALENT), set_by_rule=True
    )

    run = rule_run_start(actor=committed_tenant.hr_admin)
    assert wait_until(lambda: RuleRun.objects.get(pk=run.pk).is_finished, timeout=60)
    run.refresh_from_db()
    assert run.status == RuleRunStatus.DONE, run.error
    assert (run.processed, run.total, run.percent) == (6, 6, 100)
    assert (run.tags_added, run.tags_removed) == (5, 1)
    assert young_talent_count() == 5
    client = committed_tenant.client(committed_tenant.hr_admin)
    body = client.get(f"/pools/rules/runs/{run.pk}/").content.decode()
    assert "Done" in body and "every 1s" not in body


def test_a_large_import_is_tagged_by_the_worker(committed_tenant, celery_worker, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from candidates.importing import import_job_create, import_job_run

    committed_tenant.activate()
    settings.POOLS_RULES_SYNC_LIMIT = 2  # so this small import counts as a big one
    rows = "".join(f"import{n}@example.com,Imported{n},18-24\n" for n in range(4))
    upload = SimpleUploadedFile("people.csv", f"email,first_name,age_bracket\n{rows}".encode())
    job = import_job_create(kind="candidates", upload=upload, actor=committed_tenant.hr_admin)
    # The import itself runs here (its own worker task is not what is tested); its
    # candidates_changed event hands the rule work to the pools task on the worker.
    job = import_job_run(job.pk)
    assert job.created_count == 4
    assert wait_until(lambda: young_talent_count() == 4, timeout=60)
    assert "pools.tasks.tag_rules_apply_task" in celery_worker.log()
