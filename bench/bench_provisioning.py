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
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "bench_talentcrm"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/talentcrm"


def _bench_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))


def _admin_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _create_database(url: str) -> None:
    with _admin_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')


def _drop_database(url: str) -> None:
    from django.db import connections

    connections.close_all()
    with _admin_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')


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
    source_url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    url = _bench_url(source_url)
    _create_database(source_url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from tenants.services import template_schema_refresh

        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)

        settings.TENANT_CREATION_FAKES_MIGRATIONS = False
        migrate = _provision_many("mig", count)

        settings.TENANT_CREATION_FAKES_MIGRATIONS = True
        started = time.perf_counter()
        template_schema_refresh(force=True)
        template_build = time.perf_counter() - started
        clone = _provision_many("cln", count)
    finally:
        _drop_database(source_url)

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
