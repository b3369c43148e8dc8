"""Feedback reads shared by views, services and tasks: the policy and branch of a rejection,
reasons, to-do and scheduled lists, what a rejection says (its content), and how a bulk
selection would be handled."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from candidates.i18n import candidate_language
from candidates.models import Application, Outcome, Stage
from consent.links import optin_url
from consent.models import Action, ConsentEvent
from feedback.content import OPTIN_SOURCE, CallNote, FeedbackContent
from feedback.models import (
    Branch,
    BulkRejectRun,
    FeedbackCall,
    FeedbackPolicy,
    FeedbackTask,
    FeedbackTaskStatus,
    FeedbackTemplate,
    ReasonCategory,
    Rejection,
    RejectionReason,
)
from mailing.models import Message, MessageStatus
from mailing.services import clean_address
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


# --- What a rejection says -----------------------------------------------------------------------


def feedback_content(
    *,
    application: Application,
    reasons: Sequence[RejectionReason],
    personal_points: str = "",
    tips: str = "",
    call: CallNote | None = None,
    recruiter: User | None = None,
    branch: str | None = None,
    language: str | None = None,
) -> FeedbackContent:
    return FeedbackContent(
        application=application,
        branch=branch or application_branch(application),
        reasons=list(reasons),
        personal_points=personal_points,
        tips=tips,
        call=call,
        recruiter=recruiter,
        language=language or candidate_language(application.candidate),
        optin_url=optin_url(application.candidate, source=OPTIN_SOURCE),
    )


def call_note(call: FeedbackCall | None) -> CallNote | None:
    if call is None:
        return None
    return CallNote(
        call.called_at, call.duration_minutes, call.internal_note, call.candidate_summary
    )


def rejection_content(rejection: Rejection) -> FeedbackContent:
    """The stored feedback of a rejection, for its PDF."""
    call = getattr(rejection, "call", None)
    return feedback_content(
        application=rejection.application,
        reasons=list(rejection.reasons.all()),
        personal_points=rejection.personal_points,
        tips=rejection.tips,
        call=call_note(call),
        recruiter=rejection.decided_by,
        branch=rejection.branch,
        language=rejection.language,
    )


# --- Bulk rejection ------------------------------------------------------------------------------


def application_refusal(application: Application) -> str | None:
    """Why this application cannot be rejected now, or None."""
    try:
        already = application.rejection is not None
    except Rejection.DoesNotExist:
        already = False
    if already:
        return _(
            "%(name)s was already rejected for %(position)s; the feedback email is sent only once."
        ) % {"name": application.candidate.full_name, "position": application.position.title}
    if application.outcome != Outcome.ACTIVE:
        return _("%(name)s's application for %(position)s is already %(outcome)s.") % {
            "name": application.candidate.full_name,
            "position": application.position.title,
            "outcome": application.get_outcome_display().lower(),
        }
    try:
        clean_address(application.candidate.email)
    except ValidationError:
        return _(
            "%(name)s has no valid email address (%(email)r): correct it on the candidate's "
            "page first, so the feedback can reach them."
        ) % {"name": application.candidate.full_name, "email": application.candidate.email}
    return None


@dataclass
class BulkRejectResult:
    rejected: list[Rejection] = field(default_factory=list)
    # Reached the personalised stage: they need feedback written for them.
    needs_personal: list[Application] = field(default_factory=list)
    # Already rejected, hired or withdrawn: (application, why).
    skipped: list[tuple[Application, str]] = field(default_factory=list)


def applications_partition(
    applications: Iterable[Application],
) -> BulkRejectResult:
    """Sort a selection into what a bulk rejection would do, without writing anything."""
    policy = policy_get()
    result = BulkRejectResult()
    for application in applications:
        refusal = application_refusal(application)
        if refusal:
            result.skipped.append((application, refusal))
        elif branch_for(application.furthest_stage, policy) == Branch.PERSONALISED:
            result.needs_personal.append(application)
    return result


def bulk_queryset(application_ids: Iterable[int]):  # type: ignore[no-untyped-def]
    return (
        Application.objects.filter(pk__in=list(application_ids))
        .select_related(
            "candidate__consent_profile", "position", "stage", "furthest_stage", "rejection"
        )
        .order_by("candidate__last_name", "candidate__first_name", "id")
    )


@dataclass
class BulkPreview:
    """What a bulk rejection of a selection would do, for its confirmation page."""

    automatic: list[Application]
    needs_personal: list[Application]
    skipped: list[tuple[Application, str]]
    missing: int  # selected applications that no longer exist


def bulk_preview(application_ids: list[int]) -> BulkPreview:
    applications = list(bulk_queryset(application_ids))
    partition = applications_partition(applications)
    excluded = {a.pk for a in partition.needs_personal} | {a.pk for a, _ in partition.skipped}
    return BulkPreview(
        automatic=[a for a in applications if a.pk not in excluded],
        needs_personal=partition.needs_personal,
        skipped=partition.skipped,
        missing=len(application_ids) - len(applications),
    )


def bulk_runs_recent(limit: int = 5) -> list[BulkRejectRun]:
    return list(BulkRejectRun.objects.select_related("created_by")[:limit])


# --- Pages ----------------------------------------------------------------------------------------


def feedback_task_open(application: Application) -> FeedbackTask | None:
    """The open feedback task of an application (its reasons prefetched), if any."""
    return (
        FeedbackTask.objects.filter(application=application, status=FeedbackTaskStatus.OPEN)
        .prefetch_related("reasons")
        .first()
    )


def rejection_of(application: Application) -> Rejection | None:
    """The rejection of an application, with what its feedback page shows."""
    return (
        Rejection.objects.select_related("stage", "decided_by", "call")
        .prefetch_related("reasons")
        .filter(application=application)
        .first()
    )


def templates_by_group_and_language() -> list[
    tuple[str, StrOrPromise, str, str, FeedbackTemplate | None]
]:
    """(group, its label, language code, language name, the template written or None)."""
    existing = {(t.group, t.language): t for t in FeedbackTemplate.objects.all()}
    return [
        (group, label, code, name, existing.get((group, code)))
        for group, label in Branch.choices
        for code, name in settings.LANGUAGES
    ]
