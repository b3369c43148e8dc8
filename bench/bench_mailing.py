"""Mailing: personalised messages rendered and handed to the ESP, batched vs one call each.

Measures, in a throwaway database (created and dropped here, never the real one), with the real
anymail Postmark backend posting over HTTP to a local fake Postmark (the ESP is intercepted at
the transport, nothing else is faked):
- render time per personalised message (`render_email`: Markdown, sanitising, branded layout,
  CSS inlining, escaping), p50 and p95;
- N nurture messages rendered, written to the outbox and dispatched (claim, gate, ESP call,
  record, timeline) with `merge_data` batch sends (Postmark's limit, 500 per call) and the
  outbox written with `message_enqueue_many` — the figure — beside the baseline of the same N
  messages written one by one (`message_enqueue`) and sent with one API call each.

Usage: .venv/bin/python bench/bench_mailing.py [--quick] [--keep]
Sizes: BENCH_MAILING_N (default 10000; --quick 1000). Targets: >= 500 messages/s per worker
process batched; render p95 < 5 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import drop_database, percentile, setup_django  # noqa: E402 (needs ROOT)

BENCH_DB = os.environ.get("BENCH_MAILING_DB", "bench_mailing")
SCHEMA = "benchmail"
BODY = """Hello {{ first_name }},

A new role matches your profile: **{{ position_title }}** in {{ city }}.

- Team of 8, hybrid
- Start in spring

[See the role]({{ position_url }})

See you soon,
The {{ company_name }} team
"""
TAGS = ("first_name", "position_title", "city", "position_url", "company_name")


def candidates(count: int, label: str) -> list:
    from candidates.models import Candidate

    Candidate.objects.bulk_create(
        Candidate(
            first_name=f"Ada<{i}>", last_name="L", email=f"{label}{i}@bench.example", city="Lyon"
        )
        for i in range(count)
    )
    return list(Candidate.objects.filter(email__startswith=label).order_by("id"))


def render_one(candidate):  # type: ignore[no-untyped-def]
    from mailing.rendering import render_email

    return render_email(
        subject_source="{{ first_name }}, a role for you",
        body_source=BODY,
        context={
            "first_name": candidate.first_name,
            "position_title": "Data Analyst",
            "city": candidate.city,
            "position_url": f"https://benchmail.localhost/jobs/{candidate.pk}",
            "company_name": "Bench Mailing",
        },
        allowed_tags=TAGS,
        unsubscribe_url=f"https://benchmail.localhost/c/u/{candidate.pk}",
        preferences_url=f"https://benchmail.localhost/c/p/{candidate.pk}",
    )


def bench_render(people: list) -> tuple[float, list[float]]:
    """(cold render ms: first message of a new body, building its skeleton; warm timings)."""
    from mailing.rendering import _skeleton

    render_one(people[0])  # imports, template loading
    _skeleton.cache_clear()
    started = time.perf_counter()
    render_one(people[0])
    cold = (time.perf_counter() - started) * 1000
    timings = []
    for candidate in people:
        started = time.perf_counter()
        render_one(candidate)
        timings.append((time.perf_counter() - started) * 1000)
    return cold, timings


def db_round_trip_ms() -> float:
    """Median `SELECT 1` round trip: how loaded the database server is during this run."""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for _ in range(200):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 0.5)


def pipeline(
    people: list, label: str, link: bool = True, bulk: bool = True
) -> tuple[float, float, int]:
    """Render + write to the outbox (`message_enqueue_many`, or `message_enqueue` one by one
    with bulk=False), then dispatch every message (claim, gate, ESP call, record, timeline);
    (seconds writing, seconds dispatching, ESP calls)."""
    from django.db import transaction

    from mailing.dispatch import outbox_dispatch
    from mailing.kinds import MessageKind
    from mailing.models import Message, MessageStatus
    from mailing.services import OutgoingEmail, message_enqueue, message_enqueue_many

    started = time.perf_counter()
    with transaction.atomic():
        emails = []
        for candidate in people:
            rendered = render_one(candidate)
            emails.append(
                OutgoingEmail(
                    send_key=f"bench:{label}:{candidate.pk}",
                    kind=MessageKind.JOB_OFFERS,
                    to_email=candidate.email,
                    subject=rendered.subject,
                    html=rendered.html,
                    text=rendered.text,
                    candidate=candidate if link else None,
                    unsubscribe_url=f"https://benchmail.localhost/c/u/{candidate.pk}",
                )
            )
        if bulk:
            message_enqueue_many(emails=emails)
        else:
            for email in emails:
                message_enqueue(**{f: getattr(email, f) for f in email.__dataclass_fields__})
    written = time.perf_counter()
    calls = 0
    while True:
        result = outbox_dispatch(budget_seconds=3600)
        calls += result.esp_calls
        if not result.esp_calls:
            break
    finished = time.perf_counter()
    sent = Message.objects.filter(
        send_key__startswith=f"bench:{label}:", status=MessageStatus.SENT
    ).count()
    assert sent == len(people), (sent, len(people))
    return written - started, finished - written, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 messages instead of 10,000")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()
    size = int(os.environ.get("BENCH_MAILING_N", 1000 if args.quick else 10000))

    setup_django(
        BENCH_DB,
        tenant={
            "name": "Bench Mailing",
            "domain": "benchmail.localhost",
            "admin_email": "hr@benchmail.example",
            "schema_name": SCHEMA,
            "sender_email": "jobs@benchmail.example",
            "postal_address": "1 Bench Street\n75001 Paris",
            "privacy_policy_url": "https://benchmail.example/privacy",
        },
        # The dispatcher is run in this process; kicks go to an in-memory broker no worker reads.
        env={"CELERY_BROKER_URL": "memory://"},
    )
    try:
        from django.conf import settings
        from django.db import connection

        from mailing import gate
        from tenants.models import Tenant
        from tests.mailing.fake_esp import FakePostmark

        esp = FakePostmark().start()
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = settings.ANYMAIL | {
            "POSTMARK_SERVER_TOKEN": "bench-token",
            "POSTMARK_API_URL": esp.url,
        }
        settings.MAILING_RATE_PER_TENANT = 0
        settings.MAILING_RATE_GLOBAL = 0
        settings.MAILING_CLAIM_SIZE = 500
        # Consent is not what is measured here: every recipient may receive this topic.
        gate.register_send_gate(lambda message: gate.GateDecision(True))
        connection.set_tenant(Tenant.objects.get(schema_name=SCHEMA))

        cold_ms, render_ms = bench_render(candidates(size, "render"))

        round_trip = db_round_trip_ms()
        settings.MAILING_BATCH_TEMPLATE = "talentcrm-passthrough"
        b_write, b_send, b_calls = pipeline(candidates(size, "batched"), "batched")
        settings.MAILING_BATCH_TEMPLATE = ""
        s_write, s_send, s_calls = pipeline(candidates(size, "single"), "single", bulk=False)
        # The same batched run for messages not linked to a candidate: no timeline entries
        # (one bulk INSERT of Activity rows per ESP call otherwise).
        settings.MAILING_BATCH_TEMPLATE = "talentcrm-passthrough"
        _, u_send, _ = pipeline(candidates(size, "unlinked"), "unlinked", link=False)
        esp.stop()
    finally:
        if not args.keep:
            drop_database(BENCH_DB)

    batched_rate = size / (b_write + b_send)
    rows = [
        ("render, first message of a body (ms)", cold_ms, None),
        (f"render p50 (ms/msg), {size}", percentile(render_ms, 0.5), None),
        (f"render p95 (ms/msg), {size}", percentile(render_ms, 0.95), None),
        ("render+outbox+send end to end (msg/s)", batched_rate, size / (s_write + s_send)),
        ("dispatch only, one worker (msg/s)", size / b_send, size / s_send),
        ("dispatch only, no timeline (msg/s)", size / u_send, None),
        ("render+outbox write (msg/s)", size / b_write, size / s_write),
        ("ESP API calls", float(b_calls), float(s_calls)),
        ("DB round trip during run (ms, p50)", round_trip, None),
    ]
    print(f"\n{'figure':<40} {'ours':>12} {'baseline':>12} {'ratio':>8}")
    print(f"{'':<40} {'(batched)':>12} {'(1 by 1)':>12}")
    for name, ours, base in rows:
        base_text = f"{base:12.2f}" if base is not None else f"{'—':>12}"
        ratio = f"{ours / base:8.2f}" if base else f"{'—':>8}"
        print(f"{name:<40} {ours:12.2f} {base_text} {ratio}")
    print(
        f"\nTargets: >= 500 msg/s per worker process batched (dispatch "
        f"{'met' if size / b_send >= 500 else 'NOT met'}); render p95 < 5 ms "
        f"({'met' if percentile(render_ms, 0.95) < 5 else 'NOT met'})."
    )


if __name__ == "__main__":
    main()
