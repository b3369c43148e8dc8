"""Rules run when the facts they read change, not on a nightly cron (DESIGN §2, domain events)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from candidates.events import (
    application_outcome_changed,
    application_stage_changed,
    candidates_changed,
)
from pools.defaults import tag_rules_install_defaults
from pools.services import tag_rules_apply_for_candidates
from tenants.events import tenant_provisioned


@receiver(candidates_changed, dispatch_uid="pools.rules.candidates_changed")
def candidates_changed_rules(candidate_ids: list[int], reason: str = "", **_: Any) -> None:
    if reason == "tags":
        return  # tags are what rules set, never what they read
    tag_rules_apply_for_candidates(candidate_ids=candidate_ids)


@receiver(application_stage_changed, dispatch_uid="pools.rules.stage_changed")
@receiver(application_outcome_changed, dispatch_uid="pools.rules.outcome_changed")
def application_changed_rules(application: Any, **_: Any) -> None:
    tag_rules_apply_for_candidates(candidate_ids=[application.candidate_id])


@receiver(tenant_provisioned, dispatch_uid="pools.defaults")
def install_defaults(**_: Any) -> None:
    tag_rules_install_defaults()
