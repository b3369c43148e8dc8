"""The audit-log actions candidates owns (the timeline's kinds are in candidates.timeline)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_action_register


def register() -> None:
    audit_action_register({"candidate.export": _("Candidates exported")})
