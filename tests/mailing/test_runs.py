"""The registry of live dispatcher runs in Redis: helpers up to the tenant's limit, dead runs
found once (the watchdog that restarts them is exercised with real workers in
test_exactly_once.py)."""

from __future__ import annotations

import time
import uuid

import pytest

from mailing import runs


@pytest.fixture
def schema(monkeypatch) -> str:
    # A registry of its own: the watchdogs of worker processes elsewhere never see these runs.
    monkeypatch.setattr(runs, "ALL_RUNS", f"mailing:dispatch:runs:test:{uuid.uuid4().hex}")
    return f"runs_test_{uuid.uuid4().hex[:8]}"


def test_helpers_are_started_up_to_the_limit_counting_runs_and_reservations(schema, settings):
    settings.MAILING_DISPATCHERS_PER_TENANT = 3
    started: list[str] = []
    with runs.DispatchRun(schema) as run:
        assert run.start_helpers(started.append) == 2  # this run + 2 helpers
        assert run.start_helpers(started.append) == 0  # the helpers are reserved already
        with runs.DispatchRun(schema, started[0]):  # a helper starts under its reservation
            assert run.start_helpers(started.append) == 0
    assert len(set(started)) == 2


def test_a_run_that_stops_beating_is_reported_once(schema, settings):
    settings.MAILING_LEASE_SECONDS = 0.2
    dead = runs.DispatchRun(schema)
    dead.beat()  # and then its worker dies: no exit, no more beats
    settings.MAILING_LEASE_SECONDS = 30
    with runs.DispatchRun(schema):  # alive, beating
        time.sleep(0.3)
        assert runs.dead_runs() == [schema]
        assert runs.dead_runs() == []
