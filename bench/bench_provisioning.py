"""Tenant provisioning time: clone the template schema (our default) vs migrate each new schema.

    python bench/bench_provisioning.py [--quick]     BENCH_TENANTS=N (default 5; --quick: 2)

Runs on a throwaway database `bench_talentcrm` on the DATABASE_URL server (created, migrated,
dropped), so real data is never touched. Both modes run the whole `tenant_provision` an operator
waits for: schema, domain, HR admin and every app's defaults.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import drop_database, setup_django  # noqa: E402 (needs ROOT)

BENCH_DATABASE = "bench_talentcrm"


def _provision_many(prefix: str, count: int) -> list[float]:
    from tenants.services import tenant_provision

    timings = []
    for index in range(count):
        started = time.perf_counter()
        tenant_provision(
            name=f"Bench {prefix} {index}",
            domain=f"{prefix}{index}.bench.localhost",
            schema_name=f"{prefix}{index}",
            admin_email=f"hr@{prefix}{index}.example",
        )
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    quick = "--quick" in sys.argv
    count = int(os.environ.get("BENCH_TENANTS", "2" if quick else "5"))
    try:
        # No tenant here: provisioning tenants is what this benchmark measures.
        setup_django(BENCH_DATABASE)
        from django.conf import settings

        from tenants.services import template_schema_refresh

        settings.TENANT_CREATION_FAKES_MIGRATIONS = False
        migrate = _provision_many("mig", count)

        settings.TENANT_CREATION_FAKES_MIGRATIONS = True
        started = time.perf_counter()
        template_schema_refresh(force=True)
        template_build = time.perf_counter() - started
        clone = _provision_many("cln", count)
    finally:
        drop_database(BENCH_DATABASE)

    figure, baseline = statistics.median(clone), statistics.median(migrate)
    print(f"Tenant provisioning, {count} tenants each, median seconds per tenant")
    print(f"{'':<44}{'seconds':>10}")
    print(f"{'figure:   clone template schema':<44}{figure:>10.2f}")
    print(f"{'baseline: migrate each new schema':<44}{baseline:>10.2f}")
    print(f"{'ratio (baseline / figure)':<44}{baseline / figure:>10.1f}x")
    print(f"{'one-off: (re)build the template schema':<44}{template_build:>10.2f}")
    print(f"per tenant, clone:   {', '.join(f'{t:.2f}' for t in clone)}")
    print(f"per tenant, migrate: {', '.join(f'{t:.2f}' for t in migrate)}")
    winner = "clone" if figure < baseline else "migrate"
    print(f"faster: {winner} (default: TENANT_CLONE_FROM_TEMPLATE=1 clones)")


if __name__ == "__main__":
    main()
