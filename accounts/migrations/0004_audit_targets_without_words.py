"""Audit-log entries written before actions were named per reader carried English words in
their target ("12 entries", "run 4", "personalised from Interview"): what those said is in the
action and the details, so the words go (the numbers and names stay)."""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

# action → (target pattern, new target, detail key for the captured name or "")
_REWRITES = {
    "accounts.audit_export": (r"\d+ entries", "", ""),
    "candidate.export": (r"\d+ candidates", "", ""),
    "pools.rules_reapplied": (r"run (\d+)", "#{0}", ""),
    "mailing.message_send_now": (r"message (\d+)", "#{0}", ""),
    "feedback.policy_set": (r"personalised from (.+)", "{0}", "personalised_from"),
    "campaigns.nurture_rules_changed": (r"Nurture rules", "", ""),
    "campaigns.nurture_run_now": (r"nurture", "", ""),
    "consent.policy_updated": (r"policy", "", ""),
}


def forwards(apps: Any, schema_editor: Any) -> None:
    AuditLog = apps.get_model("accounts", "AuditLog")
    for action, (pattern, new, key) in _REWRITES.items():
        for entry in AuditLog.objects.filter(action=action).only("target", "details"):
            m = re.fullmatch(pattern, entry.target, re.DOTALL)
            if not m:
                continue
            entry.target = new.format(*m.groups())
            if key and isinstance(entry.details, dict):
                entry.details = {key: m.group(1), **entry.details}
            entry.save(update_fields=["target", "details"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_user_language")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
