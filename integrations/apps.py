from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _panel(request: Any) -> dict[str, Any]:
    from integrations.models import (
        ApiKey,
        AtsEvent,
        AtsEventStatus,
        InboundReply,
        ReplyStatus,
        WebhookSubscription,
    )

    context: dict[str, Any] = {
        "replies_review": InboundReply.objects.filter(status=ReplyStatus.REVIEW).count(),
        "hr": getattr(request.user, "is_hr_admin", False),
    }
    if context["hr"]:
        context |= {
            "ats_review": AtsEvent.objects.filter(
                status__in=[AtsEventStatus.REVIEW, AtsEventStatus.FAILED]
            ).count(),
            "webhooks_disabled": WebhookSubscription.objects.filter(enabled=False).count(),
            "keys": ApiKey.objects.filter(revoked_at__isnull=True).count(),
        }
    return context


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from accounts.dashboard import Panel, register_panel
        from integrations import receivers  # noqa: F401
        from integrations.privacy import PRIVACY
        from integrations.replies import reply_address_for
        from mailing.replies import register_reply_address
        from tenants.privacy import register

        register(PRIVACY)
        from integrations import entries

        entries.register()
        register_reply_address(reply_address_for)
        register_panel(
            Panel(
                key="integrations",
                title=_("Integrations"),
                template="integrations/_panel.html",
                context=_panel,
                order=80,
            )
        )
