from __future__ import annotations

import random

from candidates.demo import demo_seed as candidates_demo_seed
from pools.demo import demo_seed
from pools.models import Pool
from pools.selectors import pool_members, pool_problem


def test_demo_pools_fill_and_seeding_twice_changes_nothing(tenant_a):
    candidates_demo_seed(rng=random.Random(42))
    demo_seed(rng=random.Random(42))
    pools = {pool.name: pool for pool in Pool.objects.all()}
    assert {"Silver medalists", "Young talent", "Call back in spring"} <= set(pools)
    for pool in pools.values():
        assert pool_problem(pool) == ""
        assert pool_members(pool).exists(), pool.name
    before = {name: pool_members(pool).count() for name, pool in pools.items()}
    demo_seed(rng=random.Random(1))
    assert {p.name: pool_members(p).count() for p in Pool.objects.all()} == before
