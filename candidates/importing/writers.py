"""Writing validated import records: every write is an idempotent upsert (fill blanks only),
so re-importing the same file changes nothing and a resumed job never duplicates a row.

Imported past rejections do NOT send `application_outcome_changed`: the feedback app must not
email people rejected years ago. Only `candidates_changed(reason="import")` is sent."""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext

from candidates.bulk import candidate_rows_insert
from candidates.fields import CANDIDATE_FIELDS
from candidates.importing.records import Record, column_of
from candidates.models import (
    Activity,
    ActivityKind,
    Application,
    Candidate,
    CandidateSkill,
    CandidateTag,
    ImportJob,
    Outcome,
    Position,
    PositionStatus,
    Stage,
)
from candidates.services import changed_on_commit, skills_get_or_create, tags_get_or_create
from candidates.timeline import timeline_entry, timeline_summary
from tenants.db import Column, Each, Same, Sql, rows_insert

MAX_STORED_ERRORS = 5000


class Superseded(Exception):
    """Another run of the same job committed this chunk first; this run stops."""


class Writer(abc.ABC):
    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.actor_id = job.created_by_id

    def write_chunk(self, records: list[Record]) -> None:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=self.job.pk)
            # purged: an erasure deleted the file mid-run; it must not bring the person back.
            if job.cursor != self.job.cursor or job.purged_at is not None:
                raise Superseded
            valid = [r for r in records if not r.errors]
            created, updated, unchanged, changed_ids = self.write(valid)
            errors = [
                {"line": r.line, "column": c, "reason": reason}
                for r in records
                for c, reason in r.errors
            ]
            room = max(0, MAX_STORED_ERRORS - len(job.errors))
            job.errors = job.errors + errors[:room]
            job.error_count += sum(1 for r in records if r.errors)
            job.created_count += created
            job.updated_count += updated
            job.unchanged_count += unchanged
            job.cursor += len(records)
            job.save(
                update_fields=[
                    "errors",
                    "error_count",
                    "created_count",
                    "updated_count",
                    "unchanged_count",
                    "cursor",
                    "updated_at",
                ]
            )
            changed_on_commit(changed_ids, "import")
            self.job = job

    @abc.abstractmethod
    def write(self, records: list[Record]) -> tuple[int, int, int, list[int]]:
        """Upsert one chunk; return (created, updated, unchanged, changed candidate ids)."""

    def activities(self, candidate_ids: list[int], code: str) -> None:
        if not candidate_ids:
            return
        params = {"file": self.job.original_name}
        rows_insert(
            Activity._meta.db_table,
            {
                "candidate_id": Each("bigint", candidate_ids),
                "kind": Same("text", str(ActivityKind.IMPORT)),
                "at": Sql("now()"),
                "actor_id": Same("bigint", self.actor_id),
                "code": Same("text", code),
                "params": Each("jsonb", [params] * len(candidate_ids)),
                "summary": Same("text", timeline_summary(code, params)),
                "body": Sql("''"),
                "ref": Same("text", f"candidates.importjob:{self.job.pk}"),
                "data": Sql("'{}'::jsonb"),
            },
        )

    def upsert_candidates(
        self, records: list[Record], fields: tuple[str, ...]
    ) -> tuple[dict[str, int], set[int], set[int]]:
        """Fill-blanks upsert by email; (lower email -> id, created ids, updated ids).

        New people are inserted with one INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO
        NOTHING (a handful of parameters instead of one per cell: this is where the time of a
        bulk import goes); the ones that conflicted already exist and are completed instead.
        """
        by_email: dict[str, dict[str, Any]] = {}
        for record in records:
            by_email.setdefault(record.values["email"].lower(), record.values)
        created = candidate_rows_insert(
            [
                {"source": "import"}
                | {k: v for k, v in values.items() if k in fields or k == "email"}
                for values in by_email.values()
            ]
        )
        found = self._load([e for e in by_email if e not in created])
        to_update: dict[int, Candidate] = {}
        touched_fields: set[str] = set()
        for email, candidate in found.items():
            values = by_email[email]
            for key in fields:
                value = values.get(key)
                if value in (None, "", []):
                    continue
                if getattr(candidate, key) in (None, "", []):
                    setattr(candidate, key, value)
                    to_update[candidate.pk] = candidate
                    touched_fields.add(key)
        if to_update:
            Candidate.objects.bulk_update(
                list(to_update.values()), [*sorted(touched_fields), "updated_at"]
            )
        ids = {**created, **{email: c.pk for email, c in found.items()}}
        return ids, set(created.values()), set(to_update)

    def _load(self, emails: list[str]) -> dict[str, Candidate]:
        if not emails:
            return {}
        rows = list(Candidate.objects.annotate(e=Lower("email")).filter(e__in=emails))
        forwards = {c.merged_into_id for c in rows if c.merged_into_id}
        targets = Candidate.objects.in_bulk(forwards) if forwards else {}
        now = timezone.now()
        result = {}
        for c in rows:
            target = targets.get(c.merged_into_id, c) if c.merged_into_id else c
            target.updated_at = now
            result[c.e] = target
        return result


class CandidateWriter(Writer):
    FIELDS = CANDIDATE_FIELDS

    def write(self, records: list[Record]) -> tuple[int, int, int, list[int]]:
        if not records:
            return 0, 0, 0, []
        ids, created, updated = self.upsert_candidates(records, self.FIELDS)
        updated |= self._relations(records, ids, "skills", CandidateSkill, skills_get_or_create)
        updated |= self._relations(records, ids, "tags", CandidateTag, tags_get_or_create)
        updated -= created
        self.activities(sorted(created), "import.created")
        self.activities(sorted(updated), "import.completed")
        Candidate.objects.filter(pk__in=updated).update(last_activity_at=timezone.now())
        unchanged = len(records) - len(created) - len(updated)
        return len(created), len(updated), max(0, unchanged), sorted(created | updated)

    def _relations(
        self,
        records: list[Record],
        ids: dict[str, int],
        key: str,
        through: Any,
        resolve: Callable[[list[str]], list[Any]],
    ) -> set[int]:
        """Add skills/tags; returns the candidates that got a new one."""
        wanted: dict[int, list[str]] = {}
        for record in records:
            names = record.values.get(key)
            if names:
                wanted.setdefault(ids[record.values["email"].lower()], []).extend(names)
        if not wanted:
            return set()
        all_names = sorted({n for names in wanted.values() for n in names})
        objects = {o.name.lower(): o.pk for o in resolve(all_names)}
        pairs = {
            (cid, objects[name.lower()])
            for cid, names in wanted.items()
            for name in names
            if name.lower() in objects
        }
        columns: dict[str, Column] = {
            "content_object_id": Each("bigint", [c for c, _ in pairs]),
            "tag_id": Each("bigint", [t for _, t in pairs]),
        }
        if through is CandidateTag:
            columns["set_by_rule"] = Sql("false")
        inserted = rows_insert(
            through._meta.db_table,
            columns,
            on_conflict="DO NOTHING",
            returning="content_object_id",
        )
        return {row[0] for row in inserted}


class ApplicationWriter(Writer):
    def __init__(self, job: ImportJob) -> None:
        super().__init__(job)
        self.stages = {}
        for stage in Stage.objects.all():
            self.stages[stage.slug.lower()] = stage
            self.stages[stage.name.lower()] = stage

    def write(self, records: list[Record]) -> tuple[int, int, int, list[int]]:
        usable = []
        for record in records:
            stage = self.stages.get(record.values.get("stage", "").lower())
            if stage is None:
                record.errors.append(
                    (
                        column_of(self.job.mapping, "stage"),
                        gettext("Unknown stage “%(value)s” (known: %(known)s).")
                        % {
                            "value": record.values.get("stage", "")[:40],
                            "known": ", ".join(sorted({s.name for s in self.stages.values()})),
                        },
                    )
                )
            else:
                record.values["stage_obj"] = stage
                usable.append(record)
        if not usable:
            return 0, 0, 0, []
        ids, _created, _updated = self.upsert_candidates(usable, ("first_name", "last_name"))
        titles = {r.values["position"] for r in usable}
        positions: dict[str, Position] = {}
        matching = Position.objects.annotate(lower_title=Lower("title")).filter(
            lower_title__in=[t.lower() for t in titles]
        )
        for p in matching.order_by("-status", "pk"):
            positions.setdefault(p.title.lower(), p)
        missing = [t for t in dict.fromkeys(titles) if t.lower() not in positions]
        for title in missing:
            # Past openings: they exist so history is kept, but are not advertised.
            position = Position.objects.create(
                title=title, status=PositionStatus.CLOSED, closed_at=timezone.now()
            )
            positions[title.lower()] = position
        pairs = {
            (ids[r.values["email"].lower()], positions[r.values["position"].lower()].pk): r
            for r in usable
        }
        existing = {
            (a.candidate_id, a.position_id): a
            for a in Application.objects.select_related("furthest_stage").filter(
                candidate_id__in={c for c, _ in pairs}, position_id__in={p for _, p in pairs}
            )
        }
        new, changed = [], []
        for (cid, pid), record in pairs.items():
            stage = record.values["stage_obj"]
            outcome = record.values.get("outcome", Outcome.ACTIVE)
            at = record.values.get("applied_at") or timezone.now()
            app = existing.get((cid, pid))
            if app is None:
                new.append(
                    Application(
                        candidate_id=cid,
                        position_id=pid,
                        stage=stage,
                        furthest_stage=stage,
                        outcome=outcome,
                        source="import",
                        applied_at=at,
                        outcome_at=at if outcome != Outcome.ACTIVE else None,
                    )
                )
                continue
            dirty = False
            if stage.order > app.furthest_stage.order:
                app.furthest_stage = stage
                if app.outcome == Outcome.ACTIVE:
                    app.stage = stage
                dirty = True
            if app.outcome == Outcome.ACTIVE and outcome != Outcome.ACTIVE:
                app.outcome, app.outcome_at = outcome, at
                dirty = True
            if dirty:
                changed.append(app)
        Application.objects.bulk_create(new, ignore_conflicts=True)
        if changed:
            Application.objects.bulk_update(
                changed, ["stage", "furthest_stage", "outcome", "outcome_at"]
            )
        names = {p.pk: p.title for p in positions.values()}
        created_ids = sorted({a.candidate_id for a in new})
        Activity.objects.bulk_create(
            [
                timeline_entry(
                    code="application.imported",
                    params={
                        "position": names[app.position_id],
                        "stage": app.furthest_stage.name,
                        "outcome": app.outcome,
                    },
                    candidate_id=app.candidate_id,
                    kind=ActivityKind.IMPORT,
                    actor_id=self.actor_id,
                    ref=f"candidates.importjob:{self.job.pk}",
                    at=app.applied_at,
                )
                for app in new
            ]
        )
        changed_ids = sorted(set(created_ids) | {a.candidate_id for a in changed})
        unchanged = len(usable) - len(new) - len(changed)
        return len(new), len(changed), max(0, unchanged), changed_ids


def _new_row(values: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """A new person's row: the mapped fields only, the source "import" unless the file says."""
    row = {key: value for key, value in values.items() if key == "email" or key in fields}
    row["source"] = row.get("source") or "import"
    return row
