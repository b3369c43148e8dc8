from __future__ import annotations

from celery import shared_task

from pools.models import RuleRun
from pools.services import rule_run_execute, tag_rules_apply


@shared_task
def tag_rules_apply_task(candidate_ids: list[int]) -> dict[str, int]:
    result = tag_rules_apply(candidate_ids=candidate_ids)
    return {"added": result.added, "removed": result.removed}


@shared_task
def rule_run_task(run_id: int) -> None:
    run = RuleRun.objects.filter(pk=run_id).first()
    if run is not None:
        rule_run_execute(run=run)
