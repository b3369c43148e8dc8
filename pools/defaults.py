from __future__ import annotations

from candidates.models import AgeBracket, Outcome, Stage
from pools.models import TagRule
from pools.services import tag_for_name

SILVER_MEDALIST = "silver-medalist"
YOUNG_TALENT = "young-talent"


def tag_rules_install_defaults() -> None:
    """Install the default rules for a new tenant; idempotent (a rule of that name is kept as
    the HR admins left it). Nothing is applied: a new tenant has no candidates yet."""
    final = Stage.objects.filter(slug="final-interview").first()
    if final is not None and not TagRule.objects.filter(name="Silver medalists").exists():
        tag = tag_for_name(SILVER_MEDALIST)
        TagRule.objects.create(
            name="Silver medalists",
            tag=tag,
            tag_name=tag.name,
            outcome=Outcome.REJECTED,
            min_stage=final,
            min_stage_name=final.name,
        )
    if not TagRule.objects.filter(name="Young talent").exists():
        tag = tag_for_name(YOUNG_TALENT)
        TagRule.objects.create(
            name="Young talent", tag=tag, tag_name=tag.name, age_bracket=AgeBracket.B18_24
        )
