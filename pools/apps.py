from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoolsConfig(AppConfig):
    name = "pools"
    verbose_name = _("Pools")

    def ready(self) -> None:
        from pools import privacy
        from tenants.privacy import register

        register(privacy.PRIVACY)
        from pools import entries

        entries.register()
        from accounts.dashboard import Panel, register_panel
        from candidates.actions import register_candidate_bulk_action
        from candidates.criteria import Criterion, register_criterion
        from pools import receivers  # noqa: F401
        from pools.selectors import dashboard_panel, member_of_pool_apply, member_of_pool_field

        register_criterion(
            Criterion(
                "pools", _("Member of pool"), member_of_pool_field, member_of_pool_apply, order=95
            )
        )
        register_candidate_bulk_action("pools.add", _("Add to pool…"), "pools:candidates_add")
        register_panel(
            Panel("pools", _("Talent pools"), "pools/_panel.html", dashboard_panel, order=30)
        )
