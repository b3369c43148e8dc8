from __future__ import annotations

from candidates.models import Stage

DEFAULT_STAGES = [
    ("applied", "Applied"),
    ("screening", "Screening"),
    ("interview", "Interview"),
    ("final-interview", "Final interview"),
    ("offer", "Offer"),
]


def stages_install_defaults() -> None:
    if Stage.objects.exists():
        return
    Stage.objects.bulk_create(
        Stage(slug=slug, name=name, order=(index + 1) * 10)
        for index, (slug, name) in enumerate(DEFAULT_STAGES)
    )
