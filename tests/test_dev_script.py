"""scripts/dev.py with DATABASE_URL/REDIS_URL set: missing database created, dead servers named.

`make run` itself (both modes, Ctrl-C leaving nothing behind) is checked by scripts/smoke_run.py,
which CI runs."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
from django.conf import settings
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parent.parent
PRINT_URLS = [sys.executable, "-c", "import os; print('got', os.environ['DATABASE_URL'])"]


def _dev_exec(
    database_url: str, redis_url: str = settings.REDIS_URL
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/dev.py", "exec", "--", *PRINT_URLS],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": database_url, "REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _server_url(dbname: str) -> str:
    return make_conninfo(**(conninfo_to_dict(settings.DATABASE_URL) | {"dbname": dbname}))


def test_a_missing_database_is_created_on_the_given_server():
    name = f"devpy_{uuid.uuid4().hex[:8]}"
    url = f"{settings.DATABASE_URL.partition('?')[0].rsplit('/', 1)[0]}/{name}"
    query = settings.DATABASE_URL.partition("?")[2]
    url += f"?{query}" if query else ""
    try:
        result = _dev_exec(url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"[dev] created database '{name}'" in result.stdout
        assert f"got {url}" in result.stdout
        with psycopg.connect(_server_url(name)) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (name,)
    finally:
        with psycopg.connect(_server_url("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def test_an_unreachable_database_is_named_and_nothing_runs():
    result = _dev_exec("postgres://postgres@127.0.0.1:1/talentcrm")
    assert result.returncode == 1
    assert "[dev] DATABASE_URL: cannot connect to PostgreSQL" in result.stdout
    assert "got " not in result.stdout


def test_an_unreachable_redis_is_named_and_nothing_runs():
    result = _dev_exec(settings.DATABASE_URL, "redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert "[dev] REDIS_URL: cannot reach Redis at redis://127.0.0.1:1/0" in result.stdout
    assert "got " not in result.stdout
