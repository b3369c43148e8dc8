"""Rejection feedback: reject an application (alone or in bulk), queue its one feedback email,
cancel or re-send it, and the HR admin's settings (reasons, stage policy, templates)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from candidates.i18n import candidate_language, candidate_zone
from candidates.models import Activity, ActivityKind, Application, Outcome
from candidates.pipeline import application_outcome_set, application_outcomes_set_many
from candidates.services import CandidateError, activity_record, activity_record_many
from candidates.timeline import timeline_entry
from consent.links import links_prepare
from feedback.content import (
    MERGE_TAGS,
    CallNote,
    FeedbackContent,
    merge_context,
    template_for,
)
from feedback.models import (
    Branch,
    BulkRejectRun,
    FeedbackCall,
    FeedbackTask,
    FeedbackTaskStatus,
    FeedbackTemplate,
    Rejection,
    RejectionReason,
    RunStatus,
)
from feedback.pdf import feedback_pdf_filename, feedback_pdf_render
from feedback.selectors import (
    BulkRejectResult,
    application_refusal,
    applications_partition,
    branch_for,
    bulk_queryset,
    call_note,
    feedback_content,
    next_morning_at,
    policy_get,
    rejection_message,
)
from mailing.kinds import MessageKind
from mailing.models import MessageStatus
from mailing.rendering import RenderedEmail, render_email
from mailing.services import (
    OutgoingEmail,
    message_cancel,
    message_enqueue_many,
)
from tenants.context import current_tenant
from tenants.i18n import localised, tenant_zone


class FeedbackError(Exception):
    """A feedback action was refused; the message is shown to the user as is."""


# --- Building the email ---------------------------------------------------------------------------


def feedback_email_render(
    content: FeedbackContent, template: FeedbackTemplate | None = None
) -> RenderedEmail:
    """The email exactly as it will be sent (used by the preview and by the send)."""
    template = template or template_for(content.branch, content.language)
    if template is None:
        raise FeedbackError(
            _(
                "No rejection email template exists; an HR admin can restore them under "
                "Feedback → Templates."
            )
        )
    # Dates and times in values are the company's; the layout speaks the template's language.
    with localised(language=template.language, zone=tenant_zone()):
        return render_email(
            subject_source=template.subject,
            body_source=template.body,
            context=merge_context(content),
            allowed_tags=MERGE_TAGS,
            tenant=current_tenant(),
            language=template.language,
        )


def _attachments(content: FeedbackContent, attach_pdf: bool) -> list[tuple[str, bytes, str]]:
    if not attach_pdf:
        return []
    return [(feedback_pdf_filename(content), feedback_pdf_render(content), "application/pdf")]


def _send_key(application_id: int, attempt: int) -> str:
    # The first email of a rejection uses the plain key; a replacement for a cancelled email
    # (which never left) gets its own, so mailing never returns the cancelled row.
    base = f"rejection:{application_id}"
    return base if attempt == 1 else f"{base}:{attempt}"


def _email(
    *, rejection: Rejection, content: FeedbackContent, template: FeedbackTemplate | None = None
) -> OutgoingEmail:
    """The rejection's rendered email, ready for the outbox."""
    application = rejection.application
    rendered = feedback_email_render(content, template)
    return OutgoingEmail(
        send_key=_send_key(application.pk, rejection.email_attempt),
        kind=MessageKind.TRANSACTIONAL,
        to_email=application.candidate.email,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        candidate=application.candidate,
        attachments=_attachments(content, rejection.attach_pdf),
        send_after=rejection.send_at,
    )


def _email_activity(
    *, rejection: Rejection, subject: str, message_id: int, actor: User | None
) -> Activity:
    return timeline_entry(
        code="feedback.email_scheduled" if rejection.send_at else "feedback.email_queued",
        params={"subject": subject, "at": _iso(rejection.send_at)}
        if rejection.send_at
        else {"subject": subject},
        candidate_id=rejection.application.candidate_id,
        kind=ActivityKind.EMAIL,
        actor=actor if actor and actor.pk else None,
        application=rejection.application,
        ref=f"mailing.message:{message_id}",
        data={"rejection": rejection.pk, "send_at": _iso(rejection.send_at)},
    )


def _queue_email(
    *,
    rejection: Rejection,
    content: FeedbackContent,
    actor: User | None,
) -> None:
    """Render and queue the rejection's email and note it on the timeline."""
    email = _email(rejection=rejection, content=content)
    (message,) = message_enqueue_many(emails=[email])
    rejection.message_id = message.pk
    rejection.save(update_fields=["message_id"])
    activity_record_many(
        activities=[
            _email_activity(
                rejection=rejection, subject=email.subject, message_id=message.pk, actor=actor
            )
        ]
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- Rejecting ------------------------------------------------------------------------------------


def _normalise_send_at(send_at: datetime | None) -> datetime | None:
    if send_at is None:
        return None
    if timezone.is_naive(send_at):
        raise FeedbackError(_("The send time needs a time zone."))
    return send_at if send_at > timezone.now() else None


def _validate_reasons(reasons: Iterable[RejectionReason]) -> list[RejectionReason]:
    chosen = list(dict.fromkeys(reasons))
    inactive = [r.label for r in chosen if not r.is_active]
    if inactive:
        raise FeedbackError(
            _("These reasons are no longer in use: %(reasons)s.") % {"reasons": ", ".join(inactive)}
        )
    return chosen


def _outcome_entry(branch: str, reasons: Sequence[RejectionReason]) -> tuple[str, dict[str, str]]:
    """The timeline's rejection entry (written by candidates' outcome service): the feedback
    branch and the reasons, read in each reader's language (feedback.entries)."""
    return "feedback.rejected", {"branch": branch, "reasons": ", ".join(r.label for r in reasons)}


def _outcome_note(branch: str, personal_points: str, tips: str) -> str:
    """The entry's body: what the candidate was told, in the recruiter's own words."""
    if branch != Branch.PERSONALISED:
        return ""
    return "\n\n".join(p for p in (personal_points, tips) if p)


@transaction.atomic
def application_reject(
    *,
    application: Application,
    actor: User | None,
    reasons: Iterable[RejectionReason],
    personal_points: str = "",
    tips: str = "",
    call: CallNote | None = None,
    send_at: datetime | None = None,
    attach_pdf: bool = False,
) -> Rejection:
    """Reject one application and queue its feedback email, all in one transaction: the outcome
    (through candidates, so pool rules fire), the Rejection, the call, the email, the timeline."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("candidate", "position", "stage", "furthest_stage")
        .get(pk=application.pk)
    )
    refusal = application_refusal(application)
    if refusal:
        raise FeedbackError(refusal)
    chosen = _validate_reasons(reasons)
    branch = branch_for(application.furthest_stage, policy_get())
    personal_points, tips = personal_points.strip(), tips.strip()
    if branch == Branch.PERSONALISED:
        if not chosen:
            raise FeedbackError(
                _(
                    "%(name)s reached %(stage)s: choose at least one reason for the "
                    "personalised feedback."
                )
                % {
                    "name": application.candidate.full_name,
                    "stage": application.furthest_stage.name,
                }
            )
        if not personal_points:
            raise FeedbackError(
                _(
                    "Write the personalised points: candidates at this stage get feedback "
                    "written for them."
                )
            )
    if call is not None and not call.internal_note.strip():
        raise FeedbackError(_("The call note needs what was said (the internal note)."))
    send_at = _normalise_send_at(send_at)

    try:
        application_outcome_set(
            application=application,
            outcome=Outcome.REJECTED,
            actor=actor,
            note=_outcome_note(branch, personal_points, tips),
            entry=_outcome_entry(branch, chosen),
        )
    except CandidateError as exc:
        raise FeedbackError(str(exc)) from None
    content = feedback_content(
        application=application,
        reasons=chosen,
        personal_points=personal_points if branch == Branch.PERSONALISED else "",
        tips=tips if branch == Branch.PERSONALISED else "",
        call=call,
        recruiter=actor,
        branch=branch,
    )
    rejection = Rejection.objects.create(
        application=application,
        stage=application.furthest_stage,
        branch=branch,
        personal_points=content.personal_points,
        tips=content.tips,
        language=content.language,
        attach_pdf=attach_pdf,
        decided_by=actor if actor and actor.pk else None,
        send_at=send_at,
    )
    rejection.reasons.set(chosen)
    if call is not None:
        logged = FeedbackCall.objects.create(
            rejection=rejection,
            called_at=call.called_at,
            duration_minutes=call.duration_minutes,
            internal_note=call.internal_note.strip(),
            candidate_summary=call.candidate_summary.strip(),
            recorded_by=rejection.decided_by,
        )
        activity_record(
            candidate=application.candidate,
            kind=ActivityKind.CALL,
            code="feedback.call",
            # What the candidate was told reads in the reader's language (the entry's
            # sentence); the body keeps only the recruiter's own words.
            params={"minutes": call.duration_minutes}
            | ({"told": logged.candidate_summary} if logged.candidate_summary else {}),
            body=logged.internal_note,
            actor=actor,
            application=application,
            ref=f"feedback.call:{logged.pk}",
            at=call.called_at,
        )
    _queue_email(rejection=rejection, content=content, actor=actor)
    # A "feedback to write" task (rejected in another system) is done once it is written.
    FeedbackTask.objects.filter(application=application, status=FeedbackTaskStatus.OPEN).update(
        status=FeedbackTaskStatus.DONE, done_at=timezone.now(), rejection=rejection
    )
    return rejection


@transaction.atomic
def applications_reject_bulk(
    *,
    application_ids: Iterable[int],
    actor: User | None,
    reasons: Iterable[RejectionReason] = (),
    send_at: datetime | None = None,
    next_morning: bool = False,
) -> BulkRejectResult:
    """Reject the early-stage applications of a selection with the automatic email, in one
    transaction; personalised-stage and already closed applications are listed, untouched.
    `next_morning`: each email waits for the next 9:00 in its candidate's time zone
    (candidates.i18n.candidate_zone) instead of `send_at`."""
    chosen = _validate_reasons(reasons)
    send_at = _normalise_send_at(send_at)
    ids = list(application_ids)
    # Lock the whole selection in one statement, in a stable order (no deadlock with a
    # concurrent bulk action on an overlapping selection).
    locked = list(bulk_queryset(ids).select_for_update(of=("self",)).order_by("id"))
    result = applications_partition(locked)
    excluded = {a.pk for a in result.needs_personal} | {a.pk for a, _ in result.skipped}
    todo = [a for a in locked if a.pk not in excluded]
    if not todo:
        return result

    if not FeedbackTemplate.objects.filter(group=Branch.AUTOMATIC).exists():
        raise FeedbackError(_("No automatic rejection template exists."))
    # Set-based from here: a constant number of statements for the whole selection (one
    # UPDATE of the outcomes, one INSERT each for the timeline, the link keys, the outbox, the
    # rejections), plus one pool-rule run for all the candidates after commit.
    try:
        application_outcomes_set_many(
            applications=todo,
            outcome=Outcome.REJECTED,
            actor=actor,
            entry=_outcome_entry(Branch.AUTOMATIC, chosen),
        )
    except CandidateError as exc:
        raise FeedbackError(str(exc)) from None
    links_prepare([a.candidate for a in todo])
    now = timezone.now()
    rejections = [
        Rejection(
            application=application,
            stage=application.furthest_stage,
            branch=Branch.AUTOMATIC,
            language=candidate_language(application.candidate),
            decided_at=now,
            decided_by=actor if actor and actor.pk else None,
            send_at=(
                next_morning_at(now, candidate_zone(application.candidate))
                if next_morning
                else send_at
            ),
        )
        for application in todo
    ]
    templates: dict[str, FeedbackTemplate | None] = {}
    emails = []
    for rejection in rejections:
        if rejection.language not in templates:
            templates[rejection.language] = template_for(Branch.AUTOMATIC, rejection.language)
        content = feedback_content(
            application=rejection.application,
            reasons=chosen,
            recruiter=actor,
            branch=Branch.AUTOMATIC,
            language=rejection.language,
        )
        emails.append(
            _email(rejection=rejection, content=content, template=templates[rejection.language])
        )
    messages = message_enqueue_many(emails=emails)
    for rejection, message in zip(rejections, messages, strict=True):
        rejection.message_id = message.pk
    rejections = Rejection.objects.bulk_create(rejections)
    through = Rejection.reasons.through
    through.objects.bulk_create(
        through(rejection_id=rejection.pk, rejectionreason_id=reason.pk)
        for rejection in rejections
        for reason in chosen
    )
    activity_record_many(
        activities=[
            _email_activity(
                rejection=rejection, subject=email.subject, message_id=message.pk, actor=actor
            )
            for rejection, email, message in zip(rejections, emails, messages, strict=True)
        ]
    )
    FeedbackTask.objects.filter(
        application_id__in=[a.pk for a in todo], status=FeedbackTaskStatus.OPEN
    ).update(status=FeedbackTaskStatus.DONE, done_at=now)
    result.rejected = rejections
    return result


# --- The email after the decision -----------------------------------------------------------------


@transaction.atomic
def rejection_email_cancel(*, rejection: Rejection, actor: User | None) -> None:
    """Stop a feedback email that has not left yet. The rejection itself stays."""
    rejection = (
        Rejection.objects.select_for_update()
        .select_related("application__candidate", "application__position")
        .get(pk=rejection.pk)
    )
    message = rejection_message(rejection)
    if message is not None and message.status == MessageStatus.CANCELLED:
        raise FeedbackError(_("This feedback email was already cancelled."))
    if message is None or not message_cancel(message=message):
        raise FeedbackError(_("Too late to cancel: the feedback email has already left."))
    activity_record(
        candidate=rejection.application.candidate,
        kind=ActivityKind.EMAIL,
        code="feedback.email_cancelled",
        actor=actor,
        application=rejection.application,
        ref=f"mailing.message:{message.pk}",
    )


@transaction.atomic
def rejection_email_send(
    *, rejection: Rejection, actor: User | None, send_at: datetime | None = None
) -> Rejection:
    """Queue the feedback email again after it was cancelled (it never left), from the stored
    feedback."""
    rejection = (
        Rejection.objects.select_for_update(of=("self",))
        .select_related("application__candidate", "application__position", "call")
        .get(pk=rejection.pk)
    )
    message = rejection_message(rejection)
    if message is not None and message.status != MessageStatus.CANCELLED:
        raise FeedbackError(_("This feedback email is already queued or sent; it goes out once."))
    application = rejection.application
    call = getattr(rejection, "call", None)
    content = feedback_content(
        application=application,
        reasons=list(rejection.reasons.all()),
        personal_points=rejection.personal_points,
        tips=rejection.tips,
        call=call_note(call),
        recruiter=rejection.decided_by or actor,
        branch=rejection.branch,
        language=rejection.language,
    )
    rejection.send_at = _normalise_send_at(send_at)
    rejection.email_attempt += 1
    rejection.save(update_fields=["send_at", "email_attempt"])
    _queue_email(rejection=rejection, content=content, actor=actor)
    return rejection


# --- Large bulk rejections on the worker ----------------------------------------------------------


@transaction.atomic
def bulk_run_start(
    *,
    application_ids: Sequence[int],
    actor: User | None,
    reasons: Iterable[RejectionReason] = (),
    send_at: datetime | None = None,
    next_morning: bool = False,
) -> BulkRejectRun:
    """Hand a large bulk rejection to the worker (enqueued once this transaction commits)."""
    from feedback.tasks import bulk_reject_run_task  # tasks import this module

    run = BulkRejectRun.objects.create(
        created_by=actor if actor and actor.pk else None,
        application_ids=list(application_ids),
        reason_ids=[r.pk for r in _validate_reasons(reasons)],
        send_at=None if next_morning else _normalise_send_at(send_at),
        next_morning=next_morning,
    )
    transaction.on_commit(lambda: bulk_reject_run_task.delay(run.pk))
    return run


def bulk_run_execute(*, run: BulkRejectRun) -> BulkRejectRun:
    """Run a queued bulk rejection: all of it, or nothing and a clear error. The run row is
    locked in the same transaction, so a worker killed midway leaves it queued for the
    redelivered task, and a duplicate delivery skips it."""
    with transaction.atomic():
        locked = (
            BulkRejectRun.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=run.pk, status=RunStatus.QUEUED)
            .select_related("created_by")
            .first()
        )
        if locked is None:
            run.refresh_from_db()
            return run
        reasons = list(RejectionReason.objects.filter(pk__in=locked.reason_ids))
        try:
            result = applications_reject_bulk(
                application_ids=locked.application_ids,
                actor=locked.created_by,
                reasons=reasons,
                send_at=locked.send_at,
                next_morning=locked.next_morning,
            )
        except FeedbackError as exc:
            locked.status, locked.error = RunStatus.FAILED, str(exc)
        else:
            locked.status = RunStatus.DONE
            locked.rejected_count = len(result.rejected)
            locked.needs_personal_count = len(result.needs_personal)
            locked.skipped_count = len(result.skipped)
        locked.finished_at = timezone.now()
        locked.save()
    return locked
