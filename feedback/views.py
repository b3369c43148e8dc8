from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.navigation import safe_next
from accounts.permissions import hr_admin_required, recruiter_required
from candidates.i18n import candidate_language, candidate_zone
from candidates.models import Application, Outcome
from feedback.configuration import policy_set, reason_save, template_save
from feedback.content import (
    MERGE_TAGS,
    guidance_tips,
    merge_guidance,
    point_prompts,
    sample_content_context,
)
from feedback.defaults import DEFAULT_TEMPLATES
from feedback.forms import (
    MERGE_TAG_HELP,
    BulkRejectForm,
    PolicyForm,
    ReasonForm,
    RejectForm,
    TemplateForm,
)
from feedback.models import (
    Branch,
    FeedbackTask,
    FeedbackTemplate,
    Rejection,
    RejectionReason,
)
from feedback.pdf import feedback_pdf_filename, feedback_pdf_render
from feedback.selectors import (
    application_branch,
    bulk_preview,
    bulk_runs_recent,
    feedback_content,
    feedback_task_open,
    policy_get,
    reasons_grouped,
    rejection_content,
    rejection_message,
    rejection_of,
    rejections_recent,
    rejections_scheduled,
    templates_by_group_and_language,
    with_messages,
)
from feedback.services import (
    FeedbackError,
    application_reject,
    applications_reject_bulk,
    bulk_run_start,
    feedback_email_render,
    rejection_email_cancel,
    rejection_email_send,
)
from feedback.todo import feedback_task_cancel, feedback_tasks_open
from mailing.models import MessageStatus
from mailing.rendering import render_email
from tenants.i18n import format_zoned

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Bulk selections larger than this are refused with a message rather than timing out.
BULK_LIMIT = 2000


def _bulk_sync_limit() -> int:
    """Selections up to this size are rejected in the request; larger ones on the worker."""
    return settings.FEEDBACK_BULK_SYNC_LIMIT


def _application(pk: int) -> Application:
    return get_object_or_404(
        Application.objects.select_related("candidate", "position", "stage", "furthest_stage"),
        pk=pk,
    )


def _rejection(pk: int) -> Rejection:
    return get_object_or_404(
        Rejection.objects.select_related(
            "application__candidate", "application__position", "stage", "decided_by"
        ),
        pk=pk,
    )


def _settings_links() -> list[dict[str, StrOrPromise]]:
    return [
        {"url": reverse("feedback:reasons"), "label": gettext_lazy("Rejection reasons")},
        {"url": reverse("feedback:policy"), "label": gettext_lazy("Feedback policy")},
        {"url": reverse("feedback:templates"), "label": gettext_lazy("Rejection emails")},
    ]


@recruiter_required
def home(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "feedback/home.html",
        {
            "recent": with_messages(rejections_recent()),
            "tasks": feedback_tasks_open()[:200],
            **_runs_context(),
            "scheduled": rejections_scheduled(),
            "policy": policy_get(),
            "settings_links": _settings_links() if request.user.is_hr_admin else [],
        },
    )


@recruiter_required
@require_POST
def task_cancel(request: StaffRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(FeedbackTask.objects.select_related("application__candidate"), pk=pk)
    try:
        feedback_task_cancel(task=task, actor=request.user)
    except FeedbackError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The feedback task for %(name)s was cancelled; the application stays open.")
            % {"name": task.application.candidate.full_name},
        )
    return redirect("feedback:home")


@recruiter_required
def runs(request: StaffRequest) -> HttpResponse:
    """htmx: the bulk rejection runs, polled while one is waiting for the worker."""
    return render(request, "feedback/_runs.html", _runs_context())


def _runs_context() -> dict[str, object]:
    runs = bulk_runs_recent()
    return {"runs": runs, "runs_polling": any(not run.is_finished for run in runs)}


# --- Rejecting one application --------------------------------------------------------------------


@recruiter_required
def reject(request: StaffRequest, pk: int) -> HttpResponse:
    application = _application(pk)
    if Rejection.objects.filter(application=application).exists():
        messages.info(request, _("This application was already rejected; here is its feedback."))
        return redirect("feedback:application", pk=application.pk)
    if application.outcome != Outcome.ACTIVE:
        messages.error(
            request,
            _(
                "%(name)s's application is already %(outcome)s; only active applications can "
                "be rejected with feedback."
            )
            % {
                "name": application.candidate.full_name,
                "outcome": application.get_outcome_display().lower(),
            },
        )
        return redirect("candidates:detail", application.candidate_id)
    branch = application_branch(application)
    task = feedback_task_open(application)
    initial = {"reasons": list(task.reasons.all())} if task else {}
    form = RejectForm(request.POST or None, branch=branch, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        reasons = list(form.cleaned_data["reasons"])
        points = form.cleaned_data.get("personal_points", "")
        tips = form.cleaned_data.get("tips", "")
        try:
            if action == "send":
                rejection = application_reject(
                    application=application,
                    actor=request.user,
                    reasons=reasons,
                    personal_points=points,
                    tips=tips,
                    call=form.logged_call(),
                    send_at=form.send_at(candidate_zone(application.candidate)),
                    attach_pdf=form.cleaned_data["attach_pdf"],
                )
                name = application.candidate.full_name
                if rejection.send_at:
                    done = _(
                        "%(name)s was rejected and the feedback email is queued. It will be "
                        "sent %(when)s; you can cancel it until it leaves."
                    ) % {"name": name, "when": format_zoned(rejection.send_at)}
                else:
                    done = _(
                        "%(name)s was rejected and the feedback email is queued. It is on its "
                        "way; you can cancel it until it leaves."
                    ) % {"name": name}
                messages.success(request, done)
                return redirect(
                    safe_next(request, reverse("feedback:application", args=[application.pk]))
                )
            content = feedback_content(
                application=application,
                reasons=reasons,
                personal_points=points,
                tips=tips,
                call=form.logged_call(),
                recruiter=request.user,
                branch=branch,
            )
            preview = {
                "email": feedback_email_render(content),
                "call": content.call,
                "to": application.candidate.email,
                "send_at": form.send_at(candidate_zone(application.candidate)),
                "attach_pdf": form.cleaned_data["attach_pdf"],
            }
        except FeedbackError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
    return render(
        request,
        "feedback/reject.html",
        {
            "application": application,
            "branch": branch,
            "task": task,
            "policy": policy_get(),
            "form": form,
            "preview": preview,
            "prompts": point_prompts(
                list(form.cleaned_data.get("reasons", [])) if form.is_bound else []
            ),
        },
    )


@recruiter_required
@require_POST
def reject_guidance(request: StaffRequest, pk: int) -> HttpResponse:
    """htmx: what to write about for the chosen reasons, and their suggested tips added to the
    tips, keeping everything the recruiter already wrote."""
    application = _application(pk)
    ids = [v for v in request.POST.getlist("reasons") if v.isdigit()]
    chosen = list(RejectionReason.objects.active().filter(pk__in=ids))
    everything = list(RejectionReason.objects.active())
    language = candidate_language(application.candidate)
    form = RejectForm(
        initial={
            "personal_points": request.POST.get("personal_points", ""),
            "tips": merge_guidance(
                request.POST.get("tips", ""),
                guidance_tips(chosen, language),
                guidance_tips(everything, language),
            ),
        },
        branch=application_branch(application),
    )
    return render(
        request,
        "feedback/_guided.html",
        {"form": form, "application": application, "prompts": point_prompts(chosen)},
    )


# --- After the decision ---------------------------------------------------------------------------


@recruiter_required
def application_feedback(request: StaffRequest, pk: int) -> HttpResponse:
    """The feedback page of an application: what was decided and said, and the email's fate."""
    application = _application(pk)
    rejection = rejection_of(application)
    if rejection is None:
        return redirect("feedback:reject", pk=application.pk)
    message = rejection_message(rejection)
    return render(
        request,
        "feedback/application.html",
        {
            "application": application,
            "rejection": rejection,
            "call": getattr(rejection, "call", None),
            "message": message,
            "can_cancel": message is not None and message.status == MessageStatus.QUEUED,
            "scheduled": message is not None
            and message.status == MessageStatus.QUEUED
            and message.send_after is not None
            and message.send_after > timezone.now(),
            "can_send": message is None or message.status == MessageStatus.CANCELLED,
            "send_form": BulkRejectForm(),
        },
    )


@recruiter_required
def rejection_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    rejection = _rejection(pk)
    content = rejection_content(rejection)
    response = HttpResponse(feedback_pdf_render(content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{feedback_pdf_filename(content)}"'
    return response


@recruiter_required
@require_POST
def email_cancel(request: StaffRequest, pk: int) -> HttpResponse:
    rejection = _rejection(pk)
    try:
        rejection_email_cancel(rejection=rejection, actor=request.user)
    except FeedbackError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The feedback email was cancelled. The rejection stays; you can send later.")
        )
    if request.POST.get("next") == "home":
        return redirect("feedback:home")
    return redirect("feedback:application", pk=rejection.application_id)


@recruiter_required
@require_POST
def email_send(request: StaffRequest, pk: int) -> HttpResponse:
    rejection = _rejection(pk)
    form = BulkRejectForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("feedback:application", pk=rejection.application_id)
    try:
        rejection_email_send(
            rejection=rejection,
            actor=request.user,
            send_at=form.send_at(candidate_zone(rejection.application.candidate)),
        )
    except FeedbackError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The feedback email is queued again."))
    return redirect("feedback:application", pk=rejection.application_id)


# --- Bulk -----------------------------------------------------------------------------------------


@recruiter_required
@require_POST
def bulk_reject(request: StaffRequest) -> HttpResponse:
    """Step 1 (from a position's applicant list or board): show what would happen; step 2
    (`confirm`): reject the early-stage applications with the automatic email."""
    ids = list(
        dict.fromkeys(int(v) for v in request.POST.getlist("application_ids") if v.isdigit())
    )
    return bulk_reject_for(request, ids)


def bulk_reject_for(request: StaffRequest, ids: list[int]) -> HttpResponse:
    """The bulk rejection of these applications (also reached from the candidate list)."""
    back = _back_url(request)
    if not ids:
        messages.error(request, _("Select at least one application to reject."))
        return redirect(back)
    if len(ids) > BULK_LIMIT:
        messages.error(
            request,
            _("Select at most %(limit)d applications at once (%(count)d selected).")
            % {"limit": BULK_LIMIT, "count": len(ids)},
        )
        return redirect(back)
    form = BulkRejectForm(request.POST if "confirm" in request.POST else None)
    if "confirm" in request.POST and form.is_valid() and len(ids) > _bulk_sync_limit():
        bulk_run_start(
            application_ids=ids,
            actor=request.user,
            reasons=form.cleaned_data["reasons"],
            send_at=form.send_at(),
            next_morning=form.next_morning,
        )
        messages.success(
            request,
            _(
                "Rejecting the early-stage applications among the %(count)d selected in the "
                "background; their automatic emails are queued as soon as it is done. "
                "Candidates who need personal feedback are left for you."
            )
            % {"count": len(ids)},
        )
        return redirect(reverse("feedback:home"))
    if "confirm" in request.POST and form.is_valid():
        try:
            result = applications_reject_bulk(
                application_ids=ids,
                actor=request.user,
                reasons=form.cleaned_data["reasons"],
                send_at=form.send_at(),
                next_morning=form.next_morning,
            )
        except (FeedbackError, ValidationError) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            rejected, personal = len(result.rejected), len(result.needs_personal)
            parts = [
                ngettext(
                    "%(count)d application rejected with the automatic email.",
                    "%(count)d applications rejected with the automatic email.",
                    rejected,
                )
                % {"count": rejected}
            ]
            if personal:
                parts.append(
                    ngettext(
                        "%(count)d needs personal feedback and was left as it is.",
                        "%(count)d need personal feedback and were left as they are.",
                        personal,
                    )
                    % {"count": personal}
                )
            if result.skipped:
                parts.append(
                    ngettext(
                        "%(count)d was skipped (already closed or no valid address).",
                        "%(count)d were skipped (already closed or no valid address).",
                        len(result.skipped),
                    )
                    % {"count": len(result.skipped)}
                )
            messages.success(request, " ".join(parts))
            return redirect(back)
    preview = bulk_preview(ids)
    return render(
        request,
        "feedback/bulk.html",
        {
            "form": form,
            "ids": ids,
            "automatic": preview.automatic,
            "needs_personal": preview.needs_personal,
            "skipped": preview.skipped,
            "missing": preview.missing,
            "grouped": reasons_grouped(),
            "back": back,
        },
    )


def _back_url(request: HttpRequest) -> str:
    """Where the bulk action was started (the position's applicant list), if it is ours."""
    candidate = (
        request.POST.get("back") or request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    )
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("feedback:home")


# --- HR admin settings ----------------------------------------------------------------------------


@hr_admin_required
def reasons(request: StaffRequest) -> HttpResponse:
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reason_save(actor=request.user, **form.cleaned_data)
        except FeedbackError as exc:
            form.add_error("label", str(exc))
        else:
            messages.success(
                request, _("Reason “%(label)s” added.") % {"label": form.cleaned_data["label"]}
            )
            return redirect("feedback:reasons")
    return render(
        request,
        "feedback/reasons.html",
        {
            "form": form,
            "grouped": reasons_grouped(RejectionReason.objects.all()),
            "settings_links": _settings_links(),
        },
    )


@hr_admin_required
def reason_edit(request: StaffRequest, pk: int) -> HttpResponse:
    reason = get_object_or_404(RejectionReason, pk=pk)
    form = ReasonForm(request.POST or None, instance=reason)
    if request.method == "POST" and form.is_valid():
        # The form already copied the values onto `reason`; the service validates and saves.
        try:
            reason_save(actor=request.user, reason=reason, **form.cleaned_data)
        except FeedbackError as exc:
            form.add_error("label", str(exc))
        else:
            messages.success(request, _("Reason “%(label)s” saved.") % {"label": reason.label})
            return redirect("feedback:reasons")
    return render(
        request,
        "feedback/reason_edit.html",
        {"form": form, "reason": reason, "settings_links": _settings_links()},
    )


@hr_admin_required
def policy(request: StaffRequest) -> HttpResponse:
    current = policy_get()
    form = PolicyForm(
        request.POST or None,
        initial={"personalised_from": current.personalised_from if current else None},
    )
    if request.method == "POST" and form.is_valid():
        stage = form.cleaned_data["personalised_from"]
        policy_set(actor=request.user, stage=stage)
        messages.success(
            request,
            _("Personalised feedback is now required from “%(stage)s” on.") % {"stage": stage},
        )
        return redirect("feedback:policy")
    return render(
        request,
        "feedback/policy.html",
        {"form": form, "policy": current, "settings_links": _settings_links()},
    )


@hr_admin_required
def templates(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "feedback/templates.html",
        {"rows": templates_by_group_and_language(), "settings_links": _settings_links()},
    )


@hr_admin_required
def template_edit(request: StaffRequest, group: str, language: str) -> HttpResponse:
    if group not in Branch.values or language not in dict(settings.LANGUAGES):
        raise Http404(_("No such template"))
    template = FeedbackTemplate.objects.filter(group=group, language=language).first()
    # A language not written yet starts from the built-in text (what is sent meanwhile).
    builtin = DEFAULT_TEMPLATES.get((group, language))
    initial = {"subject": builtin[0], "body": builtin[1]} if builtin and not template else None
    form = TemplateForm(request.POST or None, instance=template, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            preview = render_email(
                subject_source=form.cleaned_data["subject"],
                body_source=form.cleaned_data["body"],
                context=_sample_in(language),
                allowed_tags=MERGE_TAGS,
                tenant=request.tenant,
                language=language,
            )
        else:
            template_save(
                actor=request.user,
                group=group,
                language=language,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
            messages.success(request, _("Template saved."))
            return redirect("feedback:templates")
    return render(
        request,
        "feedback/template_edit.html",
        {
            "form": form,
            "group_label": dict(Branch.choices)[group],
            "language_label": dict(settings.LANGUAGES)[language],
            "merge_tags": MERGE_TAG_HELP,
            "preview": preview,
            "settings_links": _settings_links(),
        },
    )


def _sample_in(language: str) -> dict[str, str]:
    """The preview's sample values in the language of the template being edited."""
    with override(language):
        return sample_content_context()
