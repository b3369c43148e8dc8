from __future__ import annotations

from django.utils import translation
from django.utils.translation import pgettext_lazy

from candidates.models import Stage
from tenants.i18n import tenant_language

# The pipeline a new company starts with. Stage names are the company's own data afterwards
# (renamed on the stages page), so they are written once, in the company's language.
DEFAULT_STAGES = [
    ("applied", pgettext_lazy("pipeline stage", "Applied")),
    ("screening", pgettext_lazy("pipeline stage", "Screening")),
    ("interview", pgettext_lazy("pipeline stage", "Interview")),
    ("final-interview", pgettext_lazy("pipeline stage", "Final interview")),
    ("offer", pgettext_lazy("pipeline stage", "Offer")),
]


def stages_install_defaults() -> None:
    if Stage.objects.exists():
        return
    with translation.override(tenant_language()):
        Stage.objects.bulk_create(
            Stage(slug=slug, name=str(name), order=(index + 1) * 10)
            for index, (slug, name) in enumerate(DEFAULT_STAGES)
        )
