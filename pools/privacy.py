"""What pools holds about people (tenants.privacy registry): hand-picked memberships, and names
and criteria that can name someone (a pool "Anna Schmidt's referrals")."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from pools.models import PoolMember
from tenants.privacy import AppPrivacy, Category, Dataset, Erase, Erasure, Personal, scrub_mentions

_MENTIONS = Personal(Category.FREE_TEXT, Erase.SCRUB)

DATASETS = [
    Dataset(
        model="pools.TagRule",
        description=gettext_noop("Tagging rules"),
        personal={"name": _MENTIONS, "tag_name": _MENTIONS},
        not_personal=(
            "outcome",
            "min_stage_name",
            "skill",
            "seniority",
            "country",
            "age_bracket",
            "source",
            "profession",
        ),
    ),
    Dataset(
        model="pools.Pool",
        description=gettext_noop("Talent pools"),
        personal={"name": _MENTIONS, "description": _MENTIONS, "criteria": _MENTIONS},
        not_personal=("kind",),
    ),
    Dataset(
        model="pools.PoolMember",
        description=gettext_noop("Pool memberships"),
        person="candidate",
        purposes=("talent_pool",),
    ),
    Dataset(
        model="pools.RuleRun",
        description=gettext_noop("Rule runs"),
        not_personal=("status", "error"),
    ),
]


def pools_personal_erase(erasure: Erasure) -> None:
    """Hand-picked memberships go; names and criteria naming the person lose the name."""
    deleted, _ = PoolMember.objects.filter(candidate_id__in=erasure.candidate_ids).delete()
    erasure.count("pools.poolmember", deleted)
    for dataset in DATASETS:
        erasure.count(f"{dataset.model.lower()} mentions", scrub_mentions(dataset, erasure))


PRIVACY = AppPrivacy(app_label="pools", datasets=DATASETS, erase=pools_personal_erase)
