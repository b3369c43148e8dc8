"""Demo pools for the demo tenant (called by the demo app's `seed_demo`, after candidates)."""

from __future__ import annotations

import random

from django.db import transaction

from candidates.criteria import CriteriaForm
from candidates.models import Candidate
from pools.defaults import SILVER_MEDALIST, YOUNG_TALENT
from pools.models import Pool, PoolKind
from pools.services import pool_members_add, pool_save, tag_rules_apply

SMART_POOLS = [
    (
        "Silver medalists",
        "Rejected at or after the final interview: our warmest talent.",
        {"tags_all": [SILVER_MEDALIST]},
    ),
    (
        "Young talent",
        "Candidates aged 18–24, for graduate programmes and internships.",
        {"tags_all": [YOUNG_TALENT]},
    ),
    (
        "Silver medalists who know Python",
        "For the next engineering openings.",
        {"tags_all": [SILVER_MEDALIST], "skills_any": ["Python"]},
    ),
]
STATIC_POOL = ("Call back in spring", "Hand-picked: asked us to get in touch again in spring.")


@transaction.atomic
def demo_seed(*, rng: random.Random) -> None:
    # The demo's candidates were created before this runs; make sure every rule has seen them.
    tag_rules_apply()
    for name, description, data in SMART_POOLS:
        if Pool.objects.filter(name=name).exists():
            continue
        form = CriteriaForm(data)
        if not form.is_valid():
            continue  # e.g. no candidate has the skill in this demo: skip that pool
        pool_save(
            actor=None,
            name=name,
            kind=PoolKind.SMART,
            description=description,
            criteria=form.active(),
        )
    name, description = STATIC_POOL
    if not Pool.objects.filter(name=name).exists():
        pool = pool_save(actor=None, name=name, kind=PoolKind.STATIC, description=description)
        ids = sorted(Candidate.objects.active().values_list("pk", flat=True))
        if ids:
            pool_members_add(actor=None, pool=pool, candidates=rng.sample(ids, min(12, len(ids))))
