from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.navigation import safe_next
from accounts.permissions import (
    hr_admin_required,
    recruiter_required,
)
from accounts.services import audit_log_record
from candidates.actions import application_actions, bulk_application_actions
from candidates.criteria import CriteriaForm, criteria_to_json
from candidates.exporting import candidate_export_rows, csv_lines
from candidates.forms import (
    CandidateForm,
    ImportUploadForm,
    MappingForm,
    NoteForm,
    PositionForm,
    StageNameForm,
    TagsForm,
)
from candidates.import_dry_run import dry_run_result, import_dry_run_start
from candidates.importing import (
    ImportFileError,
    error_report_rows,
    import_job_create,
    import_job_start,
    import_mapping_set,
    job_resumable,
)
from candidates.models import (
    Application,
    Candidate,
    ImportJob,
    ImportStatus,
    Outcome,
    Position,
    PositionStatus,
    Stage,
)
from candidates.panels import profile_panels
from candidates.pipeline import (
    application_create,
    application_outcome_set,
    application_stage_move,
    position_create,
    position_delete,
    position_update,
    stage_create,
    stage_delete,
    stage_move,
    stage_rename,
)
from candidates.selectors import (
    DEFAULT_SORT,
    candidate_applications,
    candidate_referrals,
    candidate_timeline,
    likely_duplicates,
    position_applicants,
    positions_with_counts,
)
from candidates.selectors import (
    candidate_list as select_candidates,
)
from candidates.services import (
    CandidateError,
    candidate_merge,
    candidate_note_add,
    candidate_tags_add,
    candidate_tags_remove,
    candidate_update,
    candidate_upsert,
)
from candidates.submissions import submission_choices


def _filtered(request: HttpRequest) -> tuple[CriteriaForm, dict[str, Any], bool]:
    """The list's criteria from the URL: (form, active criteria, valid)."""
    form = CriteriaForm(request.GET)
    if not form.is_valid():
        return form, {}, False
    return form, form.active(), True


# --- Candidate list (the list itself: list_views.py) ---------------------------------------------


@recruiter_required
def candidate_export(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    _form, cleaned, valid = _filtered(request)
    if not valid:
        messages.error(request, _("Fix the filters before exporting."))
        return redirect(f"{reverse('candidates:list')}?{request.GET.urlencode()}")
    queryset = select_candidates(cleaned, request.GET.get("sort", DEFAULT_SORT))
    count = queryset.count()
    audit_log_record(
        actor=request.user,
        action="candidate.export",
        details={"filters": criteria_to_json(cleaned), "count": count},
        request=request,
    )
    response = StreamingHttpResponse(
        csv_lines(candidate_export_rows(queryset)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="candidates.csv"'
    return response


# --- Candidate page -----------------------------------------------------------------------------


def _candidate(pk: int) -> Candidate:
    return get_object_or_404(Candidate.objects.filter(anonymised_at__isnull=True), pk=pk)


def _apply_to(request: StaffRequest, candidate: Candidate, position: Position | None) -> None:
    """The form's "Add to a position": an application at the first stage."""
    if position is None:
        return
    try:
        application_create(
            candidate=candidate, position=position, actor=request.user, source="recruiter"
        )
    except CandidateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Added to %(title)s.") % {"title": position.title})


@recruiter_required
def candidate_create(request: StaffRequest) -> HttpResponse:
    form = CandidateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        email = data.pop("email")
        position = data.pop("position")
        try:
            candidate, created = candidate_upsert(
                email=email, actor=request.user, source=data.pop("source") or "manual", **data
            )
        except CandidateError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                messages.success(request, _("%(name)s added.") % {"name": candidate.full_name})
            else:
                messages.info(
                    request,
                    _(
                        "%(email)s was already known: the existing record was completed "
                        "(nothing was overwritten)."
                    )
                    % {"email": email},
                )
            _apply_to(request, candidate, position)
            return redirect("candidates:detail", pk=candidate.pk)
    return render(
        request, "candidates/candidate_form.html", {"form": form, "title": _("Add a candidate")}
    )


@recruiter_required
def candidate_detail(request: StaffRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    if candidate.merged_into_id:
        messages.info(request, _("This record was merged; here is the record it was merged into."))
        return redirect("candidates:detail", pk=candidate.merged_into_id)
    applications = [
        (
            app,
            application_actions(app, request.user),
            [(s, submission_choices(s)) for s in app.submissions.all()],
        )
        for app in candidate_applications(candidate).prefetch_related("submissions__referred_by")
    ]
    applied = {app.position_id for app, _actions, _pending in applications}
    context = {
        "candidate": candidate,
        "applications": applications,
        "stages": list(Stage.objects.all()),
        "outcomes": [(v, label) for v, label in Outcome.choices if v != Outcome.REJECTED],
        "timeline": candidate_timeline(candidate),
        "duplicates": likely_duplicates(candidate),
        "note_form": NoteForm(),
        "tags_form": TagsForm(),
        "skills": sorted(candidate.skills.names()),
        "tags": sorted(candidate.tags.names()),
        "open_positions": Position.objects.filter(status=PositionStatus.OPEN).exclude(
            pk__in=applied
        ),
        "panels": profile_panels(candidate, request),
        "referrals": candidate_referrals(candidate),
    }
    return render(request, "candidates/detail.html", context)


@recruiter_required
def candidate_edit(request: StaffRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    form = CandidateForm(request.POST or None, instance=Candidate.objects.get(pk=candidate.pk))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        position = data.pop("position")
        try:
            candidate_update(candidate=candidate, actor=request.user, **data)
        except CandidateError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Profile saved."))
            _apply_to(request, candidate, position)
            return redirect(safe_next(request, reverse("candidates:detail", args=[candidate.pk])))
    return render(
        request,
        "candidates/candidate_form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": candidate.full_name},
            "candidate": candidate,
        },
    )


@recruiter_required
@require_POST
def candidate_note(request: StaffRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A note needs some text (at most 10,000 characters)."))
    else:
        try:
            candidate_note_add(
                candidate=candidate, body=form.cleaned_data["body"], actor=request.user
            )
        except CandidateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Note added."))
    return redirect("candidates:detail", pk=candidate.pk)


@recruiter_required
@require_POST
def candidate_tags(request: StaffRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    form = TagsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the tag names, separated by commas."))
        return redirect("candidates:detail", pk=candidate.pk)
    service = (
        candidate_tags_remove if request.POST.get("action") == "remove" else candidate_tags_add
    )
    try:
        service(candidates=[candidate], names=form.cleaned_data["names"], actor=request.user)
    except CandidateError as exc:
        messages.error(request, str(exc))
    return redirect("candidates:detail", pk=candidate.pk)


@recruiter_required
@require_POST
def candidate_merge_view(request: StaffRequest, pk: int) -> HttpResponse:
    kept = _candidate(pk)
    other_id = request.POST.get("merged", "")
    merged = get_object_or_404(Candidate, pk=int(other_id)) if other_id.isdigit() else None
    if merged is None:
        raise Http404(_("No such candidate."))
    try:
        candidate_merge(kept=kept, merged=merged, actor=request.user)
    except CandidateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("%(email)s was merged into this record.") % {"email": merged.email}
        )
    return redirect("candidates:detail", pk=kept.pk)


@recruiter_required
@require_POST
def candidate_apply(request: StaffRequest, pk: int) -> HttpResponse:
    candidate = _candidate(pk)
    position = get_object_or_404(Position, pk=request.POST.get("position") or 0)
    try:
        _application, created = application_create(
            candidate=candidate, position=position, actor=request.user, source="recruiter"
        )
    except CandidateError as exc:
        messages.error(request, str(exc))
    else:
        if created:
            messages.success(request, _("Added to %(title)s.") % {"title": position.title})
    return redirect("candidates:detail", pk=candidate.pk)


@recruiter_required
@require_POST
def application_move(request: StaffRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(Application, pk=pk)
    back = safe_next(request, reverse("candidates:detail", args=[application.candidate_id]))
    stage = Stage.objects.filter(pk=request.POST.get("stage") or 0).first()
    if stage is None:
        messages.error(request, _("Choose a stage."))
        return redirect(back)
    try:
        application_stage_move(application=application, stage=stage, actor=request.user)
    except CandidateError as exc:
        messages.error(request, str(exc))
    return redirect(back)


@recruiter_required
@require_POST
def application_outcome(request: StaffRequest, pk: int) -> HttpResponse:
    """Hired / withdrawn / reopen. Rejections go through the feedback app's "Reject…" action."""
    application = get_object_or_404(Application, pk=pk)
    back = safe_next(request, reverse("candidates:detail", args=[application.candidate_id]))
    outcome = request.POST.get("outcome", "")
    if outcome == Outcome.REJECTED or outcome not in Outcome.values:
        messages.error(request, _("Choose hired, withdrawn or active."))
        return redirect(back)
    try:
        application_outcome_set(application=application, outcome=outcome, actor=request.user)
    except CandidateError as exc:
        messages.error(request, str(exc))
    return redirect(back)


@recruiter_required
def application_cv(request: StaffRequest, pk: int) -> FileResponse:
    application = get_object_or_404(Application, pk=pk)
    name = application.cv.name  # a FieldFile is false exactly when it has no name
    if not name:
        raise Http404(_("No CV for this application."))
    return FileResponse(
        application.cv.open("rb"), as_attachment=True, filename=name.rsplit("/", 1)[-1]
    )


# --- Positions ----------------------------------------------------------------------------------


@recruiter_required
def position_list(request: StaffRequest) -> HttpResponse:
    return render(request, "candidates/positions.html", {"positions": positions_with_counts()})


@recruiter_required
def position_create_view(request: StaffRequest) -> HttpResponse:
    form = PositionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            position = position_create(actor=request.user, **data)
        except CandidateError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Position “%(title)s” created.") % {"title": position.title}
            )
            return redirect("candidates:position", pk=position.pk)
    return render(request, "candidates/form.html", {"form": form, "title": _("New position")})


@recruiter_required
def position_edit(request: StaffRequest, pk: int) -> HttpResponse:
    position = get_object_or_404(Position, pk=pk)
    form = PositionForm(request.POST or None, instance=Position.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            position_update(position=position, actor=request.user, **dict(form.cleaned_data))
        except CandidateError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Position saved."))
            return redirect("candidates:position", pk=position.pk)
    return render(
        request,
        "candidates/form.html",
        {"form": form, "title": _("Edit %(name)s") % {"name": position.title}},
    )


@recruiter_required
def position_detail(request: StaffRequest, pk: int) -> HttpResponse:
    position = get_object_or_404(Position, pk=pk)
    applicants = [
        (app, application_actions(app, request.user)) for app in position_applicants(position)
    ]
    return render(
        request,
        "candidates/position_detail.html",
        {
            "position": position,
            "applicants": applicants,
            "bulk_actions": bulk_application_actions(),
            "stages": list(Stage.objects.all()),
            "skills": sorted(position.required_skills.names()),
        },
    )


@recruiter_required
@require_POST
def position_delete_view(request: StaffRequest, pk: int) -> HttpResponse:
    position = get_object_or_404(Position, pk=pk)
    try:
        position_delete(position=position, actor=request.user)
    except CandidateError as exc:
        messages.error(request, str(exc))
        return redirect("candidates:position", pk=position.pk)
    messages.success(request, _("Position “%(title)s” deleted.") % {"title": position.title})
    return redirect("candidates:positions")


# --- Stages (HR admin) --------------------------------------------------------------------------


@hr_admin_required
def stage_settings(request: StaffRequest) -> HttpResponse:
    if request.method == "POST":
        action = request.POST.get("action", "")
        stage = Stage.objects.filter(pk=request.POST.get("stage") or 0).first()
        form = StageNameForm(request.POST)
        try:
            if action == "add" and form.is_valid():
                stage_create(name=form.cleaned_data["name"], actor=request.user)
            elif action == "rename" and stage and form.is_valid():
                stage_rename(stage=stage, name=form.cleaned_data["name"], actor=request.user)
            elif action in ("up", "down") and stage:
                stage_move(stage=stage, up=action == "up", actor=request.user)
            elif action == "delete" and stage:
                stage_delete(stage=stage, actor=request.user)
            else:
                raise CandidateError(_("Give a stage name (at most 60 characters)."))
        except CandidateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Pipeline saved."))
        return redirect("candidates:stages")
    links = [{"url": reverse("candidates:stages"), "label": _("Pipeline stages")}]
    return render(
        request,
        "candidates/stages.html",
        {"stages": Stage.objects.all(), "settings_links": links},
    )


# --- Import -------------------------------------------------------------------------------------


@recruiter_required
def import_upload(request: StaffRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], actor=request.user
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("candidates:import_mapping", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:10]
    return render(request, "candidates/import_upload.html", {"form": form, "jobs": jobs})


@recruiter_required
def import_mapping(request: StaffRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    if job.status != ImportStatus.UPLOADED:
        return redirect("candidates:import_job", pk=job.pk)
    form = MappingForm(
        request.POST or None,
        kind=job.kind,
        headers=job.headers,
        initial=MappingForm.initial_for(job.headers, job.mapping),
    )
    if request.method == "POST" and form.is_valid():
        mapping = {h: form.mapping().get(h, "") for h in job.headers}
        try:
            if request.POST.get("action") == "start":
                # Only what a finished dry run showed is imported.
                if dry_run_result(job) is not None and mapping == job.mapping:
                    import_job_start(job=job, actor=request.user)
                    return redirect("candidates:import_job", pk=job.pk)
                messages.warning(request, _("The mapping changed: check the new dry run first."))
            import_mapping_set(job=job, mapping=mapping, actor=request.user)
            import_dry_run_start(job=job, actor=request.user)
            return redirect(reverse("candidates:import_mapping", args=[job.pk]) + "#dry-run")
        except ImportFileError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "candidates/import_mapping.html",
        {"job": job, "form": form, "dry_run": dry_run_result(job)},
    )


@recruiter_required
def import_dry_run(request: StaffRequest, pk: int) -> HttpResponse:
    """The dry run's progress, then its result (polled by the mapping page)."""
    job = get_object_or_404(ImportJob, pk=pk)
    return render(
        request, "candidates/_import_dry_run.html", {"job": job, "dry_run": dry_run_result(job)}
    )


@recruiter_required
def import_job(request: StaffRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    template = "candidates/_import_progress.html" if request.htmx else "candidates/import_job.html"
    return render(request, template, {"job": job, "resumable": job_resumable(job)})


@recruiter_required
@require_POST
def import_resume(request: StaffRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    try:
        import_job_start(job=job, actor=request.user)
    except ImportFileError as exc:
        messages.error(request, str(exc))
    return redirect("candidates:import_job", pk=job.pk)


@recruiter_required
def import_errors(request: StaffRequest, pk: int) -> StreamingHttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    response = StreamingHttpResponse(
        csv_lines(error_report_rows(job)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
