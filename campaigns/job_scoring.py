"""Score every (candidate, open position) pair at once and keep the best few per candidate.

Why numpy and not SQL: a day's plan asks "the best 3 of 1,000 open positions" for up to 100k
candidates. In SQL that is a join producing every candidate x position pair that shares a skill
or a profession (over 10 million rows when a tenant has a hundred open positions per
profession), grouped, scored and window-ranked: about a minute of database time on the bench.
Here the pairs are cells of a dense candidates x positions matrix, a few thousand candidates at a
time: equality of small integer codes, one bincount for the skills overlap and an argpartition
for the top few. The same work takes a couple of seconds and its cost grows with
candidates x positions, whatever the data looks like.

The rules (the explanation shown in emails relies on them, `campaigns.matching.JobMatch`):
a position is a candidate's match when it is open, opened after the candidate's `since` time,
not already applied to, and shares a skill or the profession (case-insensitive). The score is
SKILL_POINTS per shared skill plus the profession, seniority, location (city or a desired
location), fully remote and country points; ties go to the newer position (higher id).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext

from candidates.models import (
    Application,
    Candidate,
    CandidateSkill,
    Position,
    PositionSkill,
    Skill,
)
from tenants.db import server_binding_cursor

SKILL_POINTS = 10
PROFESSION_POINTS = 5
SENIORITY_POINTS = 3
LOCATION_POINTS = 2
REMOTE_POINTS = 2
COUNTRY_POINTS = 1

# Matrix cells per chunk of candidates: a few tens of MB of temporaries at most.
CELLS_PER_CHUNK = 4_000_000
# Codes that never equal a position's code: a blank candidate field, a value no position has.
_BLANK, _UNKNOWN = -2, -3


class JobMatch(NamedTuple):
    """One of a candidate's best positions and what earned its points (a tuple: a day's plan
    makes 300k of them)."""

    candidate_id: int
    position_id: int
    score: int
    skills: tuple[str, ...]  # the shared skills' names, sorted
    same_profession: bool
    same_seniority: bool
    same_location: bool
    remote: bool

    @property
    def why(self) -> dict[str, object]:
        """The facts behind the match, kept with the planned digest and put into words in the
        reader's language when it is sent (`explain`). Short keys: stored per position for
        every planned job digest."""
        facts: dict[str, object] = {"s": list(self.skills)} if self.skills else {}
        for key, flag in (
            ("p", self.same_profession),
            ("l", self.same_seniority),
            ("r", self.remote),
            ("w", self.same_location and not self.remote),
        ):
            if flag:
                facts[key] = 1
        return facts

    @property
    def explanation(self) -> str:
        return explain(self.why)


def explain(why: dict[str, object] | str) -> str:
    """Why a job was chosen, in the active language ("Matches your skills: SQL, Python; at your
    level"). A string is an explanation written before the facts were kept: shown as it is."""
    if isinstance(why, str):
        return why
    words = _why_words(translation.get_language() or settings.LANGUAGE_CODE)
    parts = []
    skills = why.get("s")
    if isinstance(skills, list) and skills:
        parts.append(words["s"] % {"skills": ", ".join(skills)})
    parts += [words[key] for key in ("p", "l") if why.get(key)]
    if why.get("r"):
        parts.append(words["r"])
    elif why.get("w"):
        parts.append(words["w"])
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


@functools.lru_cache(maxsize=16)
def _why_words(language: str) -> dict[str, str]:
    """The words of `explain` in one language, looked up once per process (a digest batch
    explains thousands of jobs)."""
    with translation.override(language):
        return {
            "s": gettext("matches your skills: %(skills)s"),
            "p": gettext("in your profession"),
            "l": gettext("at your level"),
            "r": gettext("fully remote"),
            "w": gettext("where you want to work"),
        }


class _Codes:
    """Small integer codes for the text values positions have (a blank value gets -1)."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def position(self, value: str) -> int:
        return self._codes.setdefault(value, len(self._codes)) if value else -1

    def candidate(self, value: str) -> int:
        return self._codes.get(value, _UNKNOWN) if value else _BLANK


def _index(pairs: Iterable[tuple[object, int]]) -> dict[object, np.ndarray]:
    """key -> array of position indices, from (key, position index) pairs."""
    found: dict[object, list[int]] = defaultdict(list)
    for key, column in pairs:
        found[key].append(column)
    return {key: np.array(columns, dtype=np.int64) for key, columns in found.items()}


class _Positions:
    """The open positions as column vectors, newest (highest id) first: argmax returns the first
    of equal scores, which is then the newer position, the tie-break the rules ask for."""

    def __init__(self, *, now: dt.datetime, position_ids: Sequence[int] | None) -> None:
        qs = (
            Position.objects.filter(status="open")
            .annotate(fresh_at=Coalesce("opened_at", "created_at"))
            .filter(fresh_at__lte=now)
            .order_by("-pk")
        )
        if position_ids is not None:
            qs = qs.filter(pk__in=list(position_ids))
        rows = list(
            qs.values_list(
                "pk", "profession", "seniority", "location", "country", "remote_policy", "fresh_at"
            )
        )
        self.codes = _Codes()
        self.ids = [row[0] for row in rows]
        self.column = {pk: i for i, pk in enumerate(self.ids)}
        code = self.codes.position
        self.profession = np.array([code(r[1].lower()) for r in rows], dtype=np.int64)
        self.seniority = np.array([code(r[2]) for r in rows], dtype=np.int64)
        self.location = np.array([code(r[3].lower()) for r in rows], dtype=np.int64)
        self.country = np.array([code(r[4]) for r in rows], dtype=np.int64)
        self.remote = np.array([r[5] == "remote" for r in rows], dtype=bool)
        self.raw_location = [r[3] for r in rows]
        self.fresh_at = np.array([r[6].timestamp() for r in rows], dtype=np.float64)
        # Desired locations are compared as written (the SQL rule was jsonb `?`).
        self.by_raw_location = _index((r[3], i) for i, r in enumerate(rows) if r[3])
        skills = PositionSkill.objects.filter(content_object_id__in=self.ids).values_list(
            "content_object_id", "tag_id"
        )
        self.skills: list[set[int]] = [set() for _ in rows]
        for pk, skill in skills:
            self.skills[self.column[pk]].add(skill)
        self.by_skill = _index((skill, i) for i, ids in enumerate(self.skills) for skill in ids)
        names = dict(Skill.objects.filter(pk__in=set(self.by_skill)).values_list("pk", "name"))
        # Per position, its skills as (id, name) in name order: an explanation lists the shared
        # ones already sorted.
        self.named_skills = [
            sorted(((s, names[s]) for s in ids), key=lambda pair: pair[1]) for ids in self.skills
        ]

    def __len__(self) -> int:
        return len(self.ids)


def _desired(value: object) -> frozenset[str]:
    """The (non-blank) strings jsonb `?` would find in a desired_locations value."""
    if isinstance(value, list):
        found = [v for v in value if isinstance(v, str)]
    elif isinstance(value, dict):
        found = [k for k in value if isinstance(k, str)]
    else:
        found = [value] if isinstance(value, str) else []
    return frozenset(v for v in found if v)


def _cells(
    keys_per_row: Sequence[Iterable[object]], index: dict[object, np.ndarray], width: int
) -> np.ndarray:
    """Flat cell numbers (row * width + column) of every (row, key) pair's positions."""
    parts = [
        columns + row * width
        for row, keys in enumerate(keys_per_row)
        for key in keys
        if (columns := index.get(key)) is not None
    ]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    with server_binding_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class _Candidates:
    """The targeted candidates as row vectors (row i is the i-th candidate by ascending id)."""

    def __init__(self, targets: Sequence[tuple[int, dt.datetime]], positions: _Positions) -> None:
        since = dict(targets)
        rows = _fetch(
            f"""SELECT id, profession, seniority, city, country,
                       NULLIF(desired_locations, '[]'::jsonb)
                FROM {Candidate._meta.db_table} WHERE id = ANY(%b::bigint[]) ORDER BY id""",  # noqa: S608 (table name from the model)
            [list(since)],
        )
        self.ids = [r[0] for r in rows]
        self.row = {pk: i for i, pk in enumerate(self.ids)}
        code = positions.codes.candidate
        self.profession_list = [code(r[1].lower()) for r in rows]
        self.seniority_list = [code(r[2]) for r in rows]
        self.city_list = [code(r[3].lower()) for r in rows]
        self.profession = np.array(self.profession_list, dtype=np.int64)
        self.seniority = np.array(self.seniority_list, dtype=np.int64)
        self.city = np.array(self.city_list, dtype=np.int64)
        self.country = np.array([code(r[4]) for r in rows], dtype=np.int64)
        self.desired = [_desired(_json(r[5])) for r in rows]
        self.since = np.array([since[pk].timestamp() for pk in self.ids], dtype=np.float64)
        self.skills: list[set[int]] = [set() for _ in rows]
        for pk, skill in _fetch(
            f"""SELECT content_object_id, tag_id FROM {CandidateSkill._meta.db_table}
                WHERE content_object_id = ANY(%b::bigint[])""",  # noqa: S608 (table name from the model)
            [self.ids],
        ):
            self.skills[self.row[pk]].add(skill)
        self.applied = _fetch(
            f"""SELECT candidate_id, position_id FROM {Application._meta.db_table}
                WHERE candidate_id = ANY(%b::bigint[]) AND position_id = ANY(%b::bigint[])""",  # noqa: S608 (as above)
            [self.ids, positions.ids],
        )

    def __len__(self) -> int:
        return len(self.ids)


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str | bytes) else value


def best_positions(
    *,
    targets: Sequence[tuple[int, dt.datetime]],
    now: dt.datetime,
    limit: int,
    position_ids: Sequence[int] | None = None,
) -> dict[int, list[JobMatch]]:
    """The best `limit` positions per candidate id in `targets` (id, since), best first."""
    if not targets or limit < 1:
        return {}
    positions = _Positions(now=now, position_ids=position_ids)
    if not len(positions):
        return {}
    candidates = _Candidates(targets, positions)
    chunk = max(256, CELLS_PER_CHUNK // len(positions))
    found: dict[int, list[JobMatch]] = {}
    for start in range(0, len(candidates), chunk):
        found.update(_score_chunk(positions, candidates, slice(start, start + chunk), limit))
    return found


def _score_chunk(
    positions: _Positions, candidates: _Candidates, rows: slice, limit: int
) -> dict[int, list[JobMatch]]:
    ids = candidates.ids[rows]
    skills = candidates.skills[rows]
    width = len(positions)
    overlap = np.bincount(
        _cells(skills, positions.by_skill, width), minlength=len(ids) * width
    ).reshape(len(ids), width)
    profession = candidates.profession[rows, None] == positions.profession
    seniority = candidates.seniority[rows, None] == positions.seniority
    country = candidates.country[rows, None] == positions.country
    location = candidates.city[rows, None] == positions.location
    desired = _cells(candidates.desired[rows], positions.by_raw_location, width)
    location.reshape(-1)[desired] = True
    fresh = positions.fresh_at > candidates.since[rows, None]
    eligible = ((overlap > 0) | profession) & fresh
    first = rows.start
    for pk, position in candidates.applied:
        row = candidates.row[pk] - first
        if 0 <= row < len(ids):
            eligible[row, positions.column[position]] = False

    # int16 scores (-1: no match): the matrices are scanned a dozen times, so the narrower the
    # cells the faster; a score only exceeds 2**15 with thousands of shared skills.
    score = overlap.astype(np.int16) * np.int16(SKILL_POINTS)
    for matrix, points in (
        (profession, PROFESSION_POINTS),
        (seniority, SENIORITY_POINTS),
        (location, LOCATION_POINTS),
        (country, COUNTRY_POINTS),
    ):
        score += matrix * np.int16(points)
    score += (positions.remote * REMOTE_POINTS).astype(np.int16)
    score[~eligible] = -1
    # The best `limit` per row by repeated argmax (vectorised) rather than an argpartition.
    all_rows = np.arange(len(ids))
    best_columns, best_scores = [], []
    for _ in range(min(limit, width)):
        column = score.argmax(axis=1)
        best_columns.append(column.tolist())
        best_scores.append(score[all_rows, column].tolist())
        score[all_rows, column] = -1
    return _matches(positions, candidates, rows, best_columns, best_scores)


def _matches(
    positions: _Positions,
    candidates: _Candidates,
    rows: slice,
    best_columns: list[list[int]],
    best_scores: list[list[int]],
) -> dict[int, list[JobMatch]]:
    prof, sen, city = (
        positions.profession.tolist(),
        positions.seniority.tolist(),
        positions.location.tolist(),
    )
    remote = positions.remote.tolist()
    position_ids, named_skills, raw_location = (
        positions.ids,
        positions.named_skills,
        positions.raw_location,
    )
    found: dict[int, list[JobMatch]] = {}
    # Plain loops over lists with positional tuples: this builds 300k matches on a first day.
    for r in range(rows.start, min(rows.stop, len(candidates))):
        r_local = r - rows.start
        cid, skills, desired = candidates.ids[r], candidates.skills[r], candidates.desired[r]
        c_prof, c_sen, c_city = (
            candidates.profession_list[r],
            candidates.seniority_list[r],
            candidates.city_list[r],
        )
        best = []
        for columns, scores in zip(best_columns, best_scores, strict=True):
            col, score = columns[r_local], scores[r_local]
            if score < 0:
                break
            best.append(
                JobMatch(
                    cid,
                    position_ids[col],
                    score,
                    tuple(n for s, n in named_skills[col] if s in skills),
                    c_prof == prof[col],
                    c_sen == sen[col],
                    c_city == city[col] or raw_location[col] in desired,
                    remote[col],
                )
            )
        if best:
            found[cid] = best
    return found
