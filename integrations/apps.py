from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from integrations import receivers  # noqa: F401
        from integrations.replies import reply_address_for
        from mailing.replies import register_reply_address

        register_reply_address(reply_address_for)
