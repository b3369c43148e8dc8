from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from taggit.models import Tag

from accounts.models import User
from accounts.services import audit_log_record
from candidates.models import Candidate, Stage
from candidates.rule_tags import rule_tag_for_name, rule_tags_sync
from candidates.services import CandidateError
from pools.models import Pool, PoolKind, PoolMember, RuleRun, RuleRunStatus, TagRule
from pools.rules import rule_condition

logger = logging.getLogger(__name__)

# Fact changes touching at most settings.POOLS_RULES_SYNC_LIMIT candidates are re-evaluated in the
# request; larger sets (imports) go to the worker in chunks of RULES_CHUNK ids.
RULES_CHUNK = 5000
# A full re-application commits and reports progress after each range of this many candidate ids.
RULE_RUN_BATCH = 20000


class PoolError(Exception):
    """A pool or rule action was refused; the message is shown to the user."""


@dataclass
class RuleApplyResult:
    added: int = 0
    removed: int = 0

    def __iadd__(self, other: RuleApplyResult) -> RuleApplyResult:
        self.added += other.added
        self.removed += other.removed
        return self


# --- Tagging rules: evaluation ------------------------------------------------------------------


def _scope_q(
    field: str, candidate_ids: Sequence[int] | None, id_range: tuple[int, int] | None
) -> Q:
    if candidate_ids is not None:
        return Q(**{f"{field}__in": list(candidate_ids)})
    if id_range is not None:
        return Q(**{f"{field}__gte": id_range[0], f"{field}__lt": id_range[1]})
    return Q()


def _apply_tag(
    tag_id: int,
    rules: list[TagRule],
    *,
    candidate_ids: Sequence[int] | None,
    id_range: tuple[int, int] | None,
) -> RuleApplyResult:
    """Make the rule-set `tag_id` tags in scope equal to what `rules` justify, in two statements.

    A tag a recruiter set by hand (set_by_rule=False) is never inserted over nor removed. If one
    of the rules for the tag cannot run (deleted stage...), nothing is removed for that tag: we
    cannot tell which candidates it still justifies.
    """
    runnable = [rule for rule in rules if not rule.problem]
    frozen = len(runnable) != len(rules)
    result = RuleApplyResult()
    matched = None
    if runnable:
        condition = Q()
        for rule in runnable:
            condition |= rule_condition(rule)
        matched = (
            Candidate.objects.active()
            .filter(condition)
            .filter(_scope_q("pk", candidate_ids, id_range))
            .order_by()
            .values("pk")
        )
    result.added, result.removed = rule_tags_sync(
        tag_id=tag_id,
        matched=matched,
        scope=_scope_q("content_object_id", candidate_ids, id_range),
        remove=not frozen,
    )
    return result


def _rules_by_tag(tag_ids: Iterable[int] = ()) -> dict[int, list[TagRule]]:
    """Active rules grouped by the tag they set, plus an empty group for each of `tag_ids` (tags
    whose rule was deleted or switched off, so their rule-set tags get cleaned up)."""
    groups: dict[int, list[TagRule]] = defaultdict(list)
    for tag_id in tag_ids:
        groups[tag_id]
    for rule in TagRule.objects.filter(is_active=True, tag__isnull=False):
        assert rule.tag_id is not None  # filtered on
        groups[rule.tag_id].append(rule)
    return groups


@transaction.atomic
def tag_rules_apply(
    *,
    candidate_ids: Sequence[int] | None = None,
    id_range: tuple[int, int] | None = None,
    tag_ids: Iterable[int] | None = None,
) -> RuleApplyResult:
    """Evaluate the rules for some candidates (ids, an id range) or everyone (neither given).

    `tag_ids` limits the work to those tags (a rule was just saved or deleted).
    """
    groups = _rules_by_tag(tag_ids or ())
    if tag_ids is not None:
        wanted = set(tag_ids)
        groups = {tag_id: rules for tag_id, rules in groups.items() if tag_id in wanted}
    result = RuleApplyResult()
    if candidate_ids is not None and not candidate_ids:
        return result
    for tag_id, rules in groups.items():
        result += _apply_tag(tag_id, rules, candidate_ids=candidate_ids, id_range=id_range)
    return result


def tag_rules_apply_for_candidates(*, candidate_ids: Sequence[int]) -> RuleApplyResult | None:
    """Re-evaluate the rules after facts about these candidates changed: in the request for a
    few, on the worker for many (returns None then)."""
    ids = sorted({int(pk) for pk in candidate_ids})
    if len(ids) <= settings.POOLS_RULES_SYNC_LIMIT:
        return tag_rules_apply(candidate_ids=ids)
    from pools.tasks import tag_rules_apply_task

    for start in range(0, len(ids), RULES_CHUNK):
        chunk = ids[start : start + RULES_CHUNK]
        transaction.on_commit(partial(tag_rules_apply_task.delay, chunk))
    return None


# --- Tagging rules: editing ---------------------------------------------------------------------


def tag_for_name(name: str) -> Tag:
    """The tag with this name (case-insensitive), created if missing."""
    try:
        return rule_tag_for_name(name)
    except CandidateError as error:
        raise PoolError(str(error)) from None


_RULE_FIELDS = (
    "name",
    "is_active",
    "outcome",
    "min_stage",
    "skill",
    "seniority",
    "country",
    "age_bracket",
    "source",
    "profession",
)


@transaction.atomic
def tag_rule_save(
    *, actor: User | None, rule: TagRule | None = None, tag_name: str, **fields: Any
) -> TagRule:
    """Create or update a rule and apply it to everyone at once (set-based, one tag)."""
    rule = rule or TagRule(created_by=actor)
    previous_tag_id = rule.tag_id
    unknown = set(fields) - set(_RULE_FIELDS)
    if unknown:
        raise PoolError(
            _("Unknown rule fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    for key, value in fields.items():
        setattr(rule, key, value)
    rule.name = rule.name.strip()
    if not rule.name:
        raise PoolError(_("The rule needs a name."))
    if TagRule.objects.filter(name__iexact=rule.name).exclude(pk=rule.pk).exists():
        raise PoolError(_("A rule named “%(name)s” already exists.") % {"name": rule.name})
    rule.country = (rule.country or "").strip().upper()
    stage: Stage | None = rule.min_stage
    rule.min_stage_name = stage.name if stage else ""
    tag = tag_for_name(tag_name)
    rule.tag, rule.tag_name = tag, tag.name
    if not rule.has_condition:
        raise PoolError(_("Give the rule at least one condition, or it would tag everyone."))
    rule.save()
    audit_log_record(
        actor=actor, action="pools.rule_saved", target=rule.name, details={"tag": tag.name}
    )
    affected = {tag.pk} | ({previous_tag_id} if previous_tag_id else set())
    limit = settings.POOLS_RULE_SAVE_SYNC_CANDIDATES
    if Candidate.objects.count() <= limit:
        tag_rules_apply(tag_ids=affected)
    else:
        rule_run_start(actor=actor)
    return rule


@transaction.atomic
def tag_rule_delete(*, actor: User | None, rule: TagRule) -> None:
    """Delete a rule and take back the tags only it justified (hand-set tags stay)."""
    tag_id = rule.tag_id
    name = rule.name
    rule.delete()
    audit_log_record(actor=actor, action="pools.rule_deleted", target=name)
    if tag_id:
        tag_rules_apply(tag_ids=[tag_id])


# --- Tagging rules: re-apply to everyone --------------------------------------------------------


@transaction.atomic
def rule_run_start(*, actor: User | None) -> RuleRun:
    """Queue a re-application of every rule to everyone; an unfinished run is returned instead
    of starting a second one."""
    stale_before = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    RuleRun.objects.filter(
        status__in=[RuleRunStatus.QUEUED, RuleRunStatus.RUNNING], created_at__lt=stale_before
    ).update(
        status=RuleRunStatus.FAILED,
        # Stored in English, shown translated (templates/pools/_run.html).
        error=gettext_noop("The worker did not finish this run in time."),
        finished_at=timezone.now(),
    )
    running = (
        RuleRun.objects.select_for_update()
        .filter(status__in=[RuleRunStatus.QUEUED, RuleRunStatus.RUNNING])
        .first()
    )
    if running:
        return running
    run = RuleRun.objects.create(requested_by=actor)
    audit_log_record(actor=actor, action="pools.rules_reapplied", target=f"#{run.pk}")
    from pools.tasks import rule_run_task

    transaction.on_commit(lambda: rule_run_task.delay(run.pk))
    return run


def rule_run_execute(*, run: RuleRun) -> RuleRun:
    """Apply every rule to everyone in id ranges, committing and reporting progress per range."""
    if run.is_finished:
        return run
    bounds = Candidate.objects.aggregate(low=Min("pk"), high=Max("pk"))
    run.status = RuleRunStatus.RUNNING
    run.started_at = timezone.now()
    run.total = Candidate.objects.count()
    run.processed = run.tags_added = run.tags_removed = 0
    run.save(
        update_fields=["status", "started_at", "total", "processed", "tags_added", "tags_removed"]
    )
    try:
        low, high = bounds["low"], bounds["high"]
        if low is not None:
            for start in range(low, high + 1, RULE_RUN_BATCH):
                id_range = (start, start + RULE_RUN_BATCH)
                result = tag_rules_apply(id_range=id_range)
                run.processed += Candidate.objects.filter(
                    pk__gte=id_range[0], pk__lt=id_range[1]
                ).count()
                run.tags_added += result.added
                run.tags_removed += result.removed
                run.save(update_fields=["processed", "tags_added", "tags_removed"])
    except Exception as exc:
        run.status = RuleRunStatus.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status = RuleRunStatus.DONE
    run.processed = run.total
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "processed", "finished_at"])
    return run


# --- Pools --------------------------------------------------------------------------------------


def _pool_name_check(name: str, pool: Pool | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise PoolError(_("The pool needs a name."))
    if len(name) > 120:
        raise PoolError(_("A pool name has at most 120 characters."))
    clash = Pool.objects.filter(name__iexact=name)
    if pool is not None and pool.pk:
        clash = clash.exclude(pk=pool.pk)
    if clash.exists():
        raise PoolError(_("A pool named “%(name)s” already exists.") % {"name": name})
    return name


@transaction.atomic
def pool_save(
    *,
    actor: User | None,
    name: str,
    pool: Pool | None = None,
    kind: str = PoolKind.SMART,
    description: str = "",
    criteria: dict[str, Any] | None = None,
) -> Pool:
    """Create or update a pool. A smart pool stores its criteria (cleaned values from
    `candidates.criteria.CriteriaForm`) as JSON and is evaluated on every read."""
    from candidates.criteria import CriteriaError, criteria_to_json
    from pools.selectors import smart_pool_queryset

    creating = pool is None
    if pool is None:
        if kind not in PoolKind.values:
            raise PoolError(_("Unknown kind of pool %(kind)r.") % {"kind": kind})
        pool = Pool(kind=kind, created_by=actor)
    pool.name = _pool_name_check(name, pool)
    pool.description = description.strip()
    if pool.kind == PoolKind.SMART:
        try:
            pool.criteria = criteria_to_json(criteria or {})
        except CriteriaError as exc:
            raise PoolError(str(exc)) from None
        if not pool.criteria:
            raise PoolError(
                _("Choose at least one criterion: a smart pool without any would hold everyone.")
            )
    pool.save()
    if pool.kind == PoolKind.SMART:
        try:
            # Evaluated once now so a pool that refers to itself is refused, not saved broken.
            smart_pool_queryset(pool)
        except CriteriaError as exc:
            raise PoolError(str(exc)) from None
    audit_log_record(
        actor=actor,
        action="pools.pool_created" if creating else "pools.pool_updated",
        target=pool.name,
        details={"kind": pool.kind, "criteria": pool.criteria},
    )
    return pool


@transaction.atomic
def pool_delete(*, actor: User | None, pool: Pool) -> None:
    name = pool.name
    pool.delete()
    audit_log_record(actor=actor, action="pools.pool_deleted", target=name)


def _static_only(pool: Pool) -> None:
    if pool.kind != PoolKind.STATIC:
        raise PoolError(
            _(
                "“%(name)s” is a smart pool: its members follow its criteria. "
                "Add people to a static pool instead."
            )
            % {"name": pool.name}
        )


@transaction.atomic
def pool_members_add(*, actor: User | None, pool: Pool, candidates: Any) -> int:
    """Add candidates (a queryset or ids) to a static pool in one statement; returns how many
    were new. Merged and anonymised records are left out."""
    _static_only(pool)
    if isinstance(candidates, list | tuple | set):
        candidates = Candidate.objects.filter(pk__in=list(candidates))
    chosen = (
        candidates.filter(anonymised_at__isnull=True, merged_into__isnull=True)
        .order_by()
        .values("pk")
    )
    sql, params = chosen.query.sql_with_params()
    actor_id = actor.pk if actor and actor.pk else None
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{PoolMember._meta.db_table}" '  # noqa: S608 (identifiers from model meta)
            '("pool_id", "candidate_id", "added_by_id", "added_at") '
            f"SELECT %s, chosen.id, %s, %s FROM ({sql}) AS chosen (id) ON CONFLICT DO NOTHING",
            [pool.pk, actor_id, timezone.now(), *params],
        )
        added = max(cursor.rowcount, 0)
    audit_log_record(
        actor=actor, action="pools.members_added", target=pool.name, details={"added": added}
    )
    return added


@transaction.atomic
def pool_members_remove(*, actor: User | None, pool: Pool, candidates: Any) -> int:
    _static_only(pool)
    if isinstance(candidates, list | tuple | set):
        candidates = Candidate.objects.filter(pk__in=list(candidates))
    removed, _by_model = PoolMember.objects.filter(
        pool=pool, candidate_id__in=candidates.order_by().values("pk")
    ).delete()
    audit_log_record(
        actor=actor, action="pools.members_removed", target=pool.name, details={"removed": removed}
    )
    return removed
