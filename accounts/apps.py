from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import privacy
        from tenants.privacy import register

        register(privacy.PRIVACY)
        from accounts import receivers  # noqa: F401
