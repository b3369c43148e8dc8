"""A real Celery worker process for tests, against the test database and the real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


class WorkerProcess:
    def __init__(self, log_path: Path, queue: str | None = None) -> None:
        self.queue = queue or settings.CELERY_TASK_DEFAULT_QUEUE
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, concurrency: int = 1) -> None:
        # Same server as the test run, but the test database.
        test_db = connection.settings_dict["NAME"]
        base, _, query = settings.DATABASE_URL.partition("?")
        url = base.rsplit("/", 1)[0] + f"/{test_db}" + (f"?{query}" if query else "")
        env = os.environ | {
            "DATABASE_URL": url,
            "TESTING": "1",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
        }
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                self.queue,
                "-c",
                str(concurrency),
                "--pool",
                "prefork",
                "-l",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_for_log("ready", timeout=60)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, needle: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log():
                return
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"{needle!r} not in worker log:\n{self.log()[-3000:]}")

    def kill(self, sig: int = 9) -> None:
        if self.proc and self.proc.poll() is None:
            # The whole process group: prefork children die with the main process, as in a
            # container being killed.
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()


def wait_until(predicate, timeout: float = 30, interval: float = 0.1) -> bool:  # type: ignore[no-untyped-def]
    """Poll for an effect of background work (not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
