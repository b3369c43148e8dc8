"""Smoke test of `make run` as a newcomer runs it, in both of its modes.

    .venv/bin/python scripts/smoke_run.py                      both modes
    .venv/bin/python scripts/smoke_run.py --mode embedded      embedded PostgreSQL and Redis
    .venv/bin/python scripts/smoke_run.py --mode external --fresh --hold 300

Each mode starts `make run` (on a free port unless --port) in its own process group and checks:
- it becomes ready: /healthz on demo.localhost answers 200 with every check ok;
- the login page renders with its form, and the demo recruiter's sign-in is accepted;
- web (runserver), Celery worker and Celery beat run (and, embedded, PostgreSQL and Redis);
- for --hold seconds every one of them stays up and /healthz stays 200;
- after SIGINT to the group (what Ctrl-C in a terminal sends) no process it started is left:
  none of the processes seen in its tree while it ran, none carrying the run's marker in its
  environment (pg_ctl daemonises the embedded PostgreSQL, outside the tree), and neither the
  web port nor the embedded Redis port still accepts connections.

External mode uses SMOKE_DATABASE_URL / SMOKE_REDIS_URL (defaults: database `talentcrm_smoke`
on 127.0.0.1:5432, Redis DB 15 on 127.0.0.1:6379) so it never touches a developer's data;
--fresh drops that database and empties that Redis DB first (the first-run path).
Exit code 0 when every check of every mode passed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

try:
    import psutil
except ImportError:
    sys.exit("psutil is missing: run this with the project's venv (make install; .venv/bin/python)")

ROOT = Path(__file__).resolve().parent.parent
MARKER = "TALENTCRM_SMOKE_RUN"
HOST = "demo.localhost"
DEMO_LOGIN = ("recruiter@demo.localhost", "demo-pass-2026")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/talentcrm_smoke"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
ROLES = {
    "web": ("manage.py", "runserver"),
    "worker": ("celery", "worker"),
    "beat": ("celery", "beat"),
}
EMBEDDED_ROLES = {"postgres": ("postgres", "-D"), "redis": ("redis-server",)}


def say(message: str) -> None:
    print(f"[smoke] {message}", flush=True)


class SmokeFailure(Exception):
    pass


@dataclass
class Seen:
    """Processes that belonged to the run, by (pid, start time) so a reused pid is not mistaken."""

    procs: dict[tuple[int, float], str] = field(default_factory=dict)

    def add(self, proc: psutil.Process) -> None:
        try:
            key = (proc.pid, proc.create_time())
            self.procs.setdefault(key, " ".join(proc.cmdline())[:160])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass

    def roles(self) -> set[str]:
        return {role for cmdline in self.procs.values() if (role := _role_of(cmdline))}

    def live_roles(self) -> set[str]:
        return {role for line in self.alive() if (role := _role_of(line))}

    def alive(self) -> list[str]:
        left = []
        for (pid, started), cmdline in self.procs.items():
            try:
                proc = psutil.Process(pid)
                if proc.create_time() == started and proc.status() != psutil.STATUS_ZOMBIE:
                    left.append(f"{pid} {cmdline}")
            except psutil.NoSuchProcess:
                continue
        return left


def marked(token: str) -> list[psutil.Process]:
    """Every process whose environment carries this run's marker (inherited by everything the
    run started, daemonised or not)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(MARKER) == token and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5):
            return True
    except OSError:
        return False


class Browser:
    """Just enough of a browser: a Host header, cookies, one redirect at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text


def check_health(port: int) -> dict:
    status, _, text = Browser(port).request("GET", "/healthz")
    if status != 200:
        raise SmokeFailure(f"/healthz answered {status}: {text[:300]}")
    body = json.loads(text)
    if body.get("status") != "ok":
        raise SmokeFailure(f"/healthz is not ok: {body}")
    return body


def check_pages(port: int) -> None:
    browser = Browser(port)
    status, _, page = browser.request("GET", "/accounts/login/")
    if status != 200 or 'name="password"' not in page or "csrfmiddlewaretoken" not in page:
        raise SmokeFailure(f"login page: status {status}, no sign-in form:\n{page[:500]}")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        raise SmokeFailure("login page has no CSRF token")
    form = {"csrfmiddlewaretoken": token.group(1), "username": DEMO_LOGIN[0]}
    form["password"] = DEMO_LOGIN[1]
    status, headers, page = browser.request("POST", "/accounts/login/", form)
    # Accepted credentials redirect (to the dashboard, or to a next sign-in step); a refused
    # sign-in shows the form again with 200.
    location = headers.get("location", "")
    if status != 302 or "/accounts/login/" in location:
        raise SmokeFailure(f"demo sign-in refused: {status} {location}\n{page[:500]}")
    status, _, page = browser.request("GET", urlsplit(location).path or "/")
    if status != 200:
        raise SmokeFailure(f"after sign-in, {location} answered {status}")
    status, headers, _ = browser.request("GET", "/favicon.ico")
    if status != 200 or headers.get("content-type") != "image/x-icon":
        raise SmokeFailure(f"/favicon.ico answered {status} {headers.get('content-type')}")


def prepare_external(database_url: str, redis_url: str) -> None:
    """--fresh: drop the smoke database and empty its Redis DB, as on a first run."""
    import psycopg
    import redis
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(database_url)
    name = params.get("dbname")
    if not name or name in {"postgres", "template0", "template1"}:
        raise SmokeFailure(f"refusing to drop database {name!r}")
    with psycopg.connect(
        make_conninfo("", **(params | {"dbname": "postgres"})), autocommit=True
    ) as c:
        c.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name)))
        )
    redis.Redis.from_url(redis_url).flushdb()
    say(f"dropped database {name!r}, emptied {redis_url}")


def run_mode(mode: str, args: argparse.Namespace) -> None:
    port = args.port or free_port()
    if listening(port):
        raise SmokeFailure(f"port {port} is already in use")
    token = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL"}}
    env |= {MARKER: token, "PORT": str(port)}
    if mode == "embedded":
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
    else:
        env["DATABASE_URL"], env["REDIS_URL"] = args.database_url, args.redis_url
        if args.fresh:
            prepare_external(args.database_url, args.redis_url)
    log_path = Path(tempfile.mkdtemp(prefix=f"smoke-{mode}-")) / "make-run.log"
    say(f"{mode}: make run on port {port} (log: {log_path})")
    started = time.monotonic()
    with log_path.open("wb") as log:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, as a terminal's foreground job
            # A terminal's job gets Ctrl-C even if this script was started with SIGINT ignored
            # (a background job of a non-interactive shell), which make would inherit.
            preexec_fn=_default_sigint,
        )
    seen = Seen()
    try:
        _exercise(mode, args, make, port, token, seen, started, log_path)
    except BaseException:
        say(f"{mode}: FAILED; last lines of {log_path}:")
        print("".join(log_path.read_text(errors="replace").splitlines(True)[-60:]), flush=True)
        raise
    finally:
        _stop_leftovers(make, seen, token)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _observe(make: psutil.Process | None, token: str, seen: Seen) -> None:
    if make is not None:
        try:
            for proc in [make, *make.children(recursive=True)]:
                seen.add(proc)
        except psutil.NoSuchProcess:
            pass
    for proc in marked(token):
        seen.add(proc)


def _exercise(
    mode: str,
    args: argparse.Namespace,
    make: subprocess.Popen[bytes],
    port: int,
    token: str,
    seen: Seen,
    started: float,
    log_path: Path,
) -> None:
    tree = psutil.Process(make.pid)
    deadline = started + args.timeout
    last_error: Exception | None = None
    while True:
        _observe(tree, token, seen)
        if make.poll() is not None:
            raise SmokeFailure(f"make run exited with {make.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise SmokeFailure(f"not ready after {args.timeout:.0f}s: {last_error}")
        try:
            check_health(port)
            break
        except (OSError, SmokeFailure, ValueError) as exc:
            last_error = exc
            time.sleep(1)
    ready = time.monotonic() - started
    check_pages(port)
    # Worker and beat are started right after the web server: give them a moment to show up.
    needed = set(ROLES) | (set(EMBEDDED_ROLES) if mode == "embedded" else set())
    for _ in range(30):
        _observe(tree, token, seen)
        if needed <= seen.live_roles():
            break
        time.sleep(1)
    if not needed <= seen.live_roles():
        raise SmokeFailure(f"not running: {sorted(needed - seen.live_roles())}")
    say(
        f"{mode}: ready in {ready:.1f}s: /healthz 200, login page, demo sign-in, favicon; "
        f"running: {', '.join(sorted(seen.roles()))}"
    )

    hold_until = time.monotonic() + args.hold
    checks = 0
    heartbeat = None
    while time.monotonic() < hold_until:
        time.sleep(min(5.0, max(0.0, hold_until - time.monotonic())))
        _observe(tree, token, seen)
        if make.poll() is not None:
            raise SmokeFailure(f"make run exited with {make.returncode} while holding")
        if not needed <= seen.live_roles():
            raise SmokeFailure(f"stopped while holding: {sorted(needed - seen.live_roles())}")
        # Beat's heartbeat task (every 5 minutes) run by the worker shows on the tenant's health.
        heartbeat = check_health(port).get("worker_last_seen") or heartbeat
        checks += 1
    if args.hold:
        say(
            f"{mode}: held {args.hold:.0f}s: /healthz 200 on {checks} checks, nothing exited; "
            f"worker heartbeat: {heartbeat or 'none yet (beat sends it every 5 minutes)'}"
        )

    redis_port = None
    if mode == "embedded":
        found = re.search(rb"embedded Redis on 127\.0\.0\.1:(\d+)", log_path.read_bytes())
        redis_port = int(found.group(1)) if found else None
    stopping = time.monotonic()
    os.killpg(make.pid, signal.SIGINT)
    try:
        make.wait(timeout=args.stop_timeout)
    except subprocess.TimeoutExpired:
        raise SmokeFailure(f"make run still running {args.stop_timeout}s after SIGINT") from None
    took = time.monotonic() - stopping
    left: list[str] = []
    for _ in range(20):  # daemons notice their parent's exit asynchronously: allow a moment
        left = seen.alive() + [f"{p.pid} {' '.join(p.cmdline())[:160]}" for p in marked(token)]
        if not left:
            break
        time.sleep(0.5)
    if left:
        raise SmokeFailure("left running after SIGINT:\n  " + "\n  ".join(sorted(set(left))))
    open_ports = [p for p in (port, redis_port) if p and listening(p)]
    if open_ports:
        raise SmokeFailure(f"still listening after SIGINT: {open_ports}")
    log_text = log_path.read_text(errors="replace")
    if "Traceback" in log_text.split("received: stopping", 1)[-1]:
        raise SmokeFailure("a traceback was printed while stopping")
    say(
        f"{mode}: SIGINT: make exited ({make.returncode}) in {took:.1f}s; none of the "
        f"{len(seen.procs)} processes it ran is left; ports "
        f"{', '.join(str(p) for p in (port, redis_port) if p)} closed"
    )


def _role_of(cmdline: str) -> str | None:
    for role, words in (ROLES | EMBEDDED_ROLES).items():
        if all(word in cmdline for word in words):
            return role
    return None


def _stop_leftovers(make: subprocess.Popen[bytes], seen: Seen, token: str) -> None:
    """After a failure, stop what this run started (by pid) so the machine is left clean."""
    if make.poll() is None:
        os.killpg(make.pid, signal.SIGINT)
        try:
            make.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
    procs = []
    for (pid, started), _ in seen.procs.items():
        try:
            proc = psutil.Process(pid)
            if proc.create_time() == started:
                procs.append(proc)
        except psutil.NoSuchProcess:
            continue
    procs += marked(token)
    for proc in procs:
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(procs, timeout=15)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            continue


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "external", "both"], default="both")
    parser.add_argument("--port", type=int, default=0, help="web port (default: a free one)")
    parser.add_argument("--hold", type=float, default=15, help="seconds to keep it running")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to become ready")
    parser.add_argument("--stop-timeout", type=float, default=60)
    parser.add_argument(
        "--database-url", default=os.environ.get("SMOKE_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("SMOKE_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument(
        "--fresh", action="store_true", help="external: drop the database, empty the Redis DB"
    )
    args = parser.parse_args()
    # Stopped from outside (Ctrl-C, or SIGTERM from a CI timeout): stop what was started first.
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    modes = ["embedded", "external"] if args.mode == "both" else [args.mode]
    failed = []
    for mode in modes:
        began = time.monotonic()
        try:
            run_mode(mode, args)
            say(f"{mode}: passed in {time.monotonic() - began:.1f}s")
        except SmokeFailure as exc:
            say(f"{mode}: FAILED: {exc}")
            failed.append(mode)
        except KeyboardInterrupt as exc:
            say(f"{mode}: interrupted ({exc}); what it started is stopped")
            return 130
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
