"""Timeline entries written before codes existed: the sentences we recognise get their code and
parameters (so they read in each reader's language); any other text keeps being shown as
stored. `summary` is left as it was.

The sentences are the ones the code wrote until this release (English; an outcome was written
in the language active at the time, so its label is looked up in every language)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import migrations
from django.utils import translation

Found = tuple[str, dict[str, Any]] | None

_KIND_LABELS = {
    "application": "Application",
    "stage": "Stage move",
    "outcome": "Outcome",
    "note": "Note",
    "call": "Call",
    "email": "Email",
    "consent": "Consent",
    "import": "Import",
    "edit": "Profile edit",
    "merge": "Merge",
    "tag": "Tag",
}
_OUTCOMES = {"active": "Active", "rejected": "Rejected", "withdrawn": "Withdrawn", "hired": "Hired"}
_PURPOSES = {
    "Keep my profile in the talent pool": "talent_pool",
    "Job offers": "job_offers",
    "Event invitations": "events",
    "Employee testimonials": "testimonials",
    "Company and sector news": "company_news",
    "Job-market information": "job_market",
}
_FREQUENCIES = {
    "weekly": "weekly",
    "every two weeks": "biweekly",
    "monthly": "monthly",
    "quarterly": "quarterly",
}
_FIELDS = {
    "CV": "cv",
    "referrer": "referred_by",
    "skills or tags": "skills_or_tags",
}
_EMAIL_EVENTS = {
    "Email sent": "email.sent",
    "Email delivered": "email.delivered",
    "Email opened": "email.opened",
    "Email link clicked": "email.clicked",
    "Email bounced": "email.bounced",
    "Email marked as spam": "email.complained",
    "Unsubscribed through the email provider": "email.unsubscribed",
    "Email rejected by the provider": "email.rejected",
    "Email could not be sent": "email.failed",
    "Reply": "email.reply",
    "Automatic reply": "email.auto_reply",
    "Feedback email queued": "feedback.email_queued",
}
_BRANCHES = {"automatic email": "automatic", "personalised feedback": "personalised"}


@lru_cache(maxsize=1)
def _outcome_labels() -> dict[str, str]:
    """Outcome label (in any of our languages) → stored value."""
    found = {label: value for value, label in _OUTCOMES.items()}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for value, english in _OUTCOMES.items():
                label = (
                    translation.pgettext("application outcome", english)
                    if value == "active"
                    else translation.gettext(english)
                )
                found.setdefault(label, value)
    return found


@lru_cache(maxsize=1)
def _source_values() -> dict[str, str]:
    """Source label (as the timeline wrote it, English) → a stored source value."""
    from candidates.sources import _labels

    with translation.override("en"):
        return {str(label): value for value, label in reversed(list(_labels.items()))}


def _fields(text: str) -> list[str]:
    return [_FIELDS.get(name, name) for name in text.split(", ")]


def _consent(summary: str) -> Found:
    params: dict[str, list[list[str]]] = {}
    for part in summary.split("; "):
        m = re.fullmatch(r"Consent (granted|withdrawn|expired): (.+)", part)
        if not m:
            return None
        pairs = []
        for item in m.group(2).split(", "):
            p = re.fullmatch(r"(.+?)(?: \((weekly|every two weeks|monthly|quarterly)\))?", item)
            if not p or p.group(1) not in _PURPOSES:
                return None
            pairs.append([_PURPOSES[p.group(1)], _FREQUENCIES.get(p.group(2) or "", "")])
        params[m.group(1)] = pairs
    return ("consent.changed", params) if params else None


def recognise(kind: str, summary: str, data: dict[str, Any]) -> Found:  # noqa: C901, PLR0911, PLR0912
    """(code, params) of a legacy entry, or None when the text is not one we wrote."""
    text = summary.strip()
    sources = _source_values()
    outcomes = _outcome_labels()
    if text == _KIND_LABELS.get(kind) or text == "Entry":
        return "erased", {"kind": kind}
    if text == "Personal data erased":
        return "candidate.erased", {}
    if text == "Added":
        return "candidate.added", {}
    if text == "Feedback email cancelled before it was sent":
        return "feedback.email_cancelled", {}
    simple: list[tuple[str, str, Callable[[re.Match[str]], dict[str, Any]]]] = [
        (
            r"Added \((.+)\)",
            "candidate.added_from",
            lambda m: {"source": sources.get(m[1], m[1])},
        ),
        (
            r"Completed from a form: (.+)",
            "candidate.completed_form",
            lambda m: {"fields": _fields(m[1])},
        ),
        (
            r"Completed from a batch: (.+)",
            "candidate.completed_batch",
            lambda m: {"fields": _fields(m[1])},
        ),
        (r"Completed by import of (.+)", "import.completed", lambda m: {"file": m[1]}),
        (r"Imported from (.+)", "import.created", lambda m: {"file": m[1]}),
        (
            r"Completed from (.+?): (.+)",
            "candidate.completed",
            lambda m: {"source": m[1], "fields": _fields(m[2])},
        ),
        (r"Profile edited: (.+)", "candidate.edited", lambda m: {"fields": _fields(m[1])}),
        (r"Tagged (.+)", "candidate.tagged", lambda m: {"tags": m[1].split(", ")}),
        (r"Untagged (.+)", "candidate.untagged", lambda m: {"tags": m[1].split(", ")}),
        (
            r"Merged duplicate (.*) <([^<>]+)>",
            "candidate.merged",
            lambda m: {"name": m[1], "email": m[2]},
        ),
        (
            r"Referred by (.+) for (.+)",
            "candidate.referred",
            lambda m: {"referrer": m[1], "position": m[2]},
        ),
        (
            r"Details submitted with the application for (.+) \((.+)\), waiting for a recruiter",
            "submission.received",
            lambda m: {"position": m[1], "source": sources.get(m[2], m[2])},
        ),
        (
            r"Accepted details submitted with the application for (.+): nothing",
            "submission.accepted_nothing",
            lambda m: {"position": m[1]},
        ),
        (
            r"Accepted details submitted with the application for (.+): (.+)",
            "submission.accepted",
            lambda m: {"position": m[1], "fields": _fields(m[2])},
        ),
        (
            r"Dismissed details submitted with the application for (.+)",
            "submission.dismissed",
            lambda m: {"position": m[1]},
        ),
        (r"Feedback call \((\d+) min\)", "feedback.call", lambda m: {"minutes": int(m[1])}),
        (
            r"(.+): rejected in (.+); personalised feedback to write",
            "feedback.task_opened",
            lambda m: {"position": m[1], "source": m[2]},
        ),
    ]
    for pattern, code, params in simple:
        m = re.fullmatch(pattern, text, re.DOTALL)
        if m:
            return code, params(m)
    m = re.fullmatch(r"Applied to (.+?)(?: \(([^()]+)\))?", text, re.DOTALL)
    if m and kind == "application":
        if m[2] is None:
            return "application.applied", {"position": m[1]}
        if m[2] in sources:
            return "application.applied_from", {"position": m[1], "source": sources[m[2]]}
        return "application.applied", {"position": f"{m[1]} ({m[2]})"}
    m = re.fullmatch(
        r"Feedback email scheduled for \d{4}-\d\d-\d\d \d\d:\d\d \S+: (.*)", text, re.DOTALL
    )
    if m and data.get("send_at"):
        return "feedback.email_scheduled", {"subject": m[1], "at": data["send_at"]}
    m = re.fullmatch(
        r"Imported application: (.+) — reached (.+), (active|rejected|withdrawn|hired)",
        text,
        re.DOTALL,
    )
    if m:
        return "application.imported", {"position": m[1], "stage": m[2], "outcome": m[3]}
    if kind == "stage":
        m = re.fullmatch(r"(.+): (.+) → (.+)", text, re.DOTALL)
        if m:
            return "application.stage_moved", {"position": m[1], "from": m[2], "to": m[3]}
    if kind == "outcome":
        m = re.fullmatch(r"(.+): Rejected \((automatic email|personalised feedback)\)", text)
        if m:
            return "feedback.rejected_branch", {"position": m[1], "branch": _BRANCHES[m[2]]}
        m = re.fullmatch(r"(.+): ([^:]+)", text, re.DOTALL)
        if m and m[2] in outcomes:
            return "application.outcome", {"position": m[1], "outcome": outcomes[m[2]]}
    if kind == "consent":
        return _consent(text)
    m = re.fullmatch(r"([A-Z][^:]+): (.*)", text, re.DOTALL)
    if m and m[1] in _EMAIL_EVENTS and kind == "email":
        subject = "" if m[2] == "(no subject)" else m[2]
        return _EMAIL_EVENTS[m[1]], {"subject": subject}
    return None


_REJECTION_NOTE = re.compile(
    r"(Automatic email|Personalised feedback)\. Reasons: (.*?)\.(?:\n\n(.*))?", re.DOTALL
)


def rejection(row: Any) -> None:
    """A rejection's outcome entry kept the feedback branch and reasons as English in its body:
    they become the parameters of "feedback.rejected", the body keeps what the candidate was
    told."""
    m = _REJECTION_NOTE.fullmatch(row.body or "")
    if row.code != "application.outcome" or row.params.get("outcome") != "rejected" or not m:
        return
    row.code = "feedback.rejected"
    reasons = "" if m[2] == "none given" else m[2]
    row.params = {**row.params, "branch": _BRANCHES[m[1].lower()], "reasons": reasons}
    told = (m[3] or "").replace("\n\nTips: ", "\n\n")
    row.body = told[len("Tips: ") :] if told.startswith("Tips: ") else told


def forwards(apps: Any, schema_editor: Any) -> None:
    Activity = apps.get_model("candidates", "Activity")
    pending = Activity.objects.filter(code="").exclude(kind="note").order_by("pk")
    last = 0
    while True:
        batch = list(pending.filter(pk__gt=last)[:2000])
        if not batch:
            return
        changed = []
        for row in batch:
            found = recognise(row.kind, row.summary, row.data if isinstance(row.data, dict) else {})
            if found is not None:
                row.code, row.params = found
                rejection(row)
                changed.append(row)
        Activity.objects.bulk_update(changed, ["code", "params", "body"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("candidates", "0008_activity_code_params")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
