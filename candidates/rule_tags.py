"""Tags set by rules (pools' automatic tagging): candidates owns the tag rows, pools decides
which candidates a rule-set tag belongs on. The rows carry `set_by_rule=True`, so a rule never
inserts over nor removes a tag a recruiter set by hand.

No `candidates_changed` event: tags are what rules set, never what they read (announcing them
would only make pools re-run the rules that set them)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from taggit.models import Tag

from candidates.models import Candidate, CandidateTag
from candidates.services import tag_names_validate, tags_get_or_create


def rule_tag_for_name(name: str) -> Tag:
    """The tag with this name (case-insensitive, trimmed), created if missing."""
    return tags_get_or_create(tag_names_validate([name]))[0]


def rule_tags_sync(
    *, tag_id: int, matched: QuerySet[Candidate, Any] | None, scope: Q, remove: bool
) -> tuple[int, int]:
    """Make the rule-set tag `tag_id` on candidates within `scope` (a condition on
    `CandidateTag`, e.g. `content_object_id__in=ids`) equal to `matched` (a queryset of
    candidate ids, `values("pk")`; None = nobody): add it where missing in one INSERT … SELECT,
    and when `remove` drop the rule-set rows of everyone in scope not matched, in one DELETE.
    Returns (added, removed)."""
    added = removed = 0
    if matched is not None:
        # Only candidates still missing the tag: an anti-join is far cheaper than letting every
        # already-tagged row hit ON CONFLICT (which stays, for concurrent writers).
        missing = matched.exclude(
            Exists(CandidateTag.objects.filter(content_object=OuterRef("pk"), tag_id=tag_id))
        )
        sql, params = missing.query.sql_with_params()
        table = CandidateTag._meta.db_table
        candidate_col = CandidateTag._meta.get_field("content_object").column
        tag_col = CandidateTag._meta.get_field("tag").column
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{table}" ("{candidate_col}", "{tag_col}", "set_by_rule") '  # noqa: S608 (identifiers from model meta)
                f"SELECT matched.id, %s, true FROM ({sql}) AS matched (id) ON CONFLICT DO NOTHING",
                [tag_id, *params],
            )
            added = max(cursor.rowcount, 0)
    if remove:
        stale = CandidateTag.objects.filter(tag_id=tag_id, set_by_rule=True).filter(scope)
        if matched is not None:
            stale = stale.exclude(content_object_id__in=matched)
        removed, _by_model = stale.delete()
    return added, removed
