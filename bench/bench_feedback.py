"""Rejection feedback: PDF render time and bulk rejection end to end.

Measures, in a throwaway database (created and dropped here, never the real one):
- the branded feedback PDF (WeasyPrint, local fonts only): p50 and p95 over N renders, beside
  the baseline of rendering the same feedback as plain HTML (the Django template alone);
- bulk rejection of M early-stage applications through `applications_reject_bulk` until every
  feedback email is queued in the outbox (committed), beside the baseline of rejecting another
  M applications one by one with `application_reject` (one transaction each).

Usage: .venv/bin/python bench/bench_feedback.py [--quick] [--keep]
Sizes: BENCH_FEEDBACK_PDFS (default 40; --quick 10), BENCH_FEEDBACK_BULK (default 500;
--quick 100). Targets: PDF p50 < 400 ms; bulk rejection of 500 < 5 s.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import drop_database, percentile, setup_django  # noqa: E402 (needs ROOT)

BENCH_DB = os.environ.get("BENCH_FEEDBACK_DB", "bench_feedback")
SCHEMA = "benchfb"


def applications(count: int, stage_slug: str, label: str) -> list[int]:
    """`count` candidates with one active application each at `stage_slug`, inserted in SQL."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO candidates_position (title, profession, department, location, country, "
            "remote_policy, seniority, description, status, created_at) "
            "VALUES (%s, '', '', '', 'FR', 'onsite', '', '', 'open', now()) RETURNING id",
            [f"Data Analyst ({label})"],
        )
        (position_id,) = cur.fetchone()
        cur.execute(
            """
            INSERT INTO candidates_candidate (
                first_name, last_name, email, phone, city, country, languages,
                preferred_language, profession, seniority, interests, desired_positions,
                desired_locations, age_bracket, source, notes, created_at, updated_at,
                last_activity_at)
            SELECT 'First' || i, 'Last' || i, %(label)s || i || '@bench.example', '', '', 'FR',
                   '[]', '', '', '', '[]', '[]', '[]', '', 'bench', '', now(), now(), now()
            FROM generate_series(1, %(count)s) AS i
            """,
            {"label": label, "count": count},
        )
        cur.execute(
            """
            INSERT INTO candidates_application (candidate_id, position_id, stage_id,
                furthest_stage_id, outcome, source, applied_at, cv)
            SELECT c.id, %(position)s, st.id, st.id, 'active', '', now(), ''
            FROM candidates_candidate c, candidates_stage st
            WHERE c.email LIKE %(pattern)s AND st.slug = %(stage)s
            RETURNING id
            """,
            {"position": position_id, "pattern": f"{label}%@bench.example", "stage": stage_slug},
        )
        return [row[0] for row in cur.fetchall()]


def bench_pdf(renders: int) -> list[tuple[str, float, float, float]]:
    from django.utils import timezone

    from accounts.models import User
    from candidates.models import Application
    from feedback.content import CallNote
    from feedback.models import RejectionReason
    from feedback.pdf import feedback_pdf_html, feedback_pdf_render
    from feedback.selectors import feedback_content

    (app_id,) = applications(1, "final-interview", "pdf")
    application = Application.objects.select_related("candidate", "position").get(pk=app_id)
    content = feedback_content(
        application=application,
        reasons=list(RejectionReason.objects.filter(key__in=["skills-gap", "closer-fit"])),
        personal_points="Your case study was clear and well structured. " * 4,
        tips="Walk us through one project end to end next time. " * 3,
        call=CallNote(timezone.now(), 20, "We talked through the case study and next steps."),
        recruiter=User.objects.first(),
    )
    feedback_pdf_render(content)  # warm-up: font discovery, imports
    pdf_ms = []
    for _ in range(renders):
        started = time.perf_counter()
        feedback_pdf_render(content)
        pdf_ms.append((time.perf_counter() - started) * 1000)
    html_ms = []
    for _ in range(renders):
        started = time.perf_counter()
        feedback_pdf_html(content)
        html_ms.append((time.perf_counter() - started) * 1000)
    rows = []
    for name, q in (("p50", 0.5), ("p95", 0.95)):
        ours, base = percentile(pdf_ms, q), percentile(html_ms, q)
        rows.append((f"feedback PDF {name} (ms)", ours, base, ours / base))
    return rows


def _stamp(marks: list[float]) -> None:
    marks.append(time.perf_counter())


def bench_bulk(size: int) -> dict[str, float]:
    from django.db import transaction

    from accounts.models import User
    from candidates.models import Application
    from feedback.services import application_reject, applications_reject_bulk
    from mailing.models import Message

    actor = User.objects.first()
    bulk_ids = applications(size, "applied", "bulk")
    committed: list[float] = []
    started = time.perf_counter()
    with transaction.atomic():
        # Registered first, so it runs first after COMMIT: the moment every message is durably
        # queued, before the other on-commit hooks (pool rules, dispatcher kick) run.
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        result = applications_reject_bulk(application_ids=bulk_ids, actor=actor)
    finished = time.perf_counter()
    assert len(result.rejected) == size, len(result.rejected)
    queued = Message.objects.filter(send_key__in=[f"rejection:{i}" for i in bulk_ids]).count()
    assert queued == size, queued

    single_ids = applications(size, "applied", "single")
    single_committed = 0.0
    single_started = time.perf_counter()
    for application in Application.objects.filter(pk__in=single_ids).select_related(
        "candidate", "position"
    ):
        marks: list[float] = []
        with transaction.atomic():
            mark = time.perf_counter()
            transaction.on_commit(partial(_stamp, marks))
            application_reject(application=application, actor=actor, reasons=[])
        single_committed += marks[0] - mark
    single_finished = time.perf_counter()
    return {
        "bulk_queued": committed[0] - started,
        "bulk_total": finished - started,
        "single_queued": single_committed,
        "single_total": single_finished - single_started,
    }


_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"([a-z]+)_', re.IGNORECASE)


def query_profile(sample: int = 20) -> dict[str, float]:
    """Round trips per application of a bulk rejection, by the app owning the table (SET
    search_path, savepoints and transaction control counted apart)."""
    from collections import Counter

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from feedback.services import applications_reject_bulk

    ids = applications(sample, "applied", "profile")
    connection.queries_log.clear()  # the capture reads a bounded log
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        applications_reject_bulk(application_ids=ids, actor=User.objects.first())
    counts: Counter[str] = Counter()
    for query in captured.captured_queries:
        sql = query["sql"].lstrip()
        if sql.startswith("SET search_path"):
            counts["SET search_path"] += 1
        elif sql.split(" ", 1)[0] in ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"):
            counts["transaction control"] += 1
        else:
            match = _TABLE.search(sql)
            counts[match.group(1) if match else "other"] += 1
    return {name: count / sample for name, count in counts.most_common()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (10 PDFs, 100 apps)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    renders = int(os.environ.get("BENCH_FEEDBACK_PDFS", "10" if args.quick else "40"))
    size = int(os.environ.get("BENCH_FEEDBACK_BULK", "100" if args.quick else "500"))

    setup_django(
        BENCH_DB,
        tenant={
            "name": "Bench Feedback",
            "domain": "benchfb.localhost",
            "admin_email": "hr@benchfb.example",
            "schema_name": SCHEMA,
        },
        # "Queued" means committed to the outbox; the dispatcher kick goes to an in-memory
        # broker so no real worker ever picks up work for this throwaway database.
        env={"CELERY_BROKER_URL": "memory://"},
    )
    from django_tenants.utils import tenant_context

    from tenants.models import Tenant

    try:
        # A real tenant (not a bare schema): links in emails and PDFs need its domain.
        with tenant_context(Tenant.objects.get(schema_name=SCHEMA)):
            pdf_rows = bench_pdf(renders)
            bulk = bench_bulk(size)
            profile = query_profile()
        header = f"{'figure':<40} | {'ours':>9} | {'baseline':>9} | {'ratio':>7}"
        print()
        print(header)
        print("-" * len(header))
        for name, ours, base, ratio in pdf_rows:
            print(f"{name:<40} | {ours:>9.1f} | {base:>9.2f} | {ratio:>6.0f}x")
        for label, ours, base in (
            (f"bulk reject {size}: until queued (s)", bulk["bulk_queued"], bulk["single_queued"]),
            (f"bulk reject {size}: incl. on-commit (s)", bulk["bulk_total"], bulk["single_total"]),
        ):
            print(f"{label:<40} | {ours:>9.2f} | {base:>9.2f} | {base / ours:>6.1f}x")
        print()
        print(f"PDF: {renders} renders; baseline = the same feedback as plain HTML (template).")
        print(f"Bulk: baseline = {size} one-by-one rejections (one transaction each).")
        print(
            "'until queued' = until the transaction holding every outbox message commits; "
            "'incl. on-commit' adds the hooks that run after it in the same request (one pool-rule "
            "run for all the changed candidates, the dispatcher kick)."
        )
        print("Targets: PDF p50 < 400 ms; bulk rejection of 500 < 5 s.")
        print()
        total = sum(profile.values())
        print(f"Round trips per application in a bulk rejection: {total:.1f}, by table owner:")
        for name, per_app in profile.items():
            print(f"  {name:<22} {per_app:>5.1f}")
    finally:
        if args.keep:
            print(f"kept database {BENCH_DB}")
        else:
            drop_database(BENCH_DB)


if __name__ == "__main__":
    main()
