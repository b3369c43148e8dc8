from __future__ import annotations

from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self) -> None:
        from consent import privacy
        from tenants.privacy import register

        register(privacy.PRIVACY)
        from consent import entries

        entries.register()
        from consent import receivers  # noqa: F401
        from consent.registrations import register_all

        register_all()
