"""What consent writes to the candidate timeline (codes of `candidates.timeline`), in the
reader's language: "Consent granted: Event invitations (monthly); Consent withdrawn: …"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_action_register, audit_detail_labels_register
from candidates.timeline import timeline_kind_register
from consent.models import Action, Frequency, Purpose

_SAID = {
    Action.GRANTED: _("Consent granted: %(purposes)s"),
    Action.WITHDRAWN: _("Consent withdrawn: %(purposes)s"),
    Action.EXPIRED: _("Consent expired: %(purposes)s"),
}


def _purpose(pair: Any) -> str:
    purpose, frequency = [*pair, ""][:2] if isinstance(pair, list) else (pair, "")
    label = str(Purpose(purpose).label) if purpose in Purpose.values else str(purpose)
    if frequency in Frequency.values:
        return gettext("%(purpose)s (%(frequency)s)") % {
            "purpose": label,
            "frequency": str(Frequency(frequency).label).lower(),
        }
    return label


def consent_changed(params: Mapping[str, Any]) -> str:
    """params: {action: [[purpose, frequency], …]} for the actions that happened."""
    parts = [
        str(said) % {"purposes": ", ".join(_purpose(pair) for pair in params[action])}
        for action, said in _SAID.items()
        if params.get(action)
    ]
    if not parts:
        raise KeyError("no change")
    return "; ".join(parts)


def register() -> None:
    timeline_kind_register("consent.changed", consent_changed)
    audit_action_register(
        {
            "candidate.erased": _("Personal data erased"),
            "consent.expired": _("Consent expired"),
            "consent.policy_updated": _("Consent policy updated"),
            "consent.proof_exported": _("Proof of consent exported"),
            "consent.registrations_purged": _("Unconfirmed registrations purged"),
            "consent.renewal_sent": _("Consent renewal email sent"),
            "consent.report_exported": _("Consent report exported"),
            "consent.request_cancelled": _("Data request cancelled"),
            "consent.text_published": _("Consent text published"),
            "consent.topic_updated": _("Topic settings updated"),
            "privacy.retention": _("Retention periods applied"),
        }
    )
    from consent.forms import PolicyForm

    # "consent.policy_updated" details name the changed settings.
    audit_detail_labels_register({n: f.label for n, f in PolicyForm.base_fields.items() if f.label})
