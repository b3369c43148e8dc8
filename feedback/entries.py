"""What feedback writes to the candidate timeline (codes of `candidates.timeline`), in the
reader's language: the feedback email queued, scheduled or cancelled, a feedback call, a
"feedback to write" task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_action_register
from candidates.timeline import timeline_kind_register
from feedback.models import Branch
from mailing.entries import subject
from tenants.entries import moment


def branch_label(value: Any) -> str:
    return str(Branch(value).label).lower() if value in Branch.values else str(value)


def reasons_read(value: Any) -> str:
    """The reasons' labels (the company's words) as stored; none is said so."""
    return str(value) if value else gettext("none given")


def call_sentence(params: Mapping[str, Any]) -> str:
    """A feedback call; what the candidate was told (not the internal note) when there is one."""
    minutes = params.get("minutes", "")
    if params.get("told"):
        return gettext("Feedback call (%(minutes)s min). Told the candidate: %(told)s") % {
            "minutes": minutes,
            "told": params["told"],
        }
    return gettext("Feedback call (%(minutes)s min)") % {"minutes": minutes}


def register() -> None:
    timeline_kind_register(
        "feedback.rejected",
        _("%(position)s: Rejected (%(branch)s; reasons: %(reasons)s)"),
        branch=branch_label,
        reasons=reasons_read,
    )
    audit_action_register(
        {
            "feedback.policy_set": _("Feedback policy changed"),
            "feedback.reason_save": _("Rejection reason saved"),
            "feedback.template_save": _("Feedback email template saved"),
        }
    )
    timeline_kind_register(
        "feedback.email_queued", _("Feedback email queued: %(subject)s"), subject=subject
    )
    timeline_kind_register(
        "feedback.email_scheduled",
        _("Feedback email scheduled for %(at)s: %(subject)s"),
        subject=subject,
        at=moment,
    )
    timeline_kind_register(
        "feedback.email_cancelled", _("Feedback email cancelled before it was sent")
    )
    timeline_kind_register("feedback.call", call_sentence)
    timeline_kind_register(
        "feedback.task_opened",
        _("%(position)s: rejected in %(source)s; personalised feedback to write"),
    )
    timeline_kind_register(
        "feedback.rejected_branch",
        _("%(position)s: Rejected (%(branch)s)"),
        branch=branch_label,
    )
