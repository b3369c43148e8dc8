"""Tagging rule conditions as ORM filters.

A rule's condition is one `Q` over candidates, so the same rule can be evaluated for one
candidate, a list of ids, an id range or everyone, and rules setting the same tag can be OR-ed
into one set-based statement.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from candidates.models import (
    Application,
    Candidate,
    CandidateSkill,
    CandidateTag,
    Skill,
    Stage,
)
from pools.models import TagRule

# Matches nobody: used for a condition that names something that does not exist (yet), such as
# a skill no candidate has.
NOBODY = Q(pk__in=[])


def rule_condition(rule: TagRule) -> Q:
    """The rule's condition as a filter on `Candidate`. The rule must have no `problem`."""
    condition = Q()
    if rule.outcome or rule.min_stage_id:
        applications = Application.objects.filter(candidate=OuterRef("pk"))
        if rule.outcome:
            applications = applications.filter(outcome=rule.outcome)
        if rule.min_stage_id:
            # Resolved to ids here so the subquery needs no join (stages are a handful of rows).
            reached = list(
                Stage.objects.filter(
                    order__gte=Stage.objects.filter(pk=rule.min_stage_id).values("order")[:1]
                ).values_list("pk", flat=True)
            )
            applications = applications.filter(furthest_stage_id__in=reached)
        condition &= Q(Exists(applications))
    if rule.skill:
        skill_ids = list(
            Skill.objects.filter(name__iexact=rule.skill.strip()).values_list("pk", flat=True)
        )
        if not skill_ids:
            return NOBODY
        condition &= Q(
            Exists(
                CandidateSkill.objects.filter(content_object=OuterRef("pk"), tag_id__in=skill_ids)
            )
        )
    if rule.seniority:
        condition &= Q(seniority=rule.seniority)
    if rule.country:
        condition &= Q(country=rule.country.upper())
    if rule.age_bracket:
        condition &= Q(age_bracket=rule.age_bracket)
    if rule.source:
        condition &= Q(source__iexact=rule.source.strip())
    if rule.profession:
        condition &= Q(profession__icontains=rule.profession.strip())
    return condition


def rule_matches(rule: TagRule):  # type: ignore[no-untyped-def]
    """Active candidates the rule would tag (used by the editor's preview)."""
    return Candidate.objects.active().filter(rule_condition(rule)).order_by()


def rule_preview(rule: TagRule) -> dict[str, int]:
    """How many candidates the (possibly unsaved) rule would tag, and how many of those are new."""
    matches = rule_matches(rule)
    total = matches.count()
    already = 0
    if rule.tag_id:
        already = (
            matches.filter(
                Exists(CandidateTag.objects.filter(content_object=OuterRef("pk"), tag=rule.tag_id))
            ).count()
            if total
            else 0
        )
    return {"total": total, "new": total - already}
