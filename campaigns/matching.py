"""Who should hear about what: job offers by skills overlap first, content items by targeting.

Job offers are scored in `campaigns.job_scoring` (every candidate x open position at once); content
items in one SQL statement over all the candidates being planned (the candidate ids travel as
arrays with, per candidate, the time from which content counts as new). A day's planning for
100k candidates is a handful of queries, not 100k.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from campaigns.job_scoring import JobMatch, best_positions
from campaigns.models import ContentItem
from candidates.models import Candidate, CandidateTag
from pools.selectors import pool_members
from tenants.db import server_binding_cursor

Target = tuple[int, dt.datetime]
__all__ = ["JobMatch", "item_matches", "job_matches"]


def _tables() -> dict[str, str]:
    return {
        "cand": Candidate._meta.db_table,
        "ct": CandidateTag._meta.db_table,
        "tag": CandidateTag._meta.get_field("tag").related_model._meta.db_table,
        "item": ContentItem._meta.db_table,
    }


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
    return best_positions(targets=targets, now=now, limit=limit, position_ids=position_ids)


_ITEM_SQL = """
WITH t(id, since) AS (
    SELECT id, to_timestamp(epoch) FROM unnest(%(ids)b::bigint[], %(since)b::float8[])
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
    params: dict[str, Any] = {
        "ids": [t[0] for t in targets],
        # Epoch seconds: adapting 100k floats is far cheaper than 100k aware datetimes.
        "since": [t[1].timestamp() for t in targets],
        "topic": topic,
        "now": now,
        "limit": limit,
    }
    found: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    with server_binding_cursor() as cursor:
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
        pool = item.target_pool
        assert pool is not None  # filtered on
        eligible = [cid for cid, start in since.items() if item.publish_at > start]
        for start in range(0, len(eligible), 20000):
            members = pool_members(pool).filter(pk__in=eligible[start : start + 20000])
            for cid in members.values_list("pk", flat=True):
                found[cid].append((item.publish_at, item.pk))
    return {
        cid: [iid for _, iid in sorted(rows, reverse=True)[:limit]] for cid, rows in found.items()
    }
