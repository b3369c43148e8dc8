"""Nurture planning and job matching at scale.

Measures, in a throwaway database (created and dropped here, never the real one), one tenant
with N consenting candidates (3 skills each, consent for job offers, events and company news)
and P open positions:

- a day's nurture: `nurture_plan` (set-based) then `nurture_send_batch` over every planned
  digest (render + mailing outbox), in worker processes as Celery would. Scenario "steady"
  (default): a running tenant whose candidates last heard from us 1-7 days ago (job offers)
  or 1-30 days ago (events, news), positions opened over the last 30 days; "first-day": nobody
  has had an email yet, everyone is due (the worst day);
  baseline: the naive per-candidate planner (a few ORM queries per candidate, the same rules),
  timed on a sample and reported per candidate;
- matching P open positions against N candidates (`campaigns.matching.job_matches`: every
  candidate x position scored as numpy matrices, best 3 per candidate); baseline: one ORM
  query per candidate, timed on a sample.

Usage: .venv/bin/python bench/bench_campaigns.py [--quick] [--keep]
Sizes: BENCH_CAMPAIGNS_CANDIDATES (default 100000; --quick 10000),
       BENCH_CAMPAIGNS_POSITIONS (default 1000; --quick 200),
       BENCH_CAMPAIGNS_SAMPLE (baseline sample, default 1000),
       BENCH_CAMPAIGNS_SCENARIO (steady or first-day; default steady),
       BENCH_CAMPAIGNS_WORKERS (processes rendering and queueing, as Celery workers; default 2),
       BENCH_CAMPAIGNS_SEND_LIMIT (render + queue only this many digests and extrapolate;
       default 0 = all).
Target: a day's nurture for 100k consenting candidates < 60 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import database_name, drop_database, setup_django  # noqa: E402 (needs ROOT)

BENCH_DB = os.environ.get("BENCH_CAMPAIGNS_DB", "bench_campaigns")
SCHEMA = "bench"
PROFESSIONS = [
    "Backend engineer",
    "Data analyst",
    "Product manager",
    "Designer",
    "Sales manager",
    "Accountant",
    "Nurse",
    "Electrician",
    "Teacher",
    "Recruiter",
]
CITIES = ["Paris", "Lyon", "Berlin", "Milan", "Madrid", "Lille", "Munich", "Rome"]
SKILLS = [f"Skill{i}" for i in range(60)]
# A Monday morning in the tenant's send window.
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def load(candidates: int, positions: int, steady: bool) -> None:
    """Candidates with skills and consents, open positions and content, generated in SQL."""
    from django.db import connection

    from campaigns.models import ContentItem

    week_ago = NOW - dt.timedelta(days=7)
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("DROP INDEX IF EXISTS candidate_search_trgm")
        cur.execute(
            "CREATE OR REPLACE FUNCTION pick(text[]) RETURNS text LANGUAGE sql VOLATILE AS "
            "$$ SELECT $1[1 + floor(random() * cardinality($1))::int] $$"
        )
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            """
            INSERT INTO candidates_candidate (
                first_name, last_name, email, phone, city, country, languages,
                preferred_language, profession, seniority, interests, desired_positions,
                desired_locations, age_bracket, source, notes, created_at, updated_at,
                last_activity_at)
            SELECT 'First' || i, 'Last' || i, 'c' || i || '@bench.example', '',
                   pick(%(cities)s), 'FR', '[]', '', pick(%(professions)s),
                   pick(ARRAY['junior', 'mid', 'senior', 'lead']), '[]', '[]', '[]', '',
                   'import', '', now(), now(), now()
            FROM generate_series(1, %(n)s) AS i
            """,
            {"cities": CITIES, "professions": PROFESSIONS, "n": candidates},
        )
        for name in SKILLS:
            cur.execute(
                "INSERT INTO candidates_skill (name, slug) VALUES (%s, lower(%s))", [name, name]
            )
        for table, owner in [
            ("candidates_candidateskill", "candidates_candidate"),
            ("candidates_positionskill", "candidates_position"),
        ]:
            if owner == "candidates_position":
                cur.execute(
                    """
                    INSERT INTO candidates_position (title, profession, department, location,
                        country, remote_policy, seniority, description, status, created_at,
                        opened_at)
                    SELECT 'Position ' || i, pick(%(professions)s), '', pick(%(cities)s), 'FR',
                           pick(ARRAY['onsite', 'hybrid', 'remote']),
                           pick(ARRAY['junior', 'mid', 'senior', 'lead']), '', 'open',
                           %(at)s - (i %% %(spread)s) * interval '1 day',
                           %(at)s - (i %% %(spread)s) * interval '1 day'
                    FROM generate_series(1, %(n)s) AS i
                    """,
                    {
                        "professions": PROFESSIONS,
                        "cities": CITIES,
                        "n": positions,
                        "at": NOW - dt.timedelta(hours=1) if steady else week_ago,
                        "spread": 30 if steady else 1,
                    },
                )
            cur.execute(
                f"""
                INSERT INTO {table} (content_object_id, tag_id)
                SELECT DISTINCT o.id, s.id
                FROM {owner} o, generate_series(1, 3) AS g,
                     -- g in the subquery: otherwise PostgreSQL memoizes it per o.id and every
                     -- row of o gets one skill instead of up to three.
                     LATERAL (SELECT id FROM candidates_skill
                              ORDER BY random() + o.id * 0 + g * 0 LIMIT 1) s
                """  # noqa: S608 (constant table names)
            )
        # Consent: profile, one ledger event and the current state per topic.
        cur.execute(
            "INSERT INTO consent_consentprofile (candidate_id, link_key, "
            "last_engagement_at, expires_at) SELECT id, md5(id::text), now(), "
            "now() + interval '2 years' FROM candidates_candidate"
        )
        for purpose, frequency in [
            ("job_offers", "weekly"),
            ("events", "monthly"),
            ("company_news", "monthly"),
        ]:
            cur.execute(
                """
                WITH ev AS (
                    INSERT INTO consent_consentevent (candidate_id, purpose, action, source,
                        frequency, at, user_agent, reason)
                    SELECT id, %(p)s, 'granted', 'optin_link', %(f)s, now(), '', ''
                    FROM candidates_candidate RETURNING id, candidate_id)
                INSERT INTO consent_candidateconsent (candidate_id, purpose, granted,
                    frequency, changed_at, last_event_id)
                SELECT candidate_id, %(p)s, true, %(f)s, now(), id FROM ev
                """,
                {"p": purpose, "f": frequency},
            )
        if steady:
            # A running tenant: everyone heard from us recently (job offers 1-7 days ago, the
            # monthly topics 1-30 days ago), so a day's nurture is whoever is due today.
            for topic, spread in [("job_offers", 7), ("events", 30), ("company_news", 30)]:
                cur.execute(
                    """
                    INSERT INTO campaigns_delivery (candidate_id, topic, period, sent_at, status,
                        position_ids, reasons, matched_skills, item_ids)
                    SELECT id, %(topic)s, 'history', %(now)s - (1 + (id * 7919) %% %(spread)s)
                           * interval '1 day', 'queued', '[]', '{}', '[]', '[]'
                    FROM candidates_candidate
                    """,
                    {"topic": topic, "now": NOW, "spread": spread},
                )
            cur.execute("VACUUM (ANALYZE) campaigns_delivery")
        cur.execute("SET session_replication_role = DEFAULT")
        for table in (
            "candidates_candidate",
            "candidates_candidateskill",
            "candidates_positionskill",
            "candidates_position",
            "consent_candidateconsent",
            "consent_consentprofile",
        ):
            cur.execute(f"VACUUM (ANALYZE) {table}")
    ContentItem.objects.create(
        topic="events",
        title="Open day",
        publish_at=week_ago,
        event_starts_at=NOW + dt.timedelta(days=20),
        event_place="Paris",
    )
    ContentItem.objects.create(topic="company_news", title="We moved", publish_at=week_ago)


def naive_plan(sample: list[int]) -> float:
    """The obvious per-candidate planner (same rules): seconds for the sample."""
    from django.db.models import Count

    from campaigns.models import Delivery
    from candidates.models import Candidate, Position
    from consent.models import CandidateConsent

    started = time.perf_counter()
    planned = 0
    for candidate in Candidate.objects.filter(pk__in=sample):
        consents = CandidateConsent.objects.active().filter(candidate=candidate, granted=True)
        if not consents.filter(purpose="job_offers").exists():
            continue
        if Delivery.objects.filter(
            candidate=candidate, sent_at__gt=NOW - dt.timedelta(days=3)
        ).exists():
            continue
        last = (
            Delivery.objects.filter(candidate=candidate, topic="job_offers")
            .order_by("-sent_at")
            .first()
        )
        skills = list(candidate.skills.values_list("pk", flat=True))
        best = list(
            Position.objects.filter(status="open", required_skills__in=skills)
            .exclude(applications__candidate=candidate)
            .filter(opened_at__gt=(last.sent_at if last else NOW - dt.timedelta(days=30)))
            .annotate(n=Count("pk"))
            .order_by("-n", "-pk")[:3]
        )
        planned += bool(best)
    assert planned
    return time.perf_counter() - started


def naive_match(sample: list[int]) -> float:
    """The obvious matcher: one ORM query per candidate for the open positions sharing most of
    their skills (what a per-candidate loop would do): seconds for the sample."""
    from django.db.models import Count

    from candidates.models import Candidate, Position

    started = time.perf_counter()
    found = 0
    for candidate in Candidate.objects.filter(pk__in=sample):
        skills = list(candidate.skills.values_list("pk", flat=True))
        best = list(
            Position.objects.filter(status="open", required_skills__in=skills)
            .annotate(n=Count("pk"))
            .order_by("-n", "-pk")
            .values_list("pk", flat=True)[:3]
        )
        found += bool(best)
    assert found
    return time.perf_counter() - started


def _send_share(job: tuple[str, list[int]]) -> int:
    """One worker process's share of the planned digests (as Celery workers take the batch
    tasks the planner enqueues)."""
    from django.db import connections

    from campaigns.sending import BATCH_SIZE, nurture_send_batch
    from tenants.context import activate_tenant
    from tenants.models import Tenant

    schema, ids = job
    activate_tenant(Tenant.objects.get(schema_name=schema))
    queued = 0
    for start in range(0, len(ids), BATCH_SIZE):
        queued += nurture_send_batch(delivery_ids=ids[start : start + BATCH_SIZE]).queued
    connections.close_all()
    return queued


def send_in_parallel(ids: list[int], workers: int) -> int:
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each forked process opens its own connection
    share = -(-len(ids) // workers)
    jobs = [(SCHEMA, ids[i : i + share]) for i in range(0, len(ids), share)]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        return sum(pool.map(_send_share, jobs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k candidates, 200 positions")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    n = int(os.environ.get("BENCH_CAMPAIGNS_CANDIDATES", 10000 if args.quick else 100000))
    p = int(os.environ.get("BENCH_CAMPAIGNS_POSITIONS", 200 if args.quick else 1000))
    sample_size = int(os.environ.get("BENCH_CAMPAIGNS_SAMPLE", 1000))
    scenario = os.environ.get("BENCH_CAMPAIGNS_SCENARIO", "steady")
    if scenario not in ("steady", "first-day"):
        raise SystemExit("BENCH_CAMPAIGNS_SCENARIO is steady or first-day.")
    workers = int(os.environ.get("BENCH_CAMPAIGNS_WORKERS", 2))
    # Render + queue only this many of the planned digests (0: all) and extrapolate.
    send_limit = int(os.environ.get("BENCH_CAMPAIGNS_SEND_LIMIT", 0))

    setup_django(
        BENCH_DB,
        tenant={
            "name": "Bench",
            "domain": "bench.localhost",
            "admin_email": "bench@bench.example",
            "schema_name": SCHEMA,
            "time_zone": "Europe/Paris",
        },
        env_defaults={"SITE_SCHEME": "https"},
    )
    import random

    import time_machine
    from django.db import connection
    from django_tenants.utils import tenant_context

    from campaigns.matching import job_matches
    from campaigns.planner import nurture_plan
    from campaigns.sending import planned_delivery_ids
    from candidates.models import Candidate
    from mailing.models import Message
    from tenants.models import Tenant

    try:
        with tenant_context(Tenant.objects.get(schema_name=SCHEMA)):
            started = time.perf_counter()
            load(n, p, steady=scenario == "steady")
            took = time.perf_counter() - started
            print(f"loaded {n:,} candidates and {p:,} positions in {took:.1f} s")
            ids = list(Candidate.objects.values_list("pk", flat=True))
            sample = random.Random(7).sample(ids, min(sample_size, len(ids)))

            # Matching: the set-based statement over everyone vs the Python loop on a sample.
            started = time.perf_counter()
            matches = job_matches(
                targets=[(cid, NOW - dt.timedelta(days=365)) for cid in ids], now=NOW, limit=3
            )
            match_s = time.perf_counter() - started
            naive_match_s = naive_match(sample) * len(ids) / len(sample)

            with time_machine.travel(NOW, tick=True):
                naive_plan_s = naive_plan(sample) * len(ids) / len(sample)
                connection.queries_log.clear()
                started = time.perf_counter()
                plan = nurture_plan()
                plan_s = time.perf_counter() - started
                delivery_ids = planned_delivery_ids()
            to_send = delivery_ids[:send_limit] if send_limit else delivery_ids
            started = time.perf_counter()
            queued = send_in_parallel(to_send, workers)
            send_s = (time.perf_counter() - started) * len(delivery_ids) / len(to_send)
            with time_machine.travel(NOW, tick=True):
                again = nurture_plan().planned
            messages = Message.objects.count()
            assert messages == queued == len(to_send), (messages, queued, len(to_send))
            assert again == 0

        total = plan_s + send_s
        print()
        print(
            f"One tenant, {n:,} consenting candidates, {p:,} open positions "
            f"({'a running tenant' if scenario == 'steady' else 'first day: everyone is due'})"
        )
        header = f"{'measure':<46} | {'ours (s)':>9} | {'naive (s)':>10} | {'ratio':>7}"
        print(header)
        print("-" * len(header))
        print(
            f"{'match all candidates x positions (top 3)':<46} | {match_s:>9.2f} | "
            f"{naive_match_s:>10.1f} | {naive_match_s / match_s:>6.1f}x"
        )
        print(
            f"{'plan a day (who, which topic, what content)':<46} | {plan_s:>9.2f} | "
            f"{naive_plan_s:>10.1f} | {naive_plan_s / plan_s:>6.1f}x"
        )
        label = f"render + queue the digests ({workers} workers)"
        if len(to_send) < len(delivery_ids):
            label += "*"
        print(f"{label:<46} | {send_s:>9.2f} | {'':>10} | {'':>7}")
        print(
            f"{'plan + queue a day of nurture':<46} | {total:>9.2f} | {'':>10} | "
            f"{'OK' if total < 60 else 'SLOW':>7}"
        )
        print()
        print(
            f"{len(matches):,} candidates matched; {plan.planned:,} digests planned "
            f"{dict(plan.by_topic)}; {messages:,} messages in the outbox; re-run planned {again}."
        )
        if len(to_send) < len(delivery_ids):
            print(f"* measured on {len(to_send):,} digests, extrapolated to {len(delivery_ids):,}.")
        print(
            f"Naive figures are extrapolated from a sample of {len(sample):,} candidates. "
            "Target: plan + queue < 60 s for 100k."
        )
    finally:
        if args.keep:
            print(f"kept database {database_name(BENCH_DB)}")
        else:
            drop_database(BENCH_DB)


if __name__ == "__main__":
    main()
