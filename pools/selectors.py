from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from candidates.criteria import CriteriaError, apply_criteria, criteria_from_json
from candidates.models import Candidate, Seniority
from pools.models import Pool, PoolKind, PoolMember

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Smart pools may use "member of pool"; this stack of pools being evaluated stops a pool that
# (through others) refers to itself from recursing forever.
_evaluating: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "pools_evaluating", default=()
)
MAX_POOL_NESTING = 5


@contextmanager
def _evaluating_pool(pool: Pool) -> Iterator[None]:
    stack = _evaluating.get()
    if pool.pk in stack:
        raise CriteriaError(
            gettext("The pool “%(name)s” refers to itself through “member of pool”.")
            % {"name": pool.name}
        )
    if len(stack) >= MAX_POOL_NESTING:
        raise CriteriaError(
            gettext("Pools are nested more than %(n)s levels deep.") % {"n": MAX_POOL_NESTING}
        )
    token = _evaluating.set((*stack, pool.pk))
    try:
        yield
    finally:
        _evaluating.reset(token)


def smart_pool_queryset(pool: Pool, base: QuerySet | None = None) -> QuerySet:
    """The members of a smart pool; raises CriteriaError when its criteria cannot be read
    (a deleted tag or stage...)."""
    base = Candidate.objects.active() if base is None else base
    with _evaluating_pool(pool):
        return apply_criteria(base, criteria_from_json(pool.criteria))


def pool_members(pool: Pool) -> QuerySet:
    """Candidates in the pool (the contract other apps use, e.g. campaigns).

    A smart pool whose saved criteria no longer make sense has NO members rather than more: a
    deleted tag must never widen an audience. `pool_problem` tells the user why.
    """
    base = Candidate.objects.active()
    if pool.kind == PoolKind.STATIC:
        return base.filter(
            Exists(PoolMember.objects.filter(pool_id=pool.pk, candidate=OuterRef("pk")))
        )
    try:
        return smart_pool_queryset(pool, base)
    except CriteriaError:
        return base.none()


def pool_criteria(pool: Pool) -> dict[str, Any]:
    """A smart pool's saved criteria as cleaned values; raises CriteriaError when unreadable."""
    return criteria_from_json(pool.criteria)


def pool_problem(pool: Pool) -> str:
    """Why a smart pool shows no one although it might ("" when its criteria are fine)."""
    if pool.kind != PoolKind.SMART:
        return ""
    try:
        smart_pool_queryset(pool)
    except CriteriaError as exc:
        return str(exc)
    return ""


def criteria_conflicts(cleaned: dict[str, Any]) -> list[str]:
    """Criteria that contradict each other, so the result is necessarily empty."""
    notes: list[str] = []

    def names(key: str) -> set[str]:
        return {str(value) for value in cleaned.get(key) or []}

    required, excluded = names("tags_all"), names("tags_none")
    both = sorted(required & excluded)
    if both:
        notes.append(
            ngettext(
                "Tag %(tags)s is both required and excluded, so no candidate can match.",
                "Tags %(tags)s are both required and excluded, so no candidate can match.",
                len(both),
            )
            % {"tags": ", ".join(both)}
        )
    anyof = names("tags_any")
    if anyof and anyof <= excluded:
        notes.append(
            gettext("Every “tags (any of)” tag is also excluded, so no candidate can match.")
        )
    since, before = cleaned.get("active_since"), cleaned.get("active_before")
    if since and before and since >= before:
        notes.append(
            gettext(
                "“Last activity since” is not before “last activity before”, "
                "so no candidate can match."
            )
        )
    return notes


def pool_breakdown(
    members: QuerySet, limit: int = 8
) -> list[tuple[str, list[tuple[StrOrPromise, int]]]]:
    """Top values of profession, seniority and country among the members."""
    seniority_labels = dict(Seniority.choices)
    result = []
    for field, title in [
        ("profession", gettext("Profession")),
        ("seniority", gettext("Seniority")),
        ("country", gettext("Country")),
    ]:
        rows = (
            members.order_by().values(field).annotate(n=Count("pk")).order_by("-n", field)[:limit]
        )
        items = []
        for row in rows:
            value = row[field] or ""
            label = seniority_labels.get(value, value) if field == "seniority" else value
            items.append((label or gettext("Not set"), row["n"]))
        result.append((title, items))
    return result


def dashboard_panel(request: Any) -> dict[str, Any]:
    """Pools at a glance (names only: member counts are computed on the pool pages)."""
    from pools.models import TagRule

    rules = list(TagRule.objects.filter(is_active=True).select_related("tag"))
    return {
        "pools": list(Pool.objects.order_by("-updated_at")[:6]),
        "pool_total": Pool.objects.count(),
        "broken_rules": [rule for rule in rules if rule.problem],
    }


def static_pools() -> QuerySet:
    return Pool.objects.filter(kind=PoolKind.STATIC).order_by("name")


# --- "Member of pool" criterion (registered with candidates.criteria in PoolsConfig.ready) -----


def member_of_pool_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Pool.objects.order_by("name"),
        label=_("Member of pool"),
        error_messages={
            "invalid_choice": _("The pool %(value)s does not exist any more (deleted?).")
        },
    )


def member_of_pool_apply(queryset: QuerySet, pools: Any, _: dict[str, Any]) -> QuerySet:
    """Candidates in any of the chosen pools."""
    static_ids = [pool.pk for pool in pools if pool.kind == PoolKind.STATIC]
    condition = Q(pk__in=[])
    if static_ids:
        condition |= Q(
            Exists(PoolMember.objects.filter(pool_id__in=static_ids, candidate=OuterRef("pk")))
        )
    for pool in pools:
        if pool.kind != PoolKind.SMART:
            continue
        try:
            condition |= Q(pk__in=smart_pool_queryset(pool).values("pk"))
        except CriteriaError:
            # Inside another pool's evaluation the error makes that pool broken, with the reason
            # shown; on the candidate list a broken pool simply contributes no one.
            if _evaluating.get():
                raise
    return queryset.filter(condition)
