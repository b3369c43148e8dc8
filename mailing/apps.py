from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingConfig(AppConfig):
    name = "mailing"
    verbose_name = "Mailing"

    def ready(self) -> None:
        from mailing import privacy
        from tenants.privacy import register

        register(privacy.PRIVACY)
        from mailing import entries

        entries.register()
        from accounts.staffmail import register_staff_mail_sender
        from mailing.staffmail import staff_email_enqueue

        register_staff_mail_sender(staff_email_enqueue)
        from accounts.dashboard import Panel, register_panel
        from mailing import receivers  # noqa: F401
        from mailing.views import dashboard_context

        # The nav bar has no "Sent mail" entry; the dashboard links to it.
        register_panel(
            Panel(
                key="mailing",
                title=_("Sent mail"),
                template="mailing/_panel.html",
                context=dashboard_context,
                order=60,
            )
        )
