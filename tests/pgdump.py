"""`pg_dump` of the test database, with a client that can dump the server the tests run on.

The embedded PostgreSQL of `make test` (the `pgserver` wheel) listens on a socket in its own
folder and may be of another major version than the machine's `pg_dump` (which refuses to dump a
newer server), so the binary is chosen by the server's major version: the wheel's own when it
matches, else the distribution's `/usr/lib/postgresql/<major>/bin/pg_dump`, else the one on PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from django.db import connection
from psycopg.conninfo import make_conninfo


def _server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def _client_major(binary: str) -> int | None:
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def pg_dump_binary() -> str:
    """A `pg_dump` whose major version is the server's."""
    major = _server_major()
    candidates: list[str] = []
    try:
        from pgserver._commands import POSTGRES_BIN_PATH

        candidates.append(str(Path(POSTGRES_BIN_PATH) / "pg_dump"))
    except ImportError:
        pass
    candidates.append(f"/usr/lib/postgresql/{major}/bin/pg_dump")
    candidates.append(shutil.which("pg_dump") or "")
    for binary in filter(None, candidates):
        if os.access(binary, os.X_OK) and _client_major(binary) == major:
            return binary
    raise RuntimeError(f"no pg_dump of PostgreSQL {major} found (tried {candidates})")


def dump_schemas(*schemas: str) -> str:
    """The plain-SQL dump (schema and data) of the given schemas of the test database."""
    # The live connection's parameters, not settings: the embedded server's socket folder is in
    # OPTIONS (a `?host=` URL), and libpq defaults must resolve as they did for the tests.
    connection.ensure_connection()
    info = connection.connection.info
    conninfo = make_conninfo(host=info.host, port=info.port, user=info.user, dbname=info.dbname)
    command = [pg_dump_binary(), "--dbname", conninfo]
    for schema in schemas:
        command += ["--schema", schema]
    env = os.environ | {"PGPASSWORD": info.password or ""}
    result = subprocess.run(command, capture_output=True, env=env, timeout=300)
    if result.returncode:
        raise RuntimeError(f"pg_dump failed ({result.returncode}): {result.stderr.decode()}")
    return result.stdout.decode()
