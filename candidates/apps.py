from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = _("Candidates")

    def ready(self) -> None:
        from candidates import privacy
        from tenants.privacy import register

        register(privacy.PRIVACY)
        from candidates import entries

        entries.register()
        from candidates import receivers  # noqa: F401
