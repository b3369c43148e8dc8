from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns import privacy
        from tenants.privacy import register

        register(privacy.PRIVACY)
        from campaigns import entries

        entries.register()
        from campaigns import panels, receivers  # noqa: F401
