"""The audit-log actions campaigns writes, named in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_action_register, audit_detail_labels_register


def register() -> None:
    audit_action_register(
        {
            "campaigns.campaign_cancelled": _("Campaign cancelled"),
            "campaigns.campaign_scheduled": _("Campaign scheduled"),
            "campaigns.nurture_rules_changed": _("Nurture rules changed"),
            "campaigns.nurture_run_now": _("Nurture run started by hand"),
            "campaigns.topic_changed": _("Content topic changed"),
        }
    )
    from campaigns.forms import NurtureSettingsForm

    # "campaigns.nurture_rules_changed" details name the changed rules.
    fields = NurtureSettingsForm.base_fields
    audit_detail_labels_register({n: f.label for n, f in fields.items() if f.label})
    # Entries written before the nurture cap moved to the consent policy name it "cap_days".
    audit_detail_labels_register({"cap_days": _("Nurture cap (days)")})
