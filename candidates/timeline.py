"""The timeline's entry kinds: what each `Activity.code` says, in the reader's language.

An entry is written with `candidates.services.activity_record(code=..., params=...)` (or an
unsaved `timeline_entry(...)` for `activity_record_many`), never as a sentence: a French
recruiter and an English one read the same entry in their own words. Later apps register the
codes they write in their `AppConfig.ready()` with `timeline_kind_register`, in their own
catalogue; the contract of codes and parameters is `tenants.entries`.

`Activity.summary` keeps the English sentence as written: it is what an entry without a known
code shows (rows written before codes existed, whose text was not recognised, and notes, whose
summary is the note's first line).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from candidates.models import Activity, ActivityKind, Outcome
from candidates.sources import source_label
from tenants.entries import Composer, EntryKinds, Reader

TIMELINE = EntryKinds("timeline")

# A coded entry whose parameters an erasure blanked, and a legacy entry already erased
# (its summary was replaced by its kind's label): it reads as its kind, nothing more.
ERASED_CODE = "erased"

FIELD_LABELS: dict[str, Promise] = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("Email"),
    "phone": _("Phone"),
    "city": _("City"),
    "country": _("Country"),
    "languages": _("Languages"),
    "preferred_language": _("Preferred language"),
    "profession": _("Profession"),
    "seniority": _("Seniority"),
    "years_experience": _("Years of experience"),
    "interests": _("Interests"),
    "desired_positions": _("Desired positions"),
    "desired_locations": _("Desired locations"),
    "age_bracket": _("Age bracket"),
    "source": _("Source"),
    "notes": _("Notes"),
    "skills": _("Skills"),
    "tags": _("Tags"),
    "cv": _("CV"),
    "referred_by": _("Referred by"),
    "skills_or_tags": _("skills or tags"),
}


def field_label(name: Any) -> str:
    label = FIELD_LABELS.get(str(name))
    return str(label) if label is not None else str(name).replace("_", " ")


def outcome_label(value: Any) -> str:
    return str(Outcome(value).label) if value in Outcome.values else str(value)


def outcome_label_lower(value: Any) -> str:
    return outcome_label(value).lower()


def kind_label(value: Any) -> str:
    return str(ActivityKind(value).label) if value in ActivityKind.values else str(value)


def timeline_kind_register(code: str, message: str | Promise | Composer, **readers: Reader) -> None:
    """Register what an entry code says (a translatable %-format with named parameters) and how
    a parameter that is itself a stored code reads (`outcome=outcome_label`)."""
    TIMELINE.register(code, message, **readers)


# The labels of `Activity.data["status"]` (an email's delivery status, kept current by mailing),
# registered by the app that writes the status.
_STATUS_LABELS: dict[str, str | Promise] = {}


def timeline_status_labels_register(labels: Iterable[tuple[str, str | Promise]]) -> None:
    _STATUS_LABELS.update(labels)


def status_text(activity: Activity) -> str:
    """The entry's current status (`data["status"]`) in the active language."""
    status = (activity.data or {}).get("status") if isinstance(activity.data, dict) else None
    if not status:
        return ""
    return str(_STATUS_LABELS.get(status, status))


def timeline_summary(code: str, params: dict[str, Any] | None) -> str:
    """The English sentence kept in `Activity.summary` (cut to the column's length)."""
    return TIMELINE.english(code, params or {})[:300]


def timeline_entry(*, code: str, params: dict[str, Any] | None = None, **fields: Any) -> Activity:
    """An unsaved entry with its code, parameters and English summary, for the set-based
    writers (`activity_record_many`, bulk_create)."""
    params = params or {}
    return Activity(code=code, params=params, summary=timeline_summary(code, params), **fields)


def activity_text(activity: Activity) -> str:
    """The entry as a sentence in the active language: its code's message when the code is
    known, its kind when an erasure emptied the parameters, else the stored summary."""
    if activity.code:
        text = TIMELINE.render(activity.code, activity.params)
        if text is not None:
            return text
        if activity.code in TIMELINE:
            return kind_label(activity.kind)
    return activity.summary


# --- candidates' own kinds ----------------------------------------------------------------------

for _code, _message, _readers in (
    ("candidate.added", _("Added"), {}),
    ("candidate.added_from", _("Added (%(source)s)"), {"source": source_label}),
    (
        "candidate.completed",
        _("Completed from %(source)s: %(fields)s"),
        {"source": source_label, "fields": field_label},
    ),
    ("candidate.completed_form", _("Completed from a form: %(fields)s"), {"fields": field_label}),
    (
        "candidate.completed_batch",
        _("Completed from a batch: %(fields)s"),
        {"fields": field_label},
    ),
    ("candidate.edited", _("Profile edited: %(fields)s"), {"fields": field_label}),
    ("candidate.tagged", _("Tagged %(tags)s"), {}),
    ("candidate.untagged", _("Untagged %(tags)s"), {}),
    ("candidate.merged", _("Merged duplicate %(name)s <%(email)s>"), {}),
    ("candidate.referred", _("Referred by %(referrer)s for %(position)s"), {}),
    ("candidate.erased", _("Personal data erased"), {}),
    ("application.applied", _("Applied to %(position)s"), {}),
    (
        "application.applied_from",
        _("Applied to %(position)s (%(source)s)"),
        {"source": source_label},
    ),
    ("application.stage_moved", _("%(position)s: %(from)s → %(to)s"), {}),
    ("application.outcome", _("%(position)s: %(outcome)s"), {"outcome": outcome_label}),
    (
        "application.imported",
        _("Imported application: %(position)s — reached %(stage)s, %(outcome)s"),
        {"outcome": outcome_label_lower},
    ),
    (
        "submission.received",
        _(
            "Details submitted with the application for %(position)s (%(source)s), "
            "waiting for a recruiter"
        ),
        {"source": source_label},
    ),
    (
        "submission.accepted",
        _("Accepted details submitted with the application for %(position)s: %(fields)s"),
        {"fields": field_label},
    ),
    (
        "submission.accepted_nothing",
        _("Accepted nothing of the details submitted with the application for %(position)s"),
        {},
    ),
    (
        "submission.dismissed",
        _("Dismissed details submitted with the application for %(position)s"),
        {},
    ),
    ("import.created", _("Imported from %(file)s"), {}),
    ("import.completed", _("Completed by import of %(file)s"), {}),
    (ERASED_CODE, "%(kind)s", {"kind": kind_label}),
):
    timeline_kind_register(_code, _message, **_readers)
