"""Setup shared by the bench/bench_*.py scripts: a throwaway database, Django on it, percentiles.

The scripts put the repository root on sys.path before importing this module as `bench.common`,
so it works both standalone (`python bench/bench_x.py`) and under `python -m bench.run`.
Every benchmark runs against its own database on the DATABASE_URL server; that database is
dropped and re-created on setup so real data is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/talentcrm"


def _server() -> tuple[str, str]:
    """The DATABASE_URL server (without database name) and its query string ("" or "?...")."""
    base, _, query = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL).partition("?")
    return base.rsplit("/", 1)[0], (f"?{query}" if query else "")


def _admin_execute(sql: str) -> None:
    import psycopg

    server, _ = _server()
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


def database_name(name: str) -> str:
    """BENCH_DATABASE_NAME, when set, replaces every benchmark's own database name (people
    sharing a server each use their own)."""
    return os.environ.get("BENCH_DATABASE_NAME") or name


def throwaway_database(name: str) -> str:
    """(Re)create the empty database `name` and return its URL; refuses anything but bench*."""
    name = database_name(name)
    if name in ("talentcrm", "postgres") or not name.startswith("bench"):
        raise SystemExit(f"{name!r} is not a throwaway bench* database name; refusing to drop it.")
    server, query = _server()
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}{query}"


def setup_django(
    database: str,
    *,
    tenant: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    env_defaults: Mapping[str, str] | None = None,
    settings_overrides: Mapping[str, Any] | None = None,
) -> None:
    """Create the throwaway `database`, point Django at it, migrate the shared apps.

    env is forced and env_defaults only fill gaps in os.environ before django.setup() (both are
    read by config/settings.py); settings_overrides are applied right after it. tenant, when
    given, are the keyword arguments of tenants.services.tenant_provision.
    """
    os.environ["DATABASE_URL"] = throwaway_database(database)
    os.environ.update(env or {})
    for key, value in {"DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING"}.items():
        os.environ.setdefault(key, value)
    for key, value in (env_defaults or {}).items():
        os.environ.setdefault(key, value)
    import django

    django.setup()
    from django.conf import settings

    for key, value in (settings_overrides or {}).items():
        setattr(settings, key, value)
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    if tenant is not None:
        from tenants.services import tenant_provision

        tenant_provision(**tenant)


def drop_database(name: str) -> None:
    """Close Django's connections and drop the throwaway database `name`."""
    from django.db import connections

    connections.close_all()
    _admin_execute(f'DROP DATABASE IF EXISTS "{database_name(name)}" WITH (FORCE)')


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, q a fraction in [0, 1] (0.5 is the median, 0.95 the p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
