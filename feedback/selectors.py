from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from candidates.models import Application, Outcome, Stage
from consent.models import Action, ConsentEvent
from feedback.models import (
    Branch,
    FeedbackPolicy,
    ReasonCategory,
    Rejection,
    RejectionReason,
)
from mailing.models import Message, MessageStatus
from tenants.i18n import tenant_zone

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NEXT_MORNING_HOUR = 9


def policy_get() -> FeedbackPolicy | None:
    return FeedbackPolicy.objects.select_related("personalised_from").first()


def branch_for(stage: Stage, policy: FeedbackPolicy | None) -> str:
    """Personalised feedback from the policy stage on. Without a policy (or its stage deleted)
    every rejection is personalised: a missing setting must never downgrade late-stage
    candidates to a form mail."""
    if (
        policy is None
        or policy.personalised_from is None
        or stage.order >= policy.personalised_from.order
    ):
        return Branch.PERSONALISED
    return Branch.AUTOMATIC


def application_branch(application: Application) -> str:
    # The furthest stage counts: a candidate moved back after an interview still had one.
    return branch_for(application.furthest_stage, policy_get())


def reasons_grouped(
    reasons: Iterable[RejectionReason] | None = None,
) -> list[tuple[StrOrPromise, list[RejectionReason]]]:
    """Active reasons as (category label, reasons), "we decided" first."""
    items = list(reasons if reasons is not None else RejectionReason.objects.active())
    return [
        (label, [r for r in items if r.category == value])
        for value, label in ReasonCategory.choices
        if any(r.category == value for r in items)
    ]


def next_morning_at(now: datetime | None, zone: tzinfo | None = None) -> datetime:
    """The next 9:00 in `zone`, so a rejection decided late arrives with the morning mail
    rather than at night. Callers pass the candidate's zone (candidates.i18n.candidate_zone:
    their country's when it has a single one, else the company's); default the company's."""
    zone = zone or tenant_zone()
    local = (now or timezone.now()).astimezone(zone)
    candidate = datetime.combine(local.date(), time(NEXT_MORNING_HOUR), tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(
            local.date() + timedelta(days=1), time(NEXT_MORNING_HOUR), tzinfo=zone
        )
    return candidate


def rejections_recent(limit: int = 20) -> QuerySet[Rejection]:
    return Rejection.objects.select_related(
        "application__candidate", "application__position", "stage", "decided_by"
    ).order_by("-decided_at", "-id")[:limit]


def rejection_message(rejection: Rejection) -> Message | None:
    if rejection.message_id is None:
        return None
    return Message.objects.filter(pk=rejection.message_id).first()


def with_messages(rejections: Iterable[Rejection]) -> list[Rejection]:
    """Attach each rejection's outbox message as `.message` (one query)."""
    items = list(rejections)
    messages = Message.objects.in_bulk([r.message_id for r in items if r.message_id])
    for rejection in items:
        rejection.message = messages.get(rejection.message_id)  # type: ignore[attr-defined]
    return items


def rejections_scheduled() -> list[Rejection]:
    """Rejections whose email waits for a later send time and has not left yet."""
    waiting = Message.objects.filter(
        status=MessageStatus.QUEUED, send_after__gt=timezone.now()
    ).values("pk")
    return with_messages(
        Rejection.objects.filter(message_id__in=Subquery(waiting))
        .select_related("application__candidate", "application__position", "stage")
        .order_by("send_at", "id")
    )


def _rate(opted: int, total: int) -> int:
    return round(100 * opted / total) if total else 0


def feedback_figures(*, days: int = 365) -> dict[str, Any]:
    """Dashboard figures over the last `days`: how often late-stage candidates got personal
    feedback, how long the email took, and who opted in afterwards."""
    since = timezone.now() - timedelta(days=days)
    policy = policy_get()
    late = Application.objects.filter(outcome=Outcome.REJECTED, outcome_at__gte=since)
    if policy is not None and policy.personalised_from is not None:
        late = late.filter(furthest_stage__order__gte=policy.personalised_from.order)
    late_total = late.count()
    late_personal = late.filter(rejection__branch=Branch.PERSONALISED).count()

    rejections = Rejection.objects.filter(decided_at__gte=since)
    sent = {
        pk: at
        for pk, at in Message.objects.filter(
            pk__in=Subquery(rejections.values("message_id")), sent_at__isnull=False
        ).values_list("pk", "sent_at")
        if at is not None  # filtered out already; narrows the nullable column
    }
    delays = sorted(
        sent[message_id] - decided_at
        for message_id, decided_at in rejections.values_list("message_id", "decided_at")
        if message_id in sent
    )
    median_delay = delays[len(delays) // 2] if delays else None

    opted_in = Exists(
        ConsentEvent.objects.filter(
            candidate_id=OuterRef("application__candidate_id"),
            action=Action.GRANTED,
            at__gte=OuterRef("decided_at"),
        )
    )
    rows = rejections.annotate(opted=opted_in).values("branch", "stage__name", "stage__order")
    by_branch = rows.order_by("branch").annotate(
        total=Count("id"), opted_n=Count("id", filter=Q(opted=True))
    )
    by_stage = rows.order_by("stage__order").annotate(
        total=Count("id"), opted_n=Count("id", filter=Q(opted=True))
    )
    branch_labels = dict(Branch.choices)
    return {
        "late_total": late_total,
        "late_personal": late_personal,
        "personal_share": _rate(late_personal, late_total),
        "median_delay": _duration(median_delay),
        "optin_by_branch": _merge_rows(
            (branch_labels.get(r["branch"], r["branch"]), r["total"], r["opted_n"])
            for r in by_branch
        ),
        "optin_by_stage": _merge_rows(
            (r["stage__name"] or _("(deleted stage)"), r["total"], r["opted_n"]) for r in by_stage
        ),
    }


def _merge_rows(rows: Iterable[tuple[StrOrPromise, int, int]]) -> list[dict[str, Any]]:
    merged: dict[StrOrPromise, list[int]] = {}
    for label, total, opted in rows:
        counts = merged.setdefault(label, [0, 0])
        counts[0] += total
        counts[1] += opted
    return [
        {"label": label, "total": total, "opted": opted, "rate": _rate(opted, total)}
        for label, (total, opted) in merged.items()
    ]


def _duration(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": minutes}
    days = hours // 24
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
