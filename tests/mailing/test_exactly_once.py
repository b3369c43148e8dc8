"""Exactly-once with a real Celery worker process, real Redis and PostgreSQL: the worker is
killed with SIGKILL mid-batch, or the broker's Redis is restarted mid-run, and every message still
reaches the ESP exactly once (the fake ESP counts what it accepted per message)."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mailing.dispatch import outbox_sweep
from mailing.esp import mailing_key
from mailing.kinds import MessageKind
from mailing.models import Message, MessageStatus
from mailing.services import message_enqueue
from mailing.tasks import outbox_sweep_task
from tests.worker import WorkerProcess, wait_until

pytestmark = pytest.mark.worker


@pytest.fixture
def worker_env(monkeypatch, fake_esp) -> None:
    """The worker process uses the real anymail Postmark backend against the fake ESP."""
    for name, value in {
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "POSTMARK_SERVER_TOKEN": "test-server-token",
        "POSTMARK_API_URL": fake_esp.url,
        "MAILING_RATE_PER_TENANT": "0",
        "MAILING_RATE_GLOBAL": "0",
    }.items():
        monkeypatch.setenv(name, value)


def _enqueue_many(start: int, count: int) -> list[Message]:
    with transaction.atomic():
        return [
            message_enqueue(
                send_key=f"once:{n}",
                kind=MessageKind.TRANSACTIONAL,
                to_email=f"person{n}@example.com",
                subject=f"Hello {n}",
                html=f"<p>Hello {n}</p>",
                text=f"Hello {n}",
            )
            for n in range(start, start + count)
        ]


def _all_sent(messages: list[Message]) -> bool:
    ids = [m.pk for m in messages]
    return Message.objects.filter(pk__in=ids, status=MessageStatus.SENT).count() == len(ids)


def _assert_exactly_once(fake_esp, messages: list[Message]) -> None:
    counts = fake_esp.counts()
    assert {mailing_key(m): counts[mailing_key(m)] for m in messages} == {
        mailing_key(m): 1 for m in messages
    }
    assert sum(counts.values()) == len(messages)


def test_worker_killed_mid_batch_sends_each_message_once(
    committed_tenant, fake_esp, worker_env, tmp_path
):
    fake_esp.delay = 0.2  # each ESP call takes a while: the kill lands mid-batch
    worker = WorkerProcess(tmp_path / "worker.log")
    worker.start()
    try:
        committed_tenant.activate()
        messages = _enqueue_many(0, 20)
        assert wait_until(lambda: len(fake_esp.accepted) >= 4, timeout=60), worker.log()[-3000:]
        # The next ESP call is accepted but never answered in time, and the worker dies during
        # it: the ESP has a message the outbox does not know was sent.
        fake_esp.hang_next = 1
        assert wait_until(lambda: len(fake_esp.accepted) >= 5, timeout=60), worker.log()[-3000:]
        worker.kill(9)
        stuck = list(Message.objects.filter(status=MessageStatus.SENDING))
        assert stuck  # the dead worker held claimed messages
        accepted_keys = set(fake_esp.counts())
        assert any(mailing_key(m) in accepted_keys for m in stuck)  # the ambiguous case

        # A new worker; the sweeper finds the dead worker's expired leases (we move the clock
        # past the lease instead of waiting 5 minutes).
        worker = WorkerProcess(tmp_path / "worker2.log")
        worker.start()
        committed_tenant.activate()
        outbox_sweep(now=timezone.now() + timedelta(seconds=settings.MAILING_LEASE_SECONDS + 1))
        outbox_sweep_task.delay()
        assert wait_until(lambda: _all_sent(messages), timeout=90), worker.log()[-3000:]
    finally:
        worker.stop()
    _assert_exactly_once(fake_esp, messages)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A private redis-server for the broker, so restarting it touches nobody else."""

    def __init__(self, port: int, log) -> None:
        self.port, self.log, self.proc = port, log, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        assert wait_until(self._ping, timeout=10)

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def own_broker(monkeypatch, tmp_path) -> Iterator[OwnRedis]:
    from config.celery import app

    redis = OwnRedis(_free_port(), (tmp_path / "redis.log").open("ab"))
    redis.start()
    url = f"redis://127.0.0.1:{redis.port}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    # Point this process's Celery app at the private broker; the shared connection pools are
    # set aside untouched and put back afterwards.
    saved = (app.conf.broker_url, app._pool, app.amqp._producer_pool)
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield redis
    finally:
        redis.kill()
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app._pool, app.amqp._producer_pool = saved


def test_redis_restarted_mid_run_sends_each_message_once(
    committed_tenant, fake_esp, worker_env, own_broker, tmp_path
):
    fake_esp.delay = 0.1
    worker = WorkerProcess(tmp_path / "worker.log")
    worker.start()
    try:
        committed_tenant.activate()
        first = _enqueue_many(0, 15)
        assert wait_until(lambda: len(fake_esp.accepted) >= 3, timeout=60), worker.log()[-3000:]
        own_broker.kill()  # queued tasks are gone with it (no persistence)

        # Business actions go on while the broker is down: the rows commit, the dispatch kick
        # is lost, nothing fails for the caller.
        second = _enqueue_many(100, 10)
        assert Message.objects.filter(pk__in=[m.pk for m in second]).count() == 10

        own_broker.start()  # an empty Redis
        assert wait_until(lambda: _all_sent(first), timeout=60), worker.log()[-3000:]
        # Beat's sweeper (run here by hand) re-enqueues what was left queued.
        outbox_sweep_task.delay()
        assert wait_until(lambda: _all_sent(second), timeout=90), worker.log()[-3000:]
    finally:
        worker.stop()
    _assert_exactly_once(fake_esp, first + second)


def test_worker_running_the_dispatch_killed_another_sends_the_rest_within_seconds(
    committed_tenant, fake_esp, worker_env, monkeypatch, tmp_path
):
    """No sweep, no beat, no helper: the surviving worker's watchdog sees the dead dispatcher
    stop beating and a new dispatcher takes its messages over as soon as their short leases
    lapse, the one accepted by the ESP during the kill included (asked, not re-sent)."""
    monkeypatch.setenv("MAILING_DISPATCHERS_PER_TENANT", "1")
    fake_esp.delay = 1.0  # slow enough that the first worker is still sending when the second is up
    running = WorkerProcess(tmp_path / "a.log")
    running.start()
    survivor = WorkerProcess(tmp_path / "b.log")
    try:
        committed_tenant.activate()
        messages = _enqueue_many(0, 120)
        assert wait_until(lambda: len(fake_esp.accepted) >= 8, timeout=60)
        survivor.start()
        assert not _all_sent(messages)
        fake_esp.hang_next = 1  # the call in flight when the worker dies is accepted
        accepted = len(fake_esp.accepted)
        assert wait_until(lambda: len(fake_esp.accepted) > accepted, timeout=60)
        running.kill(9)
        killed_at = time.monotonic()
        fake_esp.delay = 0.05

        assert wait_until(lambda: _all_sent(messages), timeout=10), survivor.log()[-3000:]
        took = time.monotonic() - killed_at
    finally:
        running.stop()
        survivor.stop()
    _assert_exactly_once(fake_esp, messages)
    assert "stopped beating" in survivor.log()
    assert "outbox_dispatch_task" in running.log()
    print(f"the rest was sent {took:.1f} s after the kill")


def _sent_by(worker: WorkerProcess) -> int:
    return sum(
        int(n)
        for n in re.findall(r"outbox_dispatch_task\[.*?\] succeeded.*?'sent': (\d+)", worker.log())
    )


def test_a_large_backlog_is_sent_by_every_worker(
    committed_tenant, fake_esp, worker_env, monkeypatch, tmp_path
):
    monkeypatch.setenv("MAILING_CLAIM_SIZE", "20")
    fake_esp.delay = 0.05
    first, second = WorkerProcess(tmp_path / "a.log"), WorkerProcess(tmp_path / "b.log")
    first.start()
    second.start()
    try:
        committed_tenant.activate()
        messages = _enqueue_many(0, 400)
        assert wait_until(lambda: _all_sent(messages), timeout=120)
        assert wait_until(lambda: _sent_by(first) + _sent_by(second) == 400, timeout=30)
    finally:
        first.stop()
        second.stop()
    _assert_exactly_once(fake_esp, messages)
    assert _sent_by(first) > 0 and _sent_by(second) > 0
