"""The audit log as an HR admin reads it: filtered by action, person and dates, details shown
as fields, and exported to CSV (the export is itself audited).

An entry stores a stable action code ("user.invited") and its details as JSON, never a
sentence; the page names the action in the reader's language. Each app registers the labels of
the actions it writes with `audit_action_register` (in its own catalogue, from `ready()`); an
unregistered action is shown as its code. Detail keys read through `audit_detail_labels_register`
labels, else as the key humanised. The CSV export keeps the codes (read by programs)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditLog
from tenants.entries import EntryKinds

AUDIT = EntryKinds("audit log")
_DETAIL_LABELS: dict[str, str | Promise] = {}
# Words some entries stored as values before codes were used for them.
_VALUE_LABELS: dict[str, str | Promise] = {
    "platform operator": _("platform operator"),
    "data subject": _("the person themselves"),
    "sso groups": _("single sign-on groups"),
}


def audit_action_register(labels: Mapping[str, str | Promise]) -> None:
    """Name actions (code → translatable label) for the audit log page."""
    for action, label in labels.items():
        AUDIT.register(action, label)


def audit_detail_labels_register(labels: Mapping[str, str | Promise]) -> None:
    """Name detail keys (key → translatable label)."""
    _DETAIL_LABELS.update(labels)


def audit_action_label(action: str) -> str:
    """The action in the active language; its code when no app named it."""
    return AUDIT.render(action, {}) or action


# Spreadsheet programs run a cell starting with these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.ChoiceField(label=_("Who"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actions = AuditLog.objects.order_by("action").values_list("action", flat=True).distinct()
        named = sorted(((a, audit_action_label(a)) for a in actions), key=lambda c: c[1].lower())
        action_field = self.fields["action"]
        assert isinstance(action_field, forms.ChoiceField)
        action_field.choices = [("", _("Any action")), *named]
        actors = (
            AuditLog.objects.order_by("actor_label")
            .values_list("actor_label", flat=True)
            .distinct()
        )
        actor_field = self.fields["actor"]
        assert isinstance(actor_field, forms.ChoiceField)
        actor_field.choices = [("", _("Anyone"))] + [(a, a) for a in actors]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_entries(cleaned: dict[str, Any]) -> QuerySet[AuditLog]:
    entries = AuditLog.objects.select_related("actor")
    if cleaned.get("action"):
        entries = entries.filter(action=cleaned["action"])
    if cleaned.get("actor"):
        entries = entries.filter(actor_label=cleaned["actor"])
    if cleaned.get("since"):
        entries = entries.filter(at__gte=_start_of(cleaned["since"]))
    if cleaned.get("until"):
        entries = entries.filter(at__lt=_start_of(cleaned["until"] + dt.timedelta(days=1)))
    return entries


def _when(text: str) -> str | None:
    """An ISO time stored in the details, in the reader's time zone; None if it is not one."""
    if len(text) < 16 or text[4:5] != "-" or "T" not in text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        return None
    return formats.date_format(timezone.localtime(moment), "j M Y, H:i")


def _text(value: Any) -> str:
    if value in ({}, [], "", None):
        return "—"
    if isinstance(value, str):
        label = _VALUE_LABELS.get(value)
        return str(label) if label is not None else (_when(value) or value)
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return str(_("yes")) if value else str(_("no"))
    return str(value)


def _label(key: str) -> str:
    label = _DETAIL_LABELS.get(str(key))
    return str(label) if label is not None else str(key).replace("_", " ").capitalize()


def details_fields(details: Any) -> list[tuple[str, str]]:
    """An entry's details as (label, text) pairs, nested values flattened to readable text."""
    if not isinstance(details, dict):
        return [(str(_("Details")), _text(details))] if details else []
    return [(_label(key), _text(value)) for key, value in details.items()]


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def audit_csv_lines(entries: Iterable[AuditLog]) -> Iterator[str]:
    """CSV lines (header first) of the entries, one per entry, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(row: list[str]) -> str:
        writer.writerow([_cell(v) for v in row])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(["time", "who", "action", "target", "details", "ip_address"])
    for entry in entries:
        details = " | ".join(f"{k}: {v}" for k, v in details_fields(entry.details))
        yield line(
            [
                timezone.localtime(entry.at).isoformat(timespec="seconds"),
                entry.actor_label,
                entry.action,
                entry.target,
                details,
                entry.ip_address or "",
            ]
        )


audit_action_register(
    {
        "accounts.audit_export": _("Audit log exported"),
        "settings.branding_changed": _("Branding changed"),
        "settings.two_factor_required": _("Two-factor sign-in required"),
        "settings.two_factor_optional": _("Two-factor sign-in made optional"),
        "settings.sso_changed": _("Single sign-on settings changed"),
        "signin.break_glass": _("Emergency sign-in by the platform operator"),
        "two_factor.app_added": _("Authenticator app added"),
        "two_factor.passkey_added": _("Passkey added"),
        "two_factor.passkey_removed": _("Passkey removed"),
        "two_factor.recovery_code_used": _("Recovery code used"),
        "two_factor.recovery_codes_created": _("Recovery codes created"),
        "two_factor.removed": _("Two-factor sign-in removed"),
        "two_factor.reset": _("Two-factor sign-in reset by an HR admin"),
        "user.created_by_sso": _("User created by single sign-on"),
        "user.deactivated": _("User deactivated"),
        "user.invited": _("User invited"),
        "user.profile_changed": _("Profile changed"),
        "user.provisioned": _("User provisioned"),
        "user.reactivated": _("User reactivated"),
        "user.role_changed": _("Role changed"),
        "user.signin_unlocked": _("Sign-in unlocked"),
        # The demo app has no catalogue of its own.
        "demo.seeded": _("Demo data added"),
    }
)
audit_detail_labels_register(
    {
        "added": _("Added"),
        "at": _("When"),
        "by": _("By"),
        "changed": _("Changed"),
        "count": _("Count"),
        "criteria": _("Criteria"),
        "default": _("Default"),
        "enabled": _("Enabled"),
        "end": _("To"),
        "expires_at": _("Expires"),
        "export": _("Export"),
        "failures": _("Failed attempts"),
        "fields": _("Fields"),
        "filters": _("Filters"),
        "format": _("Format"),
        "issuer": _("Issuer"),
        "kind": _("Kind"),
        "left": _("Left"),
        "message": _("Message"),
        "name": _("Name"),
        "previous": _("Previous"),
        "personalised_from": _("Personalised feedback from"),
        "purposes": _("Purposes"),
        "range": _("Range"),
        "reason": _("Reason"),
        "records": _("Records"),
        "removed": _("Removed"),
        "request": _("Request"),
        "role": _("Role"),
        "source": _("Source"),
        "sso_enabled": _("Single sign-on offered"),
        "sso_only": _("Single sign-on only"),
        "start": _("From"),
        "tag": _("Tag"),
        "version": _("Version"),
        "withdrawn": _("Withdrawn"),
    }
)
