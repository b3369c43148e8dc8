"""REST API: batch upsert throughput and the candidate list's latency.

Measures, in a throwaway database (created and dropped here, never the real one), through the
whole Django stack (tenant routing by host, middleware, the API gateway with key lookup, Redis
rate limit, transaction and idempotency record, ninja's pydantic validation, the set-based
service, pool rules run on commit, JSON response):
- batch upsert: BENCH_API_ROWS new candidates POSTed to /api/v1/candidates/batch in batches of
  1,000 (each with 2 skills and a tag, Idempotency-Key set), then the same rows again (all
  known: fill-blanks no-op); baseline: BENCH_API_BASELINE_ROWS other new candidates POSTed one
  by one to /api/v1/candidates (the same service path as the UI's single upsert);
- the candidate list: GET /api/v1/candidates pages (country filter, a text search, sort by
  activity, following cursors), p50/p95 over BENCH_API_LIST_REQUESTS requests, next to the
  recruiter's HTML list with the same filters.

Usage: .venv/bin/python bench/bench_integrations.py [--quick] [--keep]
Target: batch upsert >= 2,000 candidates/s.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import drop_database, percentile, setup_django  # noqa: E402 (needs ROOT)

BENCH_DB = os.environ.get("BENCH_INTEGRATIONS_DB", "bench_integrations")
SCHEMA = "benchapi"
HOST = "benchapi.localhost"
COUNTRIES = ["FR", "DE", "IT", "ES", "GB", "NL", "BE", "CH", "PL", "PT"]
FIRST = ["Ada", "Ben", "Chloé", "David", "Emma", "Felix", "Giulia", "Hugo", "Inès", "Jonas"]
LAST = ["Martin", "Müller", "Rossi", "Dubois", "Fischer", "Weber", "Bianchi", "Keller"]
PROFESSIONS = ["Backend engineer", "Data analyst", "Designer", "Nurse", "Accountant", "Teacher"]
SKILLS = [f"Skill{i}" for i in range(40)] + ["Python", "SQL"]
BATCH = 1000


def rows(start: int, count: int, rng: random.Random) -> list[dict]:
    return [
        {
            "email": f"person{n}@bench.example",
            "first_name": rng.choice(FIRST),
            "last_name": rng.choice(LAST),
            "city": "Lyon",
            "country": rng.choice(COUNTRIES),
            "profession": rng.choice(PROFESSIONS),
            "seniority": rng.choice(["junior", "mid", "senior"]),
            "languages": ["en", "fr"],
            "skills": rng.sample(SKILLS, 2),
            "tags": ["api-import"],
        }
        for n in range(start, start + count)
    ]


def main() -> None:
    quick = "--quick" in sys.argv
    total = int(os.environ.get("BENCH_API_ROWS", "5000" if quick else "20000"))
    baseline_total = int(os.environ.get("BENCH_API_BASELINE_ROWS", "300" if quick else "1000"))
    list_requests = int(os.environ.get("BENCH_API_LIST_REQUESTS", "60" if quick else "200"))
    setup_django(
        BENCH_DB,
        tenant={
            "name": "Bench API",
            "domain": HOST,
            "admin_email": "hr@benchapi.example",
            "schema_name": SCHEMA,
        },
        env={"DEBUG": "1"},
        # The rate limit stays on the path (a Redis call per request), high enough not to bite.
        settings_overrides={"API_RATE_LIMIT_PER_MINUTE": 10_000_000, "API_RATE_LIMIT_BURST": 10**6},
    )
    try:
        from django_tenants.utils import schema_context

        with schema_context(SCHEMA):
            from tenants.context import activate_tenant
            from tenants.models import Tenant

            activate_tenant(Tenant.objects.get(schema_name=SCHEMA))
            results = run(total, baseline_total, list_requests)
    finally:
        if "--keep" not in sys.argv:
            drop_database(BENCH_DB)
    report(results, total, baseline_total, list_requests)


def run(total: int, baseline_total: int, list_requests: int) -> dict:
    from django.test import Client

    from accounts.models import User
    from candidates.models import Candidate
    from integrations.keys import api_key_create

    key = api_key_create(name="bench", scopes=["read", "write"], actor=None).secret
    client = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {key}")
    rng = random.Random(42)
    data = rows(0, total, rng)

    def post_batches(payload_rows: list[dict], tag: str) -> tuple[float, float]:
        """(candidates/s over the whole run, candidates/s of the median batch)."""
        started = time.perf_counter()
        per_batch = []
        for index in range(0, len(payload_rows), BATCH):
            chunk = payload_rows[index : index + BATCH]
            batch_started = time.perf_counter()
            response = client.post(
                "/api/v1/candidates/batch",
                json.dumps({"candidates": chunk}),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"{tag}-{index}",
            )
            assert response.status_code == 200, response.content[:500]
            per_batch.append(len(chunk) / (time.perf_counter() - batch_started))
        overall = len(payload_rows) / (time.perf_counter() - started)
        return overall, percentile(per_batch, 0.5)

    # Warm-up: one small batch (ninja's schema cache, prepared plans), not counted.
    warm = rows(10_000_000, 50, rng)
    post_batches(warm, "warm")
    batch_rps = post_batches(data, "new")
    assert Candidate.objects.filter(email__endswith="@bench.example").count() == total + 50
    again_rps = post_batches(data, "again")

    single = rows(5_000_000, baseline_total, rng)
    started = time.perf_counter()
    for row in single:
        response = client.post(
            "/api/v1/candidates", json.dumps(row), content_type="application/json"
        )
        assert response.status_code == 201, response.content[:300]
    single_rps = baseline_total / (time.perf_counter() - started)

    # --- The list ---
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    variants = [
        {"country": "FR", "limit": "50"},
        {"q": "mart", "limit": "50"},
        {"country": "DE", "skills_any": "Python", "sort": "-activity", "limit": "50"},
        {"limit": "100"},
    ]
    cursors: dict[int, str | None] = {}
    api_times: list[float] = []
    for n in range(list_requests + 5):
        which = n % len(variants)
        params = dict(variants[which])
        if cursors.get(which):
            params["cursor"] = cursors[which]  # type: ignore[assignment]
        started = time.perf_counter()
        response = client.get("/api/v1/candidates", params)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:300]
        cursors[which] = response.json()["next_cursor"]
        if n >= 5:  # the first round warms the caches
            api_times.append(elapsed)

    ui = Client(HTTP_HOST=HOST)
    ui.force_login(User.objects.get(email="hr@benchapi.example"))
    ui_times: list[float] = []
    for n in range(min(list_requests, 60) + 2):
        params = {k: v for k, v in variants[n % 3].items() if k not in ("limit", "sort")}
        started = time.perf_counter()
        response = ui.get("/candidates/", params)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200
        if n >= 2:
            ui_times.append(elapsed)
    return {
        "load": os.getloadavg(),
        "batch_rps": batch_rps,
        "again_rps": again_rps,
        "single_rps": single_rps,
        "api_times": api_times,
        "ui_times": ui_times,
        "population": Candidate.objects.count(),
    }


def report(r: dict, total: int, baseline_total: int, list_requests: int) -> None:
    # A shared machine's load moves these figures a lot: print it with them.
    load = ", ".join(f"{v:.1f}" for v in r["load"])
    print(f"REST API batch upsert ({total:,} new candidates, batches of {BATCH:,})")
    print(f"machine: {os.cpu_count()} cores, load average {load} (1, 5, 15 min)")
    print(f"{'':<56}{'overall/s':>11}{'median batch/s':>16}")
    for label, (overall, median) in (
        ("figure: POST /candidates/batch (new people)", r["batch_rps"]),
        ("figure: same rows again (all known, no-op)", r["again_rps"]),
    ):
        print(f"{label:<56}{overall:>11,.0f}{median:>16,.0f}")
    print(
        f"{f'baseline: POST /candidates one by one ({baseline_total:,})':<56}"
        f"{r['single_rps']:>11,.0f}"
    )
    ratio = r["batch_rps"][0] / r["single_rps"]
    print(f"{'ratio (figure overall / baseline)':<56}{ratio:>10.1f}x")
    target = "met" if r["batch_rps"][0] >= 2000 else "NOT met"
    print(f"target: >= 2,000 candidates/s overall -> {target}")
    print()
    api, ui = r["api_times"], r["ui_times"]
    print(f"Candidate list at {r['population']:,} candidates ({len(api)} API requests)")
    print(f"{'':<56}{'p50 ms':>9}{'p95 ms':>9}")
    print(
        f"{'figure: GET /api/v1/candidates (filters, cursor pages)':<56}"
        f"{percentile(api, 0.5):>9.1f}{percentile(api, 0.95):>9.1f}"
    )
    print(
        f"{'reference: the recruiter HTML list, same filters':<56}"
        f"{percentile(ui, 0.5):>9.1f}{percentile(ui, 0.95):>9.1f}"
    )


if __name__ == "__main__":
    main()
