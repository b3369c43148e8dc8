"""Who should hear about what: job offers by skills overlap first, content items by targeting.

Both run as one set-based SQL statement over all the candidates being planned (the candidate
ids travel as arrays with, per candidate, the time from which content counts as new), so a
day's planning for 100k candidates is a handful of queries, not 100k.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction

from campaigns.models import ContentItem
from candidates.models import (
    Application,
    Candidate,
    CandidateSkill,
    CandidateTag,
    Position,
    PositionSkill,
    Skill,
)
from pools.selectors import pool_members

# Weights: a shared skill outweighs everything else, so a candidate whose skills fit a role in
# another profession still gets it; profession, seniority, place and remote policy order the rest.
SKILL_POINTS = 10
PROFESSION_POINTS = 5
SENIORITY_POINTS = 3
LOCATION_POINTS = 2
REMOTE_POINTS = 2
COUNTRY_POINTS = 1

Target = tuple[int, dt.datetime]
MATCH_WORK_MEM = "256MB"


@dataclass(frozen=True)
class JobMatch:
    candidate_id: int
    position_id: int
    score: int
    skills: tuple[str, ...]
    same_profession: bool
    same_seniority: bool
    same_location: bool
    remote: bool

    @property
    def explanation(self) -> str:
        parts = []
        if self.skills:
            parts.append("matches your skills: " + ", ".join(self.skills))
        if self.same_profession:
            parts.append("in your profession")
        if self.same_seniority:
            parts.append("at your level")
        if self.remote:
            parts.append("fully remote")
        elif self.same_location:
            parts.append("where you want to work")
        text = "; ".join(parts)
        return text[:1].upper() + text[1:]


def _tables() -> dict[str, str]:
    return {
        "cand": Candidate._meta.db_table,
        "pos": Position._meta.db_table,
        "cs": CandidateSkill._meta.db_table,
        "ps": PositionSkill._meta.db_table,
        "skill": Skill._meta.db_table,
        "app": Application._meta.db_table,
        "ct": CandidateTag._meta.db_table,
        "tag": CandidateTag._meta.get_field("tag").related_model._meta.db_table,
        "item": ContentItem._meta.db_table,
    }


_JOB_SQL = """
WITH t(id, since) AS (
    SELECT id, to_timestamp(epoch) FROM unnest(%(ids)s::bigint[], %(since)s::float8[])
        AS u(id, epoch)
),
p AS MATERIALIZED (
    SELECT id, lower(profession) AS profession, seniority, lower(location) AS location,
           location AS raw_location, country, remote_policy,
           COALESCE(opened_at, created_at) AS fresh_at
    FROM {pos}
    WHERE status = 'open' AND (%(all_positions)s OR id = ANY(%(position_ids)s::bigint[]))
      AND COALESCE(opened_at, created_at) <= %(now)s
),
overlap AS (
    SELECT t.id AS cid, ps.content_object_id AS pid, array_agg(cs.tag_id) AS skill_ids
    FROM t
    JOIN {cs} cs ON cs.content_object_id = t.id
    JOIN {ps} ps ON ps.tag_id = cs.tag_id
    JOIN p ON p.id = ps.content_object_id AND p.fresh_at > t.since
    GROUP BY 1, 2
),
same_profession AS (
    SELECT t.id AS cid, p.id AS pid
    FROM t
    JOIN {cand} c ON c.id = t.id AND c.profession <> ''
    JOIN p ON p.profession = lower(c.profession) AND p.fresh_at > t.since
),
pairs AS (
    SELECT COALESCE(o.cid, s.cid) AS cid, COALESCE(o.pid, s.pid) AS pid,
           COALESCE(o.skill_ids, '{{}}') AS skill_ids, s.cid IS NOT NULL AS same_profession
    FROM overlap o FULL JOIN same_profession s ON s.cid = o.cid AND s.pid = o.pid
),
scored AS (
    SELECT pr.cid, pr.pid, pr.skill_ids, pr.same_profession,
           (c.seniority <> '' AND c.seniority = p.seniority) AS same_seniority,
           (p.location <> '' AND (lower(c.city) = p.location
                                  OR c.desired_locations ? p.raw_location)) AS same_location,
           (p.remote_policy = 'remote') AS remote,
           (c.country <> '' AND c.country = p.country) AS same_country
    FROM pairs pr
    JOIN {cand} c ON c.id = pr.cid
    JOIN p ON p.id = pr.pid
),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY cid
        ORDER BY {skill_points} * cardinality(skill_ids)
                 + {profession_points} * same_profession::int
                 + {seniority_points} * same_seniority::int
                 + {location_points} * same_location::int
                 + {remote_points} * remote::int
                 + {country_points} * same_country::int DESC, pid DESC) AS rn
    FROM scored
    WHERE NOT EXISTS (
        SELECT 1 FROM {app} a WHERE a.candidate_id = scored.cid AND a.position_id = scored.pid
    )
)
SELECT cid, pid, skill_ids, same_profession, same_seniority, same_location, remote,
       same_country
FROM ranked WHERE rn <= %(limit)s
ORDER BY cid, rn
"""


def _score(skills: int, *flags: bool) -> int:
    points = (
        PROFESSION_POINTS,
        SENIORITY_POINTS,
        LOCATION_POINTS,
        REMOTE_POINTS,
        COUNTRY_POINTS,
    )
    return SKILL_POINTS * skills + sum(p for p, f in zip(points, flags, strict=True) if f)


def job_matches(
    *,
    targets: Sequence[Target],
    now: dt.datetime,
    limit: int = 3,
    position_ids: Sequence[int] | None = None,
) -> dict[int, list[JobMatch]]:
    """The best `limit` open positions per candidate among those opened after the candidate's
    `since` time and not already applied to, best first. Candidates without skills still get
    positions of their own profession; candidates with neither get nothing."""
    if not targets:
        return {}
    sql = _JOB_SQL.format(
        **_tables(),
        skill_points=SKILL_POINTS,
        profession_points=PROFESSION_POINTS,
        seniority_points=SENIORITY_POINTS,
        location_points=LOCATION_POINTS,
        remote_points=REMOTE_POINTS,
        country_points=COUNTRY_POINTS,
    )
    params = {
        "ids": [t[0] for t in targets],
        # Epoch seconds: adapting 100k floats is far cheaper than 100k aware datetimes.
        "since": [t[1].timestamp() for t in targets],
        "all_positions": position_ids is None,
        "position_ids": list(position_ids or []),
        "now": now,
        "limit": limit,
    }
    result: dict[int, list[JobMatch]] = defaultdict(list)
    with transaction.atomic(), connection.cursor() as cursor:
        # The pairs are grouped and ranked in memory rather than spilled to disk in small
        # sorts (the default work_mem is 4 MB); SET LOCAL ends with the transaction.
        cursor.execute(f"SET LOCAL work_mem = '{MATCH_WORK_MEM}'")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names = dict(
        Skill.objects.filter(pk__in={s for r in rows for s in r[2]}).values_list("pk", "name")
    )
    for cid, pid, skill_ids, prof, sen, loc, remote, country in rows:
        result[cid].append(
            JobMatch(
                candidate_id=cid,
                position_id=pid,
                score=_score(len(skill_ids), prof, sen, loc, remote, country),
                skills=tuple(sorted(names[s] for s in skill_ids)),
                same_profession=prof,
                same_seniority=sen,
                same_location=loc,
                remote=remote,
            )
        )
    return dict(result)


_ITEM_SQL = """
WITH t(id, since) AS (
    SELECT id, to_timestamp(epoch) FROM unnest(%(ids)s::bigint[], %(since)s::float8[])
        AS u(id, epoch)
),
i AS (
    SELECT id, publish_at, lower(target_profession) AS profession,
           lower(target_sector) AS sector, target_tag
    FROM {item}
    WHERE topic = %(topic)s AND NOT archived AND publish_at <= %(now)s
      AND target_pool_id IS NULL
      AND (event_starts_at IS NULL OR event_starts_at > %(now)s)
),
matched AS (
    SELECT t.id AS cid, i.id AS iid, i.publish_at,
           row_number() OVER (PARTITION BY t.id ORDER BY i.publish_at DESC, i.id DESC) AS rn
    FROM t
    JOIN i ON i.publish_at > t.since
    JOIN {cand} c ON c.id = t.id
    WHERE (i.profession = '' OR lower(c.profession) = i.profession)
      AND (i.sector = '' OR lower(c.profession) = i.sector OR EXISTS (
            SELECT 1 FROM jsonb_array_elements_text(
                CASE WHEN jsonb_typeof(c.interests) = 'array' THEN c.interests ELSE '[]' END
            ) x WHERE lower(x) = i.sector))
      AND (i.target_tag = '' OR EXISTS (
            SELECT 1 FROM {ct} ct JOIN {tag} tg ON tg.id = ct.tag_id
            WHERE ct.content_object_id = t.id AND tg.name = i.target_tag))
)
SELECT cid, iid, publish_at FROM matched WHERE rn <= %(limit)s ORDER BY cid, rn
"""


def item_matches(
    *, targets: Sequence[Target], topic: str, now: dt.datetime, limit: int = 5
) -> dict[int, list[int]]:
    """Content item ids per candidate: published after the candidate's `since` time (events
    still to come), whose profession/sector/tag targeting fits, newest first."""
    if not targets:
        return {}
    params = {
        "ids": [t[0] for t in targets],
        # Epoch seconds: adapting 100k floats is far cheaper than 100k aware datetimes.
        "since": [t[1].timestamp() for t in targets],
        "topic": topic,
        "now": now,
        "limit": limit,
    }
    found: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(_ITEM_SQL.format(**_tables()), params)
        for cid, iid, published in cursor.fetchall():
            found[cid].append((published, iid))
    # Items aimed at a pool: a pool is a saved query (pools' contract), evaluated once per item
    # over the candidates being planned; pool targeting replaces profession/sector/tag.
    since = dict(targets)
    pool_items = (
        ContentItem.objects.published(now)
        .filter(topic=topic, target_pool__isnull=False)
        .exclude(event_starts_at__lte=now)
        .select_related("target_pool")
    )
    for item in pool_items:
        eligible = [cid for cid, start in since.items() if item.publish_at > start]
        for start in range(0, len(eligible), 20000):
            members = pool_members(item.target_pool).filter(pk__in=eligible[start : start + 20000])
            for cid in members.values_list("pk", flat=True):
                found[cid].append((item.publish_at, item.pk))
    return {
        cid: [iid for _, iid in sorted(rows, reverse=True)[:limit]] for cid, rows in found.items()
    }
