"""Recruiters' actions on details submitted with an application through a public form (shown
on the candidate page as "submitted with this application")."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.permissions import recruiter_required
from candidates.models import Submission
from candidates.submissions import submission_accept, submission_dismiss


def _submission(pk: int) -> Submission:
    return get_object_or_404(
        Submission.objects.select_related("application__candidate"),
        pk=pk,
        application__candidate__anonymised_at__isnull=True,
    )


def _back(submission: Submission) -> HttpResponse:
    application = submission.application
    page = reverse("candidates:detail", args=[application.candidate_id])
    return redirect(f"{page}#application-{application.pk}")


@recruiter_required
@require_POST
def submission_accept_view(request: StaffRequest, pk: int) -> HttpResponse:
    submission = _submission(pk)
    fields = request.POST.getlist("fields")
    if not fields:
        messages.error(request, _("Tick the details to take into the profile."))
        return _back(submission)
    submission_accept(submission=submission, fields=fields, actor=request.user)
    messages.success(request, _("The chosen details are now on the profile."))
    return _back(submission)


@recruiter_required
@require_POST
def submission_dismiss_view(request: StaffRequest, pk: int) -> HttpResponse:
    submission = _submission(pk)
    response = _back(submission)
    submission_dismiss(submission=submission, actor=request.user)
    messages.success(request, _("The submitted details were dismissed and deleted."))
    return response


@recruiter_required
def submission_cv(request: StaffRequest, pk: int) -> FileResponse:
    submission = _submission(pk)
    name = submission.cv.name  # a FieldFile is false exactly when it has no name
    if not name:
        raise Http404(_("No CV for this application."))
    return FileResponse(
        submission.cv.open("rb"), as_attachment=True, filename=name.rsplit("/", 1)[-1]
    )
