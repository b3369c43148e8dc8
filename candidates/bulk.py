"""Set-based upsert of many candidates at once (API batch upserts, integrations).

`candidate_upsert` for a list: the same rules (same email in any case = same person, fill blanks,
never overwrite or blank a field, skills added, a merged record forwards to the record it was
merged into), the same timeline entries and events, in a constant number of statements instead
of a handful per person. Everything is validated before the first write: one bad row refuses the
whole batch with its index, nothing half-done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Field
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from candidates.fields import CANDIDATE_FIELDS, LIST_FIELDS
from candidates.models import Activity, ActivityKind, Candidate, CandidateSkill, CandidateTag
from candidates.services import (
    CandidateError,
    changed_on_commit,
    normalise_email,
    skills_get_or_create,
    tag_names_validate,
    tags_get_or_create,
)
from candidates.timeline import timeline_summary
from tenants.db import Column, Each, Same, Sql, rows_insert

MAX_BATCH = 1000


class CandidateRowError(CandidateError):
    """Row `index` of a batch is invalid; `field` names the offending field ("" = the row)."""

    def __init__(self, index: int, field: str, message: str) -> None:
        super().__init__(f"Row {index}: {field + ': ' if field else ''}{message}")
        self.index, self.field, self.message = index, field, message


@dataclass
class UpsertManyResult:
    # The candidate id for each input row, in the order given (rows with the same email share
    # an id).
    ids: list[int] = field(default_factory=list)
    created: set[int] = field(default_factory=set)
    updated: set[int] = field(default_factory=set)


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


@dataclass(frozen=True)
class _Rule:
    """What the model accepts in a field, checked without a form or full_clean per row (the
    same limits: length, choices, number range)."""

    kind: str  # "text", "int" or "list"
    max_length: int | None = None
    choices: frozenset[str] | None = None


def _rule(name: str) -> _Rule:
    field = Candidate._meta.get_field(name)
    assert isinstance(field, Field)  # CANDIDATE_FIELDS are the model's own columns
    if name in LIST_FIELDS:
        return _Rule("list")
    if field.get_internal_type() in ("PositiveSmallIntegerField", "IntegerField"):
        return _Rule("int")
    choices = frozenset(str(value) for value, _ in field.flatchoices) if field.choices else None
    return _Rule("text", getattr(field, "max_length", None), choices)


_RULES = {name: _rule(name) for name in CANDIDATE_FIELDS}


def _checked(name: str, value: Any) -> Any:
    """The value to store, or ValueError with the reason."""
    rule = _RULES[name]
    if rule.kind == "list":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of strings")
        return [v.strip() for v in value if v.strip()]
    if rule.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 32767:
            raise ValueError("must be a whole number from 0 to 32767")
        return value
    if not isinstance(value, str):
        raise ValueError("must be text")
    value = value.strip().upper() if name == "country" else value.strip()
    if rule.max_length is not None and len(value) > rule.max_length:
        raise ValueError(f"at most {rule.max_length} characters")
    if rule.choices is not None and value and value not in rule.choices:
        raise ValueError(f"“{value[:40]}” is not one of {', '.join(sorted(rule.choices))}")
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def _clean_row(index: int, row: Mapping[str, Any]) -> tuple[str, dict[str, Any], list, list]:
    values = dict(row)
    try:
        email = normalise_email(str(values.pop("email", "") or ""))
    except CandidateError as exc:
        raise CandidateRowError(index, "email", str(exc)) from None
    skills = [" ".join(str(s).split())[:100] for s in values.pop("skills", None) or []]
    skills = [s for s in skills if s]
    raw_tags = values.pop("tags", None) or []
    try:
        tags = tag_names_validate(raw_tags) if raw_tags else []
    except CandidateError as exc:
        raise CandidateRowError(index, "tags", str(exc)) from None
    unknown = sorted(set(values) - set(CANDIDATE_FIELDS))
    if unknown:
        raise CandidateRowError(index, unknown[0], "unknown field")
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if _is_blank(value):
            continue
        try:
            value = _checked(name, value)
        except ValueError as exc:
            raise CandidateRowError(index, name, str(exc)) from None
        if not _is_blank(value):
            cleaned[name] = value
    return email, cleaned, skills, tags


def candidate_rows_insert(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """INSERT the people not known yet, one set-based statement (each row: "email" and any of
    CANDIDATE_FIELDS; a missing field is blank); lower(email) -> id of the rows actually inserted.
    A person created concurrently is skipped (ON CONFLICT DO NOTHING): the caller completes it.
    The one writer of new candidate rows in bulk (API batches and imports)."""
    columns: dict[str, Column] = {"email": Each("text", [row["email"] for row in rows])}
    for name in CANDIDATE_FIELDS:
        values = [row.get(name) for row in rows]
        if name in LIST_FIELDS:
            columns[name] = Each("jsonb", [v or [] for v in values])
        elif name == "years_experience":
            columns[name] = Each("int", values)
        else:
            columns[name] = Each("text", ["" if v is None else v for v in values])
    now = Sql("now()")
    columns.update(created_at=now, updated_at=now, last_activity_at=now)
    inserted = rows_insert(
        Candidate._meta.db_table,
        columns,
        on_conflict="DO NOTHING",
        returning="lower(email), id",
    )
    return dict(inserted)


def _load_locked(emails: list[str]) -> dict[str, Candidate]:
    """Existing people by lower(email), locked, merged stubs replaced by their target."""
    if not emails:
        return {}
    rows = list(
        Candidate.objects.select_for_update(of=("self",))
        .annotate(e=Lower("email"))
        .filter(e__in=emails)
        .order_by("pk")
    )
    result: dict[str, Candidate] = {}
    for row in rows:
        target: Candidate = row
        seen = {row.pk}
        while target.merged_into_id and target.merged_into_id not in seen:
            seen.add(target.merged_into_id)
            target = Candidate.objects.select_for_update().get(pk=target.merged_into_id)
        result[row.e] = target
    return result


def _pairs_insert(table: str, pairs: set[tuple[int, int]], *, tags: bool) -> set[int]:
    columns: dict[str, Column] = {
        "content_object_id": Each("bigint", [c for c, _ in pairs]),
        "tag_id": Each("bigint", [t for _, t in pairs]),
    }
    if tags:
        columns["set_by_rule"] = Sql("false")
    conflict = (
        "(content_object_id, tag_id) DO UPDATE SET set_by_rule = false WHERE t.set_by_rule"
        if tags
        else "DO NOTHING"
    )
    inserted = rows_insert(table, columns, on_conflict=conflict, returning="content_object_id")
    return {row[0] for row in inserted}


def _activities_insert(
    entries: list[tuple[int, str, dict[str, Any]]], *, actor_id: int | None, at: Any
) -> None:
    """The timeline entries (person, code, parameters) of a batch in one INSERT from arrays
    (what `activity_record_many` does, without building a model instance per row: a 1,000-person
    batch spent a third of its time there). New people's last activity is their creation."""
    rows_insert(
        Activity._meta.db_table,
        {
            "candidate_id": Each("bigint", [e[0] for e in entries]),
            "kind": Same("text", str(ActivityKind.EDIT)),
            "at": Same("timestamptz", at),
            "actor_id": Same("bigint", actor_id),
            "code": Each("text", [e[1] for e in entries]),
            "params": Each("jsonb", [e[2] for e in entries]),
            "summary": Each("text", [timeline_summary(e[1], e[2]) for e in entries]),
            "body": Sql("''"),
            "ref": Sql("''"),
            "data": Sql("'{}'::jsonb"),
        },
    )


@transaction.atomic
def candidates_upsert_many(
    *, rows: Sequence[Mapping[str, Any]], actor: User | None, source: str
) -> UpsertManyResult:
    """Create or complete up to MAX_BATCH people (each row: `email` plus CANDIDATE_FIELDS,
    `skills` and `tags` as lists of names). Raises CandidateRowError before writing anything."""
    if len(rows) > MAX_BATCH:
        raise CandidateError(f"At most {MAX_BATCH} candidates per batch.")
    cleaned = [_clean_row(i, row) for i, row in enumerate(rows)]
    # Rows for the same person combine as successive upserts would: the first value of a field
    # wins, skills and tags add up.
    merged: dict[str, dict[str, Any]] = {}
    skills: dict[str, list[str]] = {}
    tags: dict[str, list[str]] = {}
    display_email: dict[str, str] = {}
    for email, values, row_skills, row_tags in cleaned:
        key = email.lower()
        display_email.setdefault(key, email)
        target = merged.setdefault(key, {})
        for name, value in values.items():
            target.setdefault(name, value)
        skills.setdefault(key, []).extend(row_skills)
        tags.setdefault(key, []).extend(row_tags)

    existing = _load_locked(list(merged))
    new = {
        display_email[k]: {"source": source, **v} for k, v in merged.items() if k not in existing
    }
    created = candidate_rows_insert([{"email": email, **v} for email, v in new.items()])
    late = [k for k in merged if k not in existing and k not in created]
    if late:  # created by a concurrent request between our SELECT and INSERT
        existing |= _load_locked(late)

    now = timezone.now()
    to_update: dict[int, Candidate] = {}
    filled: dict[int, list[str]] = {}
    for key, candidate in existing.items():
        for name, value in merged[key].items():
            if _is_blank(getattr(candidate, name)):
                setattr(candidate, name, value)
                to_update[candidate.pk] = candidate
                filled.setdefault(candidate.pk, []).append(name)
    if to_update:
        touched = sorted({name for names in filled.values() for name in names})
        for candidate in to_update.values():
            candidate.updated_at = now
        Candidate.objects.bulk_update(list(to_update.values()), [*touched, "updated_at"])

    ids = {**created, **{k: c.pk for k, c in existing.items()}}
    skill_names = sorted({n for names in skills.values() for n in names})
    skill_ids = {s.name.lower(): s.pk for s in skills_get_or_create(skill_names)}
    skill_pairs = {(ids[k], skill_ids[n.lower()]) for k, names in skills.items() for n in names}
    tag_names = list(dict.fromkeys(n for names in tags.values() for n in names))
    tag_ids = {t.name.lower(): t.pk for t in tags_get_or_create(tag_names)} if tag_names else {}
    tag_pairs = {(ids[k], tag_ids[n.lower()]) for k, names in tags.items() for n in names}
    got_more = _pairs_insert(CandidateSkill._meta.db_table, skill_pairs, tags=False)
    got_more |= _pairs_insert(CandidateTag._meta.db_table, tag_pairs, tags=True)

    created_ids = set(created.values())
    updated_ids = (set(to_update) | got_more) - created_ids
    added = ("candidate.added_from", {"source": source}) if source else ("candidate.added", {})
    completed = "candidate.completed" if source else "candidate.completed_batch"
    _activities_insert(
        [(pk, *added) for pk in sorted(created_ids)]
        + [
            (
                pk,
                completed,
                {"source": source, "fields": filled.get(pk) or ["skills_or_tags"]}
                if source
                else {"fields": filled.get(pk) or ["skills_or_tags"]},
            )
            for pk in sorted(updated_ids)
        ],
        actor_id=actor.pk if actor and actor.pk else None,
        at=now,
    )
    if updated_ids:
        Candidate.objects.filter(pk__in=updated_ids, last_activity_at__lt=now).update(
            last_activity_at=now
        )
    changed_on_commit(created_ids, "create")
    changed_on_commit(updated_ids, "edit")
    return UpsertManyResult(
        ids=[ids[email.lower()] for email, *_ in cleaned],
        created=created_ids,
        updated=updated_ids,
    )
