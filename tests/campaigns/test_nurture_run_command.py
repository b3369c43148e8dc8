"""`manage.py nurture_run`: the beat task's nurture run for one tenant, by hand."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import redis
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from campaigns.models import Delivery, DeliveryStatus
from campaigns.planner import nurture_plan
from campaigns.tasks import nurture_tenant_task
from config.celery import app as celery_app
from mailing.models import Message
from tests.campaigns.helpers import content_item, make_candidate, open_position, paris

JOBS = "job_offers"
EVENTS = "events"
NEWS = "company_news"
MONDAY_10 = paris(2026, 2, 2, 10, 0)


def _world() -> None:
    """Candidates that get a digest, and one held back by each rule."""
    people = {
        "jobs": make_candidate("jobs@example.com", skills=["SQL"], topics={JOBS: "weekly"}),
        "news": make_candidate("news@example.com", topics={NEWS: "monthly"}),
        "young": make_candidate(
            "young@example.com",
            skills=["SQL"],
            topics={JOBS: "weekly", EVENTS: "monthly"},
            tags=["young-talent"],
        ),
        "silent": make_candidate("silent@example.com", skills=["SQL"]),
        "recent": make_candidate("recent@example.com", skills=["SQL"], topics={JOBS: "weekly"}),
    }
    open_position("SQL analyst", skills=["SQL"])
    content_item(EVENTS, "Graduate day", event_starts_at=paris(2026, 3, 1, 18, 0))
    content_item(NEWS, "We moved", publish_at=paris(2026, 1, 30, 9, 0))
    # `recent` heard from us yesterday: the 3-day cap holds them back today.
    Delivery.objects.create(
        candidate=people["recent"],
        topic=JOBS,
        period="w2026-05",
        sent_at=MONDAY_10 - dt.timedelta(days=1),
    )


def _outbox() -> tuple[set[tuple], set[tuple]]:
    # Links carry each person's link key, made at random the first time: compare without them.
    messages = {
        (m.send_key, m.kind, m.to_email, m.subject, re.sub(r"https://\S+", "<link>", m.text))
        for m in Message.objects.filter(send_key__startswith="nurture:")
    }
    deliveries = {
        (d.candidate_id, d.topic, d.period, d.status, tuple(d.position_ids), tuple(d.item_ids))
        for d in Delivery.objects.exclude(period="w2026-05")
    }
    return messages, deliveries


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("nurture_run", *args, stdout=out)
    return out.getvalue()


def _row(output: str, label: str) -> list[str]:
    """The cells of one topic's line: window, digests, consent, window, cap."""
    line = next(line for line in output.splitlines() if line.strip().startswith(label))
    return re.split(r"\s{2,}", line.strip())[1:]


@pytest.fixture
def eager_celery():  # type: ignore[no-untyped-def]
    """The beat task's batches run in this process, so both runs share the frozen clock (a
    worker process cannot be time-travelled; tests/campaigns/test_worker.py covers the real
    worker path)."""
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=True)
    try:
        yield
    finally:
        celery_app.conf.update(task_always_eager=False, task_eager_propagates=False)


def test_a_real_run_queues_exactly_what_the_beat_task_queues_at_that_time(
    tenant_a, eager_celery, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY_10, tick=False):
        _world()
        before = transaction.savepoint()
        with django_capture_on_commit_callbacks() as after_commit:
            nurture_tenant_task.apply()
        # What the commit of the beat task's plan starts: its render-and-queue batches (and not
        # the outbox dispatcher those enqueue in turn: the command's is not run either).
        for callback in after_commit:
            callback()
        beat = _outbox()
        transaction.savepoint_rollback(before)
        assert _outbox() == (set(), set())

        # Naive --at: the tenant's wall clock (Europe/Paris), the same instant as the beat's.
        output = _run("--tenant", "alpha", "--at", "2026-02-02T10:00")
        command = _outbox()

    assert command == beat
    messages, deliveries = command
    assert sorted(kind for _, kind, *_ in messages) == sorted([JOBS, EVENTS, NEWS])
    assert len(deliveries) == 3
    assert {status for _, _, _, status, _, _ in deliveries} == {DeliveryStatus.QUEUED}
    assert "3 digest(s) queued in the outbox" in output


def test_the_output_counts_digests_and_who_was_held_back_by_consent_window_and_cap(tenant_a):
    with time_machine.travel(MONDAY_10, tick=False):
        _world()
        output = _run("--tenant", "alpha", "--dry-run")
    # window, digests, held back by consent, window, cap
    assert _row(output, "Job offers") == ["open", "1", "2", "0", "2"]
    assert _row(output, "Event invitations") == ["open", "1", "4", "0", "0"]
    assert _row(output, "Company and sector news") == ["open", "1", "4", "0", "0"]
    assert "3 digest(s) would be queued." in output
    # `recent` is capped by yesterday's email; `young` got the event first (priority tag) and
    # the cap of one topic per run held their jobs digest back.


def test_a_closed_send_window_holds_everyone_back_and_at_is_read_in_the_tenants_zone(tenant_a):
    with time_machine.travel(MONDAY_10, tick=False):
        _world()
        # Naive: 16:30 in Paris, inside the 9-17 window.
        local = _run("--tenant", "alpha", "--at", "2026-02-02T16:30", "--dry-run")
        # 16:30 UTC is 17:30 in Paris: closed.
        utc = _run("--tenant", "alpha", "--at", "2026-02-02T16:30Z", "--dry-run")
    assert _row(local, "Job offers")[:2] == ["open", "1"]
    assert "Mon 2026-02-02 16:30" in local and "Europe/Paris" in local
    assert _row(utc, "Job offers") == ["closed", "0", "2", "3", "0"]
    assert _row(utc, "Event invitations") == ["closed", "0", "4", "1", "0"]
    assert "Mon 2026-02-02 17:30" in utc
    assert "0 digest(s) would be queued." in utc


def test_held_back_counts_leave_the_plan_unchanged(tenant_a):
    with time_machine.travel(MONDAY_10, tick=False):
        _world()
        with transaction.atomic():
            plain = nurture_plan()
            transaction.set_rollback(True)
        counted = nurture_plan(count_held_back=True)
    assert plain.held_back == {}
    assert (counted.planned, counted.by_topic) == (plain.planned, plain.by_topic)
    assert counted.held_back[JOBS].cap == 2 and counted.held_back[JOBS].consent == 2


def test_a_dry_run_writes_nothing_and_enqueues_nothing(committed_tenant):
    committed_tenant.activate()
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with time_machine.travel(MONDAY_10, tick=False):
        _world()
        delivery_ids = set(Delivery.objects.values_list("pk", flat=True))
        queued_before = broker.llen(queue)
        output = _run("--tenant", committed_tenant.tenant.schema_name, "--dry-run")
        connection.set_tenant(committed_tenant.tenant)
        assert "3 digest(s) would be queued." in output
        assert set(Delivery.objects.values_list("pk", flat=True)) == delivery_ids
        assert not Message.objects.exists()
        assert broker.llen(queue) == queued_before

        # The same run for real writes and enqueues (the outbox dispatcher, after commit).
        output = _run("--tenant", committed_tenant.tenant.schema_name)
        connection.set_tenant(committed_tenant.tenant)
    assert Message.objects.filter(send_key__startswith="nurture:").count() == 3
    assert broker.llen(queue) > queued_before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nowhere"], "No tenant with schema 'nowhere'. Tenants: "),
        (["--tenant", "public"], "public is the shared schema"),
        (["--tenant", "alpha", "--at", "next monday"], "is not an ISO 8601 time"),
        (["--tenant", "alpha", "--at", "2026-02-30T10:00"], "is not an ISO 8601 time"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(tenant_a, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        _run(*args)
    assert not Delivery.objects.exists()
    assert not Message.objects.exists()
