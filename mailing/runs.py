"""Which dispatcher runs are alive, in Redis, shared by every worker process on every machine.

A run (one `outbox_dispatch` call) registers itself and beats while it works (the same beat
that renews its leases in the database, see `mailing.dispatch`). The registry answers two
questions:

- **How many claimers does this tenant have?** A run whose claims come back full (a large
  backlog) starts helpers until the tenant has MAILING_DISPATCHERS_PER_TENANT runs, so every
  free worker process joins within seconds instead of at the next sweep. A helper is counted
  from the moment it is enqueued (a reservation under its future run id), so two runs never
  over-start helpers between them.
- **Did a run die?** Every worker process runs a watchdog thread (`watchdog_start`, from the
  `worker_ready` signal) that looks, twice a second, for runs whose beat stopped. The first
  watchdog to remove a dead run from the registry starts a dispatcher for its tenant, which puts
  the dead run's messages back in the queue as soon as their leases lapse (they are flagged, so
  the ESP is asked before any is sent again) and sends them with the rest.

Redis is an accelerator here, never the source of truth: the leases are in the database, and
if Redis is unreachable or was emptied, dispatch goes on and the minute's sweep recovers.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from functools import cache

import redis
from django.conf import settings

log = logging.getLogger(__name__)

ALL_RUNS = "mailing:dispatch:runs"  # "<schema> <run id>" -> beat expiry (epoch seconds)
# A helper that no worker picked up within this long no longer counts for its tenant.
RESERVATION_SECONDS = 30


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)


def _tenant_key(schema: str) -> str:
    return f"mailing:dispatch:runs:{schema}"


class DispatchRun:
    """One dispatcher run's entry in the registry (a context manager)."""

    def __init__(self, schema: str, run_id: str = "") -> None:
        self.schema = schema
        self.id = run_id or uuid.uuid4().hex
        self.lease = float(settings.MAILING_LEASE_SECONDS)

    def __enter__(self) -> DispatchRun:
        self.beat()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            pipe = _client().pipeline()
            pipe.zrem(ALL_RUNS, f"{self.schema} {self.id}")
            pipe.zrem(_tenant_key(self.schema), self.id)
            pipe.execute()
        except redis.RedisError:
            log.warning("could not unregister dispatcher run %s", self.id)

    def beat(self) -> None:
        expires = time.time() + self.lease
        try:
            pipe = _client().pipeline()
            pipe.zadd(ALL_RUNS, {f"{self.schema} {self.id}": expires})
            pipe.zadd(_tenant_key(self.schema), {self.id: expires})
            pipe.expire(_tenant_key(self.schema), RESERVATION_SECONDS * 2)
            pipe.execute()
        except redis.RedisError:
            log.warning("dispatcher registry unavailable; recovery falls back to the sweep")

    def start_helpers(self, start: Callable[[str], object]) -> int:
        """Start helper runs (`start(run_id)` enqueues one) up to the tenant's limit."""
        limit = settings.MAILING_DISPATCHERS_PER_TENANT
        key = _tenant_key(self.schema)
        try:
            client = _client()
            client.zremrangebyscore(key, "-inf", time.time())
            wanted = limit - client.zcard(key)
            if wanted <= 0:
                return 0
            ids = [uuid.uuid4().hex for _ in range(wanted)]
            client.zadd(key, dict.fromkeys(ids, time.time() + RESERVATION_SECONDS))
        except redis.RedisError:
            return 0
        started = 0
        for run_id in ids:
            try:
                start(run_id)
            except Exception:  # broker unreachable: this run goes on alone
                log.warning("could not start a helper dispatcher", exc_info=True)
                break
            started += 1
        return started


def dead_runs() -> list[str]:
    """Schemas of runs whose beat stopped; each dead run is returned to one caller only."""
    client = _client()
    found = []
    for member in client.zrangebyscore(ALL_RUNS, "-inf", time.time()):
        assert isinstance(member, bytes)  # the client does not decode responses
        if client.zrem(ALL_RUNS, member):
            found.append(member.decode().split(" ", 1)[0])
    return found


def _watch(stop: threading.Event, restart: Callable[[str], object]) -> None:
    while not stop.wait(0.5):
        try:
            for schema in dead_runs():
                log.warning("a dispatcher in %s stopped beating; starting another", schema)
                restart(schema)
        except Exception:  # the watchdog outlives a broker or Redis hiccup
            log.exception("dispatcher watchdog")


def watchdog_start(restart: Callable[[str], object]) -> threading.Event:
    """Watch the registry from this (worker) process; set the returned event to stop."""
    stop = threading.Event()
    threading.Thread(
        target=_watch, args=(stop, restart), name="mailing-watchdog", daemon=True
    ).start()
    return stop
