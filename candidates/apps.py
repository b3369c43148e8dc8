from __future__ import annotations

from django.apps import AppConfig


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = "Candidates"

    def ready(self) -> None:
        from candidates import privacy
        from tenants.privacy import register

        register(privacy.PRIVACY)
        from candidates import receivers  # noqa: F401
