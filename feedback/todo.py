"""Rejections decided outside the rejection page (an ATS, the REST API), through the stage policy.

Below the policy's stage the automatic email is queued at once, exactly as a recruiter's
rejection would (`application_reject`: one Rejection and one email per application, ever). From
the policy's stage on, a form mail would be a downgrade: a "feedback to write" task
(`FeedbackTask`) waits for a recruiter instead, and the application stays open until they write
the feedback on the rejection page (which closes the task).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from candidates.models import ActivityKind, Application, Outcome
from candidates.services import activity_record
from feedback.models import Branch, FeedbackTask, FeedbackTaskStatus, Rejection, RejectionReason
from feedback.selectors import branch_for, policy_get
from feedback.services import FeedbackError, _validate_reasons, application_reject


@dataclass(frozen=True)
class ExternalRejection:
    """What happened: `rejection` (automatic email queued) or `task` (feedback to write)."""

    rejection: Rejection | None = None
    task: FeedbackTask | None = None
    # True when this call changed nothing (the same decision arrived before).
    already: bool = False


@transaction.atomic
def application_reject_external(
    *,
    application: Application,
    actor: User | None,
    reasons: Iterable[RejectionReason],
    source: str,
    note: str = "",
    assigned_to: User | None = None,
) -> ExternalRejection:
    """Reject through the stage policy. Idempotent: a second call for the same application
    returns the earlier rejection or task (`already=True`) instead of a second email."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("candidate", "position", "furthest_stage")
        .get(pk=application.pk)
    )
    rejection = Rejection.objects.filter(application=application).first()
    if rejection is not None:
        return ExternalRejection(rejection=rejection, already=True)
    task = FeedbackTask.objects.filter(application=application).first()
    if task is not None and task.status == FeedbackTaskStatus.OPEN:
        return ExternalRejection(task=task, already=True)
    if application.outcome != Outcome.ACTIVE:
        raise FeedbackError(
            f"{application.candidate.full_name}'s application for {application.position.title} "
            f"is already {application.get_outcome_display().lower()}."
        )
    chosen = _validate_reasons(reasons)
    if branch_for(application.furthest_stage, policy_get()) == Branch.AUTOMATIC:
        return ExternalRejection(
            rejection=application_reject(application=application, actor=actor, reasons=chosen)
        )
    return ExternalRejection(
        task=feedback_task_request(
            application=application,
            actor=actor,
            reasons=chosen,
            source=source,
            note=note,
            assigned_to=assigned_to,
        )
    )


@transaction.atomic
def feedback_task_request(
    *,
    application: Application,
    actor: User | None,
    reasons: Iterable[RejectionReason],
    source: str,
    note: str = "",
    assigned_to: User | None = None,
) -> FeedbackTask:
    """Open (or re-open) the "feedback to write" task of an application."""
    task, _created = FeedbackTask.objects.update_or_create(
        application=application,
        defaults={
            "status": FeedbackTaskStatus.OPEN,
            "source": source[:100],
            "note": note.strip()[:5000],
            "requested_at": timezone.now(),
            "requested_by": actor if actor and actor.pk else None,
            "assigned_to": assigned_to,
            "done_at": None,
            "rejection": None,
        },
    )
    task.reasons.set(list(reasons))
    activity_record(
        candidate=application.candidate,
        kind=ActivityKind.OUTCOME,
        code="feedback.task_opened",
        params={"position": application.position.title, "source": source},
        body=note.strip(),
        actor=actor,
        application=application,
        ref=f"feedback.task:{task.pk}",
    )
    return task


@transaction.atomic
def feedback_task_cancel(*, task: FeedbackTask, actor: User | None) -> None:
    """The decision was reversed in the other system (or recorded by mistake)."""
    if task.status != FeedbackTaskStatus.OPEN:
        raise FeedbackError(_("This feedback task is no longer open."))
    task.status = FeedbackTaskStatus.CANCELLED
    task.done_at = timezone.now()
    task.save(update_fields=["status", "done_at"])


def feedback_tasks_open() -> QuerySet[FeedbackTask]:
    return (
        FeedbackTask.objects.filter(status=FeedbackTaskStatus.OPEN)
        .select_related(
            "application__candidate",
            "application__position",
            "application__furthest_stage",
            "assigned_to",
        )
        .prefetch_related("reasons")
        .order_by("requested_at", "id")
    )
