"""Mailing: personalised nurture messages through the real send path, beside django-post-office.

Measures, in a throwaway database (created and dropped here, never the real one), with the real
anymail Postmark backend posting over HTTP to a local fake Postmark (the ESP is intercepted at
the transport, nothing else is faked) and the REAL consent gate (every recipient has a real,
active consent for the topic; the gate reads consents, the cap policy and each person's recent
mail exactly as in production):
- render time per personalised message (`render_email`), p50 and p95;
- N nurture messages rendered and written to the outbox (`message_enqueue_many`), then
  dispatched by one process (claim, suppression list, consent gate, ESP call, record, timeline):
  batched (`merge_data`, Postmark's 500 per call) and one ESP call per message; SQL queries per
  message counted on the connection;
- the peer: django-post-office (bench/requirements.txt) queuing the same rendered messages
  (`mail.send_many`) and sending them (`send_queued_mail_until_done`, its defaults: 5 threads,
  a log row per email) through the same anymail backend and fake ESP.

Usage: .venv/bin/python bench/bench_mailing.py [--quick] [--keep]
Sizes: BENCH_MAILING_N (default 10000; --quick 1000). Targets: batched >= 2x post-office and
<= 0.5 SQL queries per message; one call per message >= post-office; render p95 < 5 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
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
    """`count` candidates, each with a real active consent for job offers (weekly)."""
    from django.utils import timezone

    from candidates.models import Candidate
    from consent.models import CandidateConsent, ConsentEvent, ConsentProfile

    Candidate.objects.bulk_create(
        Candidate(
            first_name=f"Ada<{i}>", last_name="L", email=f"{label}{i}@bench.example", city="Lyon"
        )
        for i in range(count)
    )
    people = list(Candidate.objects.filter(email__startswith=label).order_by("id"))
    now = timezone.now()
    ConsentProfile.objects.bulk_create(
        ConsentProfile(candidate=c, expires_at=now + timedelta(days=700)) for c in people
    )
    events = ConsentEvent.objects.bulk_create(
        ConsentEvent(
            candidate=c, purpose="job_offers", action="granted", source="optin_link", at=now
        )
        for c in people
    )
    CandidateConsent.objects.bulk_create(
        CandidateConsent(
            candidate=c, purpose="job_offers", granted=True, frequency="weekly", last_event=e
        )
        for c, e in zip(people, events, strict=True)
    )
    return people


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


class QueryCounter:
    """Counts the SQL statements run on Django's connection (a cheap execute wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        return execute(sql, params, many, context)


def rendered(people: list, label: str) -> list:
    from mailing.kinds import MessageKind
    from mailing.services import OutgoingEmail

    emails = []
    for candidate in people:
        email = render_one(candidate)
        emails.append(
            OutgoingEmail(
                send_key=f"bench:{label}:{candidate.pk}",
                kind=MessageKind.JOB_OFFERS,
                to_email=candidate.email,
                subject=email.subject,
                html=email.html,
                text=email.text,
                candidate=candidate,
                unsubscribe_url=f"https://benchmail.localhost/c/u/{candidate.pk}",
            )
        )
    return emails


def ours(emails: list, label: str) -> tuple[float, float, int, int]:
    """Write to the outbox, then dispatch every message in this process (real gate);
    (seconds writing, seconds dispatching, ESP calls, SQL statements while dispatching)."""
    from django.db import connection, transaction

    from mailing.dispatch import outbox_dispatch
    from mailing.models import Message, MessageStatus
    from mailing.services import message_enqueue_many

    started = time.perf_counter()
    with transaction.atomic():
        message_enqueue_many(emails=emails)
    written = time.perf_counter()
    calls, counter = 0, QueryCounter()
    with connection.execute_wrapper(counter):
        while True:
            result = outbox_dispatch(budget_seconds=3600)
            calls += result.esp_calls
            if not result.esp_calls:
                break
    finished = time.perf_counter()
    sent = Message.objects.filter(
        send_key__startswith=f"bench:{label}:", status=MessageStatus.SENT
    ).count()
    assert sent == len(emails), (sent, len(emails))  # the gate let every consenting one pass
    return written - started, finished - written, calls, counter.count


def post_office(emails: list) -> tuple[float, float, int]:
    """The same messages queued and sent by django-post-office; (seconds queuing, seconds
    sending, SQL statements while sending)."""
    import logging

    from django.db import connection
    from post_office import mail
    from post_office.models import STATUS, Email

    # Post-office installs its own log handler; its per-round INFO lines would bury the table.
    logging.getLogger("post_office").setLevel(logging.WARNING)
    started = time.perf_counter()
    mail.send_many(
        [
            {
                "sender": "jobs@benchmail.example",
                "recipients": [e.to_email],
                "subject": e.subject,
                "message": e.text,
                "html_message": e.html,
                "headers": {"List-Unsubscribe": f"<{e.unsubscribe_url}>"},
            }
            for e in emails
        ]
    )
    queued = time.perf_counter()
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        mail.send_queued_mail_until_done()
    finished = time.perf_counter()
    sent = Email.objects.filter(status=STATUS.sent).count()
    assert sent == len(emails), (sent, len(emails))
    return queued - started, finished - queued, counter.count


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
        # The dispatcher is run in this process; kicks go to an in-memory broker no worker
        # reads. django-post-office is installed next to the project's apps for the peer run.
        env={
            "CELERY_BROKER_URL": "memory://",
            "DJANGO_SETTINGS_MODULE": "bench.postoffice_settings",
        },
    )
    try:
        from django.conf import settings

        from bench.fake_esp import EspProcess
        from consent.gate import consent_send_gate_many
        from mailing import gate
        from tenants.context import activate_tenant
        from tenants.models import Tenant

        # The gate consent registered at start-up: the real one, never a stub.
        assert gate.send_gate() is consent_send_gate_many
        esp = EspProcess(delay=0.0).start()
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = settings.ANYMAIL | {
            "POSTMARK_SERVER_TOKEN": "bench-token",
            "POSTMARK_API_URL": esp.url,
        }
        settings.MAILING_RATE_PER_TENANT = 0
        settings.MAILING_RATE_GLOBAL = 0
        activate_tenant(Tenant.objects.get(schema_name=SCHEMA))

        cold_ms, render_ms = bench_render(candidates(size, "render"))
        round_trip = db_round_trip_ms()
        settings.MAILING_BATCH_TEMPLATE = "talentcrm-passthrough"
        b_write, b_send, b_calls, b_queries = ours(rendered(candidates(size, "b"), "b"), "b")
        settings.MAILING_BATCH_TEMPLATE = ""
        s_write, s_send, s_calls, s_queries = ours(rendered(candidates(size, "s"), "s"), "s")
        p_queue, p_send, p_queries = post_office(rendered(candidates(size, "p"), "p"))
        esp.stop()
    finally:
        if not args.keep:
            drop_database(BENCH_DB)

    rows = [
        ("render, first message of a body (ms)", cold_ms, None, ""),
        (f"render p50 (ms/msg), {size}", percentile(render_ms, 0.5), None, ""),
        (f"render p95 (ms/msg), {size}", percentile(render_ms, 0.95), None, ""),
        ("send, batched, real gate (msg/s)", size / b_send, size / p_send, "post-office"),
        ("send, 1 call/msg, real gate (msg/s)", size / s_send, size / p_send, "post-office"),
        (
            "queue + send, batched (msg/s)",
            size / (b_write + b_send),
            size / (p_queue + p_send),
            "post-office",
        ),
        (
            "queue + send, 1 call/msg (msg/s)",
            size / (s_write + s_send),
            size / (p_queue + p_send),
            "post-office",
        ),
        ("SQL per message sent, batched", b_queries / size, p_queries / size, "post-office"),
        ("SQL per message sent, 1 call/msg", s_queries / size, p_queries / size, "post-office"),
        ("ESP API calls, batched / 1 call/msg", float(b_calls), float(s_calls), "1 call/msg"),
        ("DB round trip during run (ms, p50)", round_trip, None, ""),
    ]
    print(f"\n{'figure':<40} {'ours':>10} {'baseline':>10} {'ratio':>7}  baseline")
    for name, value, base, label in rows:
        base_text = f"{base:10.2f}" if base is not None else f"{'—':>10}"
        ratio = f"{value / base:7.2f}" if base else f"{'—':>7}"
        print(f"{name:<40} {value:10.2f} {base_text} {ratio}  {label}")
    batched_ratio, single_ratio = p_send / b_send, p_send / s_send
    print(
        f"\nTargets: batched >= 2x post-office ({batched_ratio:.2f}x: "
        f"{'met' if batched_ratio >= 2 else 'NOT met'}) and <= 0.5 SQL/msg "
        f"({b_queries / size:.3f}: {'met' if b_queries / size <= 0.5 else 'NOT met'}); "
        f"1 call/msg >= post-office ({single_ratio:.2f}x: "
        f"{'met' if single_ratio >= 1 else 'NOT met'}); render p95 < 5 ms "
        f"({'met' if percentile(render_ms, 0.95) < 5 else 'NOT met'})."
    )


if __name__ == "__main__":
    main()
