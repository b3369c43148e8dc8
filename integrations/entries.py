"""What integrations write to the candidate timeline (codes of `candidates.timeline`): a
reply to one of our emails, filed under the person."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_action_register
from candidates.timeline import timeline_kind_register
from mailing.entries import subject


def register() -> None:
    audit_action_register(
        {
            "integrations.api_key_create": _("API key created"),
            "integrations.api_key_revoke": _("API key revoked"),
            "integrations.ats_connection_save": _("ATS connection saved"),
            "integrations.ats_event_dismiss": _("ATS event dismissed"),
            "integrations.ats_mapping_save": _("ATS mapping saved"),
            "integrations.webhook_create": _("Webhook created"),
            "integrations.webhook_delete": _("Webhook deleted"),
            "integrations.webhook_replay": _("Webhook delivery replayed"),
            "integrations.webhook_rotate": _("Webhook secret rotated"),
            "integrations.webhook_update": _("Webhook updated"),
        }
    )
    timeline_kind_register("email.reply", _("Reply: %(subject)s"), subject=subject)
    timeline_kind_register("email.auto_reply", _("Automatic reply: %(subject)s"), subject=subject)
