"""The audit-log actions pools writes, named in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_action_register


def register() -> None:
    audit_action_register(
        {
            "pools.members_added": _("People added to a pool"),
            "pools.members_removed": _("People removed from a pool"),
            "pools.pool_created": _("Pool created"),
            "pools.pool_deleted": _("Pool deleted"),
            "pools.pool_updated": _("Pool updated"),
            "pools.rule_deleted": _("Tagging rule deleted"),
            "pools.rule_saved": _("Tagging rule saved"),
            "pools.rules_reapplied": _("Tagging rules reapplied"),
        }
    )
