"""Smart pools and tagging rules at scale.

Measures, in a throwaway database (created and dropped here, never the real one):
- a smart pool with three criteria (tags all of [silver-medalist], skills all of [Python],
  country FR) through `candidates.criteria` on the candidate-specific, indexed through tables:
  the member count and the first page (50, most recently active first);
- the same query through taggit's generic relation (`taggit.TaggedItem`, content type + object
  id), the baseline, built from the same data;
- applying the default tagging rules to everyone at the first size (set-based SQL).

Usage: .venv/bin/python bench/bench_pools.py [--quick] [--keep]
BENCH_EXPLAIN=1 prints the plans (EXPLAIN ANALYZE, BUFFERS) of the smart-pool queries.
Sizes: BENCH_POOLS_SIZES (default "100000,1000000"; --quick: "10000,50000").
Targets at 1M: count < 100 ms, first page < 150 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import drop_database, setup_django  # noqa: E402 (needs ROOT)

BENCH_DB = os.environ.get("BENCH_POOLS_DB", "bench_pools")
SCHEMA = "bench"
COUNTRIES = ["FR", "DE", "IT", "ES", "GB", "NL", "BE", "CH", "PL", "PT"]
PROFESSIONS = [
    "Backend engineer",
    "Frontend engineer",
    "Data analyst",
    "Product manager",
    "Designer",
    "Sales manager",
    "Accountant",
    "Nurse",
    "Electrician",
    "Teacher",
]
SENIORITIES = ["junior", "mid", "senior", "lead"]
AGES = ["18_24", "25_34", "35_44", "45_54", "55_plus"]
SKILLS = [f"Skill{i}" for i in range(49)] + ["Python"]
TAGS = [f"tag-{i}" for i in range(18)] + ["silver-medalist", "young-talent"]
PAGE = 50
ORDER = ("-last_activity_at", "-id")
REPEAT = 7
VERBOSE = bool(os.environ.get("BENCH_VERBOSE"))
# Print the plans (EXPLAIN ANALYZE, BUFFERS) of the smart-pool count and first page.
EXPLAIN = bool(os.environ.get("BENCH_EXPLAIN"))


LOADED_TABLES = [
    "candidates_candidate",
    "candidates_candidateskill",
    "candidates_candidatetag",
    "candidates_application",
    "taggit_taggeditem",
]


def _drop_secondary_indexes(cur: Any, tables: list[str]) -> list[str]:
    """Drop the unique constraints and indexes (not primary keys) of `tables`; return the
    statements that recreate them exactly."""
    rebuild: list[str] = []
    for table in tables:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        constraints = cur.fetchall()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = %s AND indexname NOT LIKE %s",
            [table, "%_pkey"],
        )
        owned = {name for name, _ in constraints}
        indexes = [(name, ddl) for name, ddl in cur.fetchall() if name not in owned]
        for name, ddl in constraints:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}')
        for name, ddl in indexes:
            cur.execute(f'DROP INDEX "{name}"')
            rebuild.append(ddl)
    return rebuild


def load(size: int) -> None:
    """Candidates, skills, tags and applications for `size` candidates, generated in SQL."""
    from django.db import connection

    started = time.perf_counter()

    def lap(step: str) -> None:
        if VERBOSE:
            print(f"  {step}: {time.perf_counter() - started:.1f} s")

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE candidates_candidatetag, candidates_candidateskill, "
            "candidates_application, taggit_taggeditem, candidates_activity, "
            "candidates_candidate RESTART IDENTITY CASCADE"
        )
        # Bulk-load settings for this throwaway database only: no per-row FK triggers (the data
        # is consistent by construction), no trigram search index (no pool query uses it), and
        # the other secondary indexes rebuilt once after the load (same indexes, built faster).
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("DROP INDEX IF EXISTS candidate_search_trgm")
        rebuild = _drop_secondary_indexes(cur, LOADED_TABLES)
        cur.execute(
            "CREATE OR REPLACE FUNCTION pick(text[]) RETURNS text LANGUAGE sql VOLATILE AS "
            "$$ SELECT $1[1 + floor(random() * cardinality($1))::int] $$"
        )
        # Reproducible pseudo-random spread (independent per column, unlike id arithmetic).
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            """
            INSERT INTO candidates_candidate (
                first_name, last_name, email, phone, city, country, languages,
                preferred_language, profession, seniority, interests, desired_positions,
                desired_locations, age_bracket, source, notes, created_at, updated_at,
                last_activity_at)
            SELECT 'First' || i, 'Last' || mod(i, 9973), 'c' || i || '@bench.example', '', '',
                   pick(%(countries)s),
                   '[]', '',
                   pick(%(professions)s),
                   pick(%(seniorities)s),
                   '[]', '[]', '[]',
                   pick(%(ages)s),
                   'import', '', now(), now(), now() - mod(i, 5000) * interval '1 hour'
            FROM generate_series(1, %(size)s) AS i
            """,
            {
                "countries": COUNTRIES,
                "professions": PROFESSIONS,
                "seniorities": SENIORITIES,
                "ages": AGES,
                "size": size,
            },
        )
        lap("candidates")
        for name in SKILLS:
            cur.execute(
                "INSERT INTO candidates_skill (name, slug) VALUES (%s, lower(%s)) "
                "ON CONFLICT DO NOTHING",
                [name, name],
            )
        for name in TAGS:
            cur.execute(
                "INSERT INTO taggit_tag (name, slug) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [name, name],
            )
        # Three skills per candidate (Python for ~6%), two tags (silver-medalist for ~10%).
        for table, extra, model_table, names, per_candidate in [
            ("candidates_candidateskill", "", "candidates_skill", SKILLS, 3),
            ("candidates_candidatetag", ", set_by_rule", "taggit_tag", TAGS, 2),
        ]:
            cur.execute(
                f"""
                INSERT INTO {table} (content_object_id, tag_id{extra})
                SELECT DISTINCT pick.cid, t.id{", false" if extra else ""}
                FROM (SELECT c.id AS cid, floor(random() * %(n)s)::int AS n
                      FROM candidates_candidate c, generate_series(1, %(per)s)) AS pick
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM {model_table}
                      WHERE name = ANY(%(names)s)) AS t ON t.n = pick.n
                """,  # noqa: S608 (table names are constants above)
                {"n": len(names), "per": per_candidate, "names": names},
            )
            lap(f"{table}")
        # One application each, at a spread of stages and outcomes (for rule application).
        cur.execute(
            "INSERT INTO candidates_position (title, profession, department, location, country, "
            "remote_policy, seniority, description, status, created_at) "
            "SELECT 'Position ' || i, '', '', '', 'FR', 'onsite', '', '', 'open', now() "
            "FROM generate_series(1, 100) AS i"
        )
        cur.execute(
            """
            INSERT INTO candidates_application (candidate_id, position_id, stage_id,
                furthest_stage_id, outcome, source, applied_at, cv)
            SELECT c.id, p.min + mod(c.id, 100), st.id, st.id,
                   (ARRAY['active', 'rejected', 'rejected', 'withdrawn'])[1 + mod(c.id, 4)],
                   '', now(), ''
            FROM candidates_candidate c
            CROSS JOIN (SELECT min(id) AS min FROM candidates_position) p
            JOIN candidates_stage st ON st."order" = 10 * (1 + mod(c.id * 3, 5))
            """
        )
        lap("applications")
        # The generic baseline: the same tags and skills as taggit.TaggedItem rows (skills as
        # "skill:<name>" tags, since the generic relation knows only one tag model).
        cur.execute(
            "INSERT INTO taggit_tag (name, slug) SELECT 'skill:' || name, 'skill-' || slug "
            "FROM candidates_skill ON CONFLICT DO NOTHING"
        )
        cur.execute(
            "SELECT id FROM django_content_type WHERE app_label='candidates' AND model='candidate'"
        )
        (ct,) = cur.fetchone()
        cur.execute(
            "INSERT INTO taggit_taggeditem (content_type_id, object_id, tag_id) "
            "SELECT %s, content_object_id, tag_id FROM candidates_candidatetag",
            [ct],
        )
        cur.execute(
            "INSERT INTO taggit_taggeditem (content_type_id, object_id, tag_id) "
            "SELECT %s, cs.content_object_id, t.id FROM candidates_candidateskill cs "
            "JOIN candidates_skill s ON s.id = cs.tag_id "
            "JOIN taggit_tag t ON t.name = 'skill:' || s.name",
            [ct],
        )
        lap("generic tagged items")
        for statement in rebuild:
            cur.execute(statement)
        lap("indexes")
        cur.execute("SET session_replication_role = DEFAULT")
        # Fresh statistics and visibility maps, as autovacuum would leave them on a live server.
        for table in (
            "candidates_candidate",
            "candidates_candidatetag",
            "candidates_candidateskill",
            "candidates_application",
            "taggit_taggeditem",
        ):
            cur.execute(f"VACUUM (ANALYZE) {table}")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    fn()  # warm-up: plans and caches, as on a busy server
    samples, result = [], None
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


def pool_queries() -> dict[str, Callable[[], Any]]:
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Exists, OuterRef
    from taggit.models import TaggedItem

    from candidates.criteria import CriteriaForm
    from candidates.models import Candidate
    from pools.models import Pool, PoolKind
    from pools.selectors import pool_members

    form = CriteriaForm(
        {"tags_all": ["silver-medalist"], "skills_all": ["Python"], "country": "FR"}
    )
    assert form.is_valid(), form.errors
    from candidates.criteria import criteria_to_json

    pool, _ = Pool.objects.update_or_create(
        name="Bench silver pythonistas",
        defaults={"kind": PoolKind.SMART, "criteria": criteria_to_json(form.active())},
    )

    ct = ContentType.objects.get_for_model(Candidate)

    def generic() -> Any:
        def has(tag_name: str) -> Exists:
            return Exists(
                TaggedItem.objects.filter(
                    content_type_id=ct.pk, object_id=OuterRef("pk"), tag__name=tag_name
                )
            )

        return (
            Candidate.objects.active()
            .filter(country="FR")
            .filter(has("silver-medalist"))
            .filter(has("skill:Python"))
        )

    return {
        "count": lambda: pool_members(pool).count(),
        "members": lambda: pool_members(pool),
        "first page": lambda: list(pool_members(pool).order_by(*ORDER)[:PAGE]),
        "generic count": lambda: generic().count(),
        "generic first page": lambda: list(generic().order_by(*ORDER)[:PAGE]),
    }


def explain(queryset: Any, label: str) -> None:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print(f"--- {label}")
        print("\n".join(row[0] for row in cur.fetchall()))


def bench_rules() -> list[tuple[str, float, float]]:
    from django.db import connection

    from candidates.models import CandidateTag
    from pools.services import tag_rules_apply

    rows: list[tuple[str, float, float]] = []
    CandidateTag.objects.filter(set_by_rule=True).delete()
    with connection.cursor() as cur:
        cur.execute("ANALYZE candidates_candidatetag")
    start = time.perf_counter()
    first = tag_rules_apply()
    cold = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    again = tag_rules_apply()
    warm = (time.perf_counter() - start) * 1000
    assert again.added == 0 and again.removed == 0
    rows.append(("rules: tag everyone (from scratch)", cold, first.added))
    rows.append(("rules: re-apply, nothing changed", warm, 0))
    # Per-candidate evaluation (what an edit or a rejection costs in the request).
    from candidates.models import Candidate

    ids = list(Candidate.objects.order_by("?").values_list("pk", flat=True)[:20])
    samples = []
    for pk in ids:
        start = time.perf_counter()
        tag_rules_apply(candidate_ids=[pk])
        samples.append((time.perf_counter() - start) * 1000)
    rows.append(("rules: one candidate (after an edit)", statistics.median(samples), 0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (10k, 50k)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    default = "10000,50000" if args.quick else "100000,1000000"
    sizes = [int(s) for s in os.environ.get("BENCH_POOLS_SIZES", default).split(",") if s]

    setup_django(
        BENCH_DB,
        tenant={
            "name": "Bench",
            "domain": "bench.localhost",
            "admin_email": "bench@bench.example",
            "schema_name": SCHEMA,
        },
    )
    from django_tenants.utils import schema_context

    try:
        results: list[tuple[int, str, float, float, float, int]] = []
        rule_rows: list[tuple[str, float, float]] = []
        for index, size in enumerate(sizes):
            with schema_context(SCHEMA):
                started = time.perf_counter()
                load(size)
                print(f"loaded {size:,} candidates in {time.perf_counter() - started:.1f} s")
                queries = pool_queries()
                count_ms, members = timed(queries["count"])
                page_ms, page = timed(queries["first page"])
                gcount_ms, gmembers = timed(queries["generic count"])
                gpage_ms, gpage = timed(queries["generic first page"])
                if EXPLAIN:
                    members_qs = queries["members"]()
                    explain(members_qs.order_by().values("pk"), f"count at {size:,}")
                    explain(members_qs.order_by(*ORDER)[:PAGE], f"first page at {size:,}")
                # Same answers both ways, or the comparison means nothing.
                assert members == gmembers, (members, gmembers)
                assert [c.pk for c in page] == [c.pk for c in gpage]
                results.append((size, "count", count_ms, gcount_ms, gcount_ms / count_ms, members))
                results.append(
                    (size, "first page", page_ms, gpage_ms, gpage_ms / page_ms, len(page))
                )
                if index == 0:
                    rule_rows = bench_rules()
        print()
        print("Smart pool: tags all [silver-medalist] + skills all [Python] + country FR")
        header = f"{'candidates':>11} | {'query':<11} | {'through (ms)':>12} | "
        header += f"{'generic (ms)':>12} | {'ratio':>6} | {'rows':>7}"
        print(header)
        print("-" * len(header))
        for size, name, ours, base, ratio, rows in results:
            print(
                f"{size:>11,} | {name:<11} | {ours:>12.1f} | {base:>12.1f} | "
                f"{ratio:>5.1f}x | {rows:>7,}"
            )
        print()
        print(f"Tagging rules (default rules) at {sizes[0]:,} candidates")
        for name, ms, added in rule_rows:
            print(f"  {name:<40} {ms:>9.1f} ms" + (f"  ({added:,} tags set)" if added else ""))
        print(
            "\nTargets at 1M: count < 100 ms, first page < 150 ms "
            "(through = candidate-specific indexed through tables)."
        )
    finally:
        if args.keep:
            print(f"kept database {BENCH_DB}")
        else:
            drop_database(BENCH_DB)


if __name__ == "__main__":
    main()
