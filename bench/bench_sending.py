"""End to end: a campaign to 10,000 people sent by Celery worker processes through an ESP that
answers in 20 ms.

Measures, in a throwaway database (created and dropped here, never the real one), the real
path from "Send now" to the last message accepted by the ESP: `campaign_schedule` enqueues
`campaign_send_task`; a worker renders and writes the 10,000 emails to the outbox in one
transaction; on commit the dispatcher starts, claims, asks the real consent gate, calls the
ESP (anymail's Postmark backend over HTTP to bench/fake_esp.py in its own process, every send
call answered after 20 ms) and records. Worker processes are real `celery worker` processes
(one process each, prefork) on the real broker (REDIS_URL, a queue of this run's own).

Runs: batched (Postmark's batchWithTemplates, 500 per call) and one call per message, each by
2 workers and by 1 worker. Figures: seconds from "Send now" to all sent, and from the outbox
commit to all sent ("dispatch"); 2 workers vs 1. Exactly once is checked at the ESP: as many
messages accepted as distinct messages, one per person per campaign.

Usage: .venv/bin/python bench/bench_sending.py [--quick] [--keep]
Sizes: BENCH_SENDING_N (default 10000; --quick 2000), BENCH_SENDING_ESP_MS (default 20).
Targets (10k): batched < 60 s and one call per message < 120 s with 2 workers; 2 workers
>= 1.7x one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import drop_database, setup_django  # noqa: E402 (needs ROOT)

BENCH_DB = os.environ.get("BENCH_SENDING_DB", "bench_sending")
SCHEMA = "benchsend"
ADMIN = "hr@benchsend.example"
QUEUE = f"bench-sending-{os.getpid()}"


def people(count: int) -> None:
    """`count` data analysts, each with an active consent for event invitations (no chosen
    frequency: each run is another campaign to the same people)."""
    from django.utils import timezone

    from candidates.models import Candidate
    from consent.models import CandidateConsent, ConsentEvent, ConsentPolicy, ConsentProfile
    from consent.selectors import policy_get

    made = Candidate.objects.bulk_create(
        Candidate(
            first_name=f"Ada{i}",
            last_name="L",
            email=f"p{i}@bench.example",
            profession="Data analyst",
        )
        for i in range(count)
    )
    now = timezone.now()
    ConsentProfile.objects.bulk_create(
        ConsentProfile(candidate=c, expires_at=now + timedelta(days=700)) for c in made
    )
    events = ConsentEvent.objects.bulk_create(
        ConsentEvent(candidate=c, purpose="events", action="granted", source="optin_link", at=now)
        for c in made
    )
    CandidateConsent.objects.bulk_create(
        CandidateConsent(candidate=c, purpose="events", granted=True, frequency="", last_event=e)
        for c, e in zip(made, events, strict=True)
    )
    # Four campaigns to the same people in one run: the weekly cap must not be what stops them.
    ConsentPolicy.objects.filter(pk=policy_get().pk).update(weekly_cap=50)


class Worker:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.log = log_dir / f"{name}.log"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                QUEUE,
                "-c",
                "1",
                "--pool",
                "prefork",
                "-l",
                "INFO",
                "-n",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while "ready." not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


def run(label: str, workers: int, batched: bool, esp_url: str, size: int) -> tuple[float, float]:
    """Start `workers` worker processes, send one campaign, stop them; (seconds from "Send
    now" to all sent, seconds from the outbox commit to all sent)."""
    import tempfile

    from accounts.models import User
    from campaigns.models import ContentItem
    from campaigns.services import campaign_create, campaign_schedule
    from mailing.models import Message, MessageStatus
    from pools.models import Pool

    env = os.environ | {
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "POSTMARK_SERVER_TOKEN": "bench-token",
        "POSTMARK_API_URL": esp_url,
        "MAILING_RATE_PER_TENANT": "0",
        "MAILING_RATE_GLOBAL": "0",
        "MAILING_BATCH_TEMPLATE": "talentcrm-passthrough" if batched else "",
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "LOG_LEVEL": "INFO",
    }
    log_dir = Path(tempfile.mkdtemp(prefix="bench-sending-"))
    started = [Worker(f"{label}{n}", env, log_dir) for n in range(workers)]
    try:
        for worker in started:
            worker.wait_ready()
        admin = User.objects.get(email=ADMIN)
        campaign = campaign_create(
            name=label,
            subject="{{ first_name }}, join us",
            item=ContentItem.objects.get(title="Data meetup"),
            pool=Pool.objects.get(name="Data analysts"),
            actor=admin,
        )
        ours = Message.objects.filter(send_key__startswith=f"campaign:{campaign.pk}:")
        clicked = time.perf_counter()
        campaign_schedule(campaign=campaign, at=None, actor=admin)
        committed = None
        while True:
            if committed is None and ours.exists():
                committed = time.perf_counter()
            if committed is not None and ours.filter(status=MessageStatus.SENT).count() == size:
                break
            if time.perf_counter() - clicked > 900:
                raise RuntimeError(f"{label}: not all sent after 15 minutes ({log_dir})")
            time.sleep(0.1)
        finished = time.perf_counter()
    finally:
        for worker in started:
            worker.stop()
    return finished - clicked, finished - committed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 people instead of 10,000")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()
    size = int(os.environ.get("BENCH_SENDING_N", 2000 if args.quick else 10000))
    latency = float(os.environ.get("BENCH_SENDING_ESP_MS", 20)) / 1000

    setup_django(
        BENCH_DB,
        tenant={
            "name": "Bench Sending",
            "domain": "benchsend.localhost",
            "admin_email": ADMIN,
            "schema_name": SCHEMA,
            "sender_email": "jobs@benchsend.example",
            "postal_address": "1 Bench Street\n75001 Paris",
            "privacy_policy_url": "https://benchsend.example/privacy",
        },
        env={"CELERY_TASK_DEFAULT_QUEUE": QUEUE},
    )
    from bench.fake_esp import EspProcess

    esp = EspProcess(delay=latency).start()
    try:
        from django.utils import timezone

        from accounts.models import User
        from campaigns.models import ContentItem
        from pools.models import PoolKind
        from pools.services import pool_save
        from tenants.context import activate_tenant
        from tenants.models import Tenant

        activate_tenant(Tenant.objects.get(schema_name=SCHEMA))
        people(size)
        ContentItem.objects.create(
            topic="events",
            title="Data meetup",
            publish_at=timezone.now() - timedelta(days=1),
            event_starts_at=timezone.now() + timedelta(days=20),
            event_place="Lyon",
        )
        pool_save(
            actor=User.objects.get(email=ADMIN),
            name="Data analysts",
            kind=PoolKind.SMART,
            criteria={"profession": "Data analyst"},
        )
        results = {
            (batched, workers): run(
                f"{'b' if batched else 's'}{workers}w", workers, batched, esp.url, size
            )
            for batched in (True, False)
            for workers in (2, 1)
        }
        stats = esp.stats()
    finally:
        esp.stop()
        if not args.keep:
            drop_database(BENCH_DB)

    assert stats["accepted"] == stats["distinct"] == 4 * size, stats  # exactly once
    load = os.getloadavg()
    print(f"\n{size:,} people, ESP answering each send call in {latency * 1000:.0f} ms")
    print(f"{'figure':<44} {'2 workers':>10} {'1 worker':>10} {'ratio':>7}")
    for batched in (True, False):
        mode = "batched" if batched else "1 call/msg"
        two, one = results[(batched, 2)], results[(batched, 1)]
        print(
            f"{'Send now -> all sent, ' + mode + ' (s)':<44} {two[0]:10.1f} {one[0]:10.1f} "
            f"{one[0] / two[0]:7.2f}"
        )
        print(
            f"{'outbox commit -> all sent, ' + mode + ' (s)':<44} {two[1]:10.1f} {one[1]:10.1f} "
            f"{one[1] / two[1]:7.2f}"
        )
    print(
        f"ESP: {stats['accepted']:,} messages accepted in {stats['calls']:,} calls, "
        f"each exactly once. Load average during the run: {load[0]:.1f} {load[1]:.1f}."
    )
    b2, s2 = results[(True, 2)][0], results[(False, 2)][0]
    ratio = results[(False, 1)][1] / results[(False, 2)][1]
    print(
        f"Targets (10k): batched < 60 s ({b2:.0f} s: {'met' if b2 < 60 else 'NOT met'}), "
        f"1 call/msg < 120 s ({s2:.0f} s: {'met' if s2 < 120 else 'NOT met'}), "
        f"2 workers >= 1.7x one on dispatch, 1 call/msg ({ratio:.2f}x: "
        f"{'met' if ratio >= 1.7 else 'NOT met'})."
    )


if __name__ == "__main__":
    main()
