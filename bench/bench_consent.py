"""Candidate consent pages: latency through Django's full stack (middleware, tenant routing,
templates, database), beside the login page as the baseline measured in the same process.

Measures p50 and p95 over N requests of: the opt-in page, the preference centre (GET and a
save), the unsubscribe page, the RFC 8058 one-click POST and the public registration form, each
for a different candidate holding consent, in a throwaway database (created and dropped here).

Usage: .venv/bin/python bench/bench_consent.py [--quick] [--keep]
Size: BENCH_CONSENT_REQUESTS (default 300; --quick 50). Target: every page well under 100 ms
at p95.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import drop_database, percentile, setup_django  # noqa: E402 (needs ROOT)

BENCH_DB = os.environ.get("BENCH_CONSENT_DB", "bench_consent")
SCHEMA = "benchcs"
HOST = f"{SCHEMA}.localhost"
TARGET_P95_MS = 100.0


def people(count: int) -> list:  # type: ignore[type-arg]

    from candidates.models import Candidate
    from consent.models import Source
    from consent.services import consent_change
    from tenants.context import activate_tenant
    from tenants.models import Tenant

    activate_tenant(Tenant.objects.get(schema_name=SCHEMA))
    Candidate.objects.bulk_create(
        Candidate(first_name=f"Bench{i}", last_name="Person", email=f"bench{i}@example.com")
        for i in range(count)
    )
    result = list(Candidate.objects.order_by("pk"))
    for candidate in result:
        consent_change(
            candidate=candidate,
            source=Source.OPTIN_LINK,
            grant={"talent_pool": None, "job_offers": None, "events": None},
        )
    return result


def measure(requests: list[Callable[[], int]]) -> list[float]:
    timings = []
    for call in requests:
        started = time.perf_counter()
        status = call()
        timings.append((time.perf_counter() - started) * 1000)
        if status >= 400:
            raise SystemExit(f"Unexpected HTTP {status} during the benchmark.")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()
    n = int(os.environ.get("BENCH_CONSENT_REQUESTS", "50" if args.quick else "300"))

    setup_django(
        BENCH_DB,
        tenant={
            "name": "Bench Consent",
            "domain": HOST,
            "admin_email": "hr@benchcs.example",
            "schema_name": SCHEMA,
        },
        # Nothing here may reach a real worker.
        env={"CELERY_BROKER_URL": "memory://"},
        # Measure the production code path: no SQL capture for the debug toolbar/logs.
        settings_overrides={"DEBUG": False},
    )
    try:
        from urllib.parse import urlsplit

        from django.test import Client

        from consent import links

        everyone = people(n)
        client = Client(HTTP_HOST=HOST)

        def path(url: str) -> str:
            return urlsplit(url).path

        prefs = [path(links.preferences_url(c)) for c in everyone]
        optins = [path(links.optin_url(c, source="bench")) for c in everyone]
        unsubscribe_pages = [path(links.unsubscribe_url(c, "events")) for c in everyone]
        one_clicks = [path(links.unsubscribe_url(c, "job_offers")) for c in everyone]

        def get(url: str) -> int:
            return client.get(url).status_code

        def save(url: str) -> int:
            data = {"talent_pool": "on", "job_offers": "on", "language": "fr"}
            return client.post(url, data).status_code

        def one_click(url: str) -> int:
            return client.post(
                url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
            ).status_code

        cases: list[tuple[str, list[Callable[[], int]]]] = [
            ("login page (baseline)", [partial(get, "/accounts/login/")] * n),
            ("opt-in page", [partial(get, u) for u in optins]),
            ("preference centre", [partial(get, u) for u in prefs]),
            ("preference centre: save", [partial(save, u) for u in prefs]),
            ("unsubscribe page", [partial(get, u) for u in unsubscribe_pages]),
            ("one-click unsubscribe POST", [partial(one_click, u) for u in one_clicks]),
            ("registration form", [partial(get, "/c/join/")] * n),
        ]
        # Warm up templates, connections and caches.
        for _label, calls in cases:
            measure(calls[: min(10, n)])
        results = [(label, measure(calls)) for label, calls in cases]
    finally:
        if not args.keep:
            drop_database(BENCH_DB)

    baseline = results[0][1]
    base50, base95 = percentile(baseline, 0.5), percentile(baseline, 0.95)
    print(f"Candidate consent pages, {n} requests each (Django test client, full stack)")
    print(f"{'page':<30} {'p50 ms':>8} {'p95 ms':>8} {'vs login p95':>13} {'target':>8}")
    for label, timings in results:
        p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
        verdict = "ok" if p95 < TARGET_P95_MS else "SLOW"
        print(f"{label:<30} {p50:>8.1f} {p95:>8.1f} {p95 / base95:>12.2f}x {verdict:>8}")
    print(f"baseline login page: p50 {base50:.1f} ms, p95 {base95:.1f} ms")


if __name__ == "__main__":
    main()
