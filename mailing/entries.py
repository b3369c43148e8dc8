"""What mailing writes to the candidate timeline (codes of `candidates.timeline`), in the
reader's language: an email leaving the outbox and what tracking learns about it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_action_register
from candidates.timeline import timeline_kind_register, timeline_status_labels_register
from mailing.models import MessageStatus


def subject(value: Any) -> str:
    """An email's subject; an empty one is said so."""
    return str(value) if value else gettext("(no subject)")


def register() -> None:
    audit_action_register({"mailing.message_send_now": _("Email sent now")})
    timeline_status_labels_register(MessageStatus.choices)
    for code, message in (
        ("email.sent", _("Email sent: %(subject)s")),
        ("email.delivered", _("Email delivered: %(subject)s")),
        ("email.opened", _("Email opened: %(subject)s")),
        ("email.clicked", _("Email link clicked: %(subject)s")),
        ("email.bounced", _("Email bounced: %(subject)s")),
        ("email.complained", _("Email marked as spam: %(subject)s")),
        ("email.unsubscribed", _("Unsubscribed through the email provider: %(subject)s")),
        ("email.rejected", _("Email rejected by the provider: %(subject)s")),
        ("email.failed", _("Email could not be sent: %(subject)s")),
    ):
        timeline_kind_register(code, message, subject=subject)
