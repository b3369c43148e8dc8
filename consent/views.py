"""Recruiter and HR-admin pages: consent overview, a candidate's consent state and history,
consent texts, topic ranges and retention policy, data requests."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import StaffRequest
from accounts.permissions import hr_admin_required, recruiter_required
from accounts.services import audit_log_record
from candidates.models import Candidate
from consent import links
from consent.erasure import candidate_erase
from consent.exports import access_export_start, export_file_response
from consent.forms import ConsentTextForm, PolicyForm, RecordConsentForm, TopicSettingForm
from consent.models import (
    TOPICS,
    AccessExport,
    CandidateConsent,
    ConsentEvent,
    ConsentText,
    DataRequest,
    ExportStatus,
    Purpose,
    Registration,
    RequestStatus,
    Source,
)
from consent.requests import data_request_cancel
from consent.selectors import (
    consent_history,
    consent_state,
    data_requests_open,
    policy_get,
    topic_settings,
)
from consent.services import (
    ConsentError,
    consent_change,
    consent_text_publish,
    policy_update,
    topic_setting_update,
)

SETTINGS_LINKS = [
    {"url": reverse_lazy("consent:texts"), "label": gettext_lazy("Consent texts")},
    {"url": reverse_lazy("consent:settings"), "label": gettext_lazy("Topics & retention")},
    {"url": reverse_lazy("consent:requests"), "label": gettext_lazy("Data requests")},
    {"url": reverse_lazy("consent:report"), "label": gettext_lazy("Consent report")},
    {"url": reverse_lazy("consent:records"), "label": gettext_lazy("Records of processing")},
]


def _candidate(pk: int) -> Candidate:
    return get_object_or_404(Candidate.objects.select_related("consent_profile"), pk=pk)


@recruiter_required
def home(request: StaffRequest) -> HttpResponse:
    now = timezone.now()
    counts = dict(
        CandidateConsent.objects.active(now)
        .values_list("purpose")
        .annotate(n=Count("id"))
        .values_list("purpose", "n")
    )
    rows = [(Purpose(p).label, counts.get(p, 0)) for p in Purpose.values]
    recent = ConsentEvent.objects.select_related("candidate", "actor")[:25]
    return render(
        request,
        "consent/home.html",
        {
            "rows": rows,
            "recent": recent,
            "requests": data_requests_open()[:10],
            "now": now,
        },
    )


@recruiter_required
@require_http_methods(["GET", "POST"])
def candidate(request: StaffRequest, pk: int) -> HttpResponse:
    person = _candidate(pk)
    form = RecordConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        purposes = form.cleaned_data["purposes"]
        grant = {p: None for p in purposes} if form.cleaned_data["action"] == "grant" else {}
        try:
            events = consent_change(
                candidate=person,
                source=Source.RECRUITER,
                grant=grant,
                withdraw=[] if grant else purposes,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ConsentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                ngettext("Recorded %(count)d change.", "Recorded %(count)d changes.", len(events))
                % {"count": len(events)}
                if events
                else _("Nothing changed."),
            )
            return redirect("consent:candidate", pk=person.pk)
    state = consent_state(person)
    profile = getattr(person, "consent_profile", None)
    now = timezone.now()
    return render(
        request,
        "consent/candidate.html",
        {
            "person": person,
            "form": form,
            "state": [(Purpose(p).label, state.get(p), p in TOPICS) for p in Purpose.values],
            "expired": profile is not None and profile.expires_at <= now,
            "profile": profile,
            "history": consent_history(person)[:200],
            "requests": person.data_requests.all(),
            "registrations": Registration.objects.filter(candidate=person).exclude(cv=""),
            "optin_url": links.optin_url(person, source="recruiter")
            if person.anonymised_at is None
            else "",
            **_exports_context(person),
        },
    )


@hr_admin_required
@require_POST
def candidate_export(request: StaffRequest, pk: int) -> HttpResponse:
    """Start preparing a copy of everything held about the person (on the worker)."""
    person = _candidate(pk)
    if person.anonymised_at is not None:
        messages.error(request, _("This record was anonymised: there is nothing left to export."))
        return redirect("consent:candidate", pk=person.pk)
    access_export_start(candidate=person, actor=request.user)
    messages.success(request, _("The copy is being prepared; it appears below when ready."))
    return redirect(f"{reverse('consent:candidate', args=[person.pk])}#exports")


@hr_admin_required
def candidate_exports(request: StaffRequest, pk: int) -> HttpResponse:
    """htmx: the person's prepared copies, polled while one is being prepared."""
    return render(request, "consent/_exports.html", _exports_context(_candidate(pk)))


def _exports_context(person: Candidate) -> dict[str, object]:
    exports = list(AccessExport.objects.filter(candidate=person)[:5])
    return {
        "person": person,
        "exports": exports,
        "exports_polling": any(not e.is_finished for e in exports),
    }


@hr_admin_required
def export_download(request: StaffRequest, pk: int, fmt: str) -> FileResponse:
    export = get_object_or_404(AccessExport, pk=pk, status=ExportStatus.DONE)
    if fmt not in ("json", "pdf"):
        raise Http404(_("Unknown format"))
    audit_log_record(
        actor=request.user,
        action="candidate.export",
        target=f"candidate:{export.candidate_id}",
        details={"format": fmt, "export": export.pk},
        request=request,
    )
    return export_file_response(export, fmt, filename=f"candidate-{export.candidate_id}.{fmt}")


@hr_admin_required
@require_POST
def candidate_erase_view(request: StaffRequest, pk: int) -> HttpResponse:
    person = _candidate(pk)
    if request.POST.get("confirm") != "ERASE":
        messages.error(request, _("Type ERASE to confirm: erasure cannot be undone."))
        return redirect("consent:candidate", pk=person.pk)
    if candidate_erase(candidate=person, actor=request.user, reason="hr admin"):
        messages.success(request, _("The candidate's personal data has been erased."))
    else:
        messages.info(request, _("This person's data was already erased; nothing else to do."))
    return redirect("consent:candidate", pk=person.pk)


@recruiter_required
def registration_cv(request: StaffRequest, pk: int) -> FileResponse:
    registration = get_object_or_404(Registration, pk=pk, candidate__isnull=False)
    if not registration.cv:
        raise Http404(_("No CV"))
    return FileResponse(
        registration.cv.open("rb"),
        as_attachment=True,
        filename=registration.cv_name or "cv",
    )


# --- HR admin settings --------------------------------------------------------------------------


@hr_admin_required
def texts(request: StaffRequest) -> HttpResponse:
    latest: dict[tuple[str, str], ConsentText] = {}
    for text in ConsentText.objects.order_by("version"):
        latest[(text.purpose, text.language)] = text
    rows = [
        (
            Purpose(p).label,
            p,
            [(code, latest.get((p, code))) for code, _name in settings.LANGUAGES],
            [code for code, _name in settings.LANGUAGES if (p, code) in latest],
        )
        for p in Purpose.values
    ]
    return render(
        request,
        "consent/texts.html",
        {"rows": rows, "languages": settings.LANGUAGES, "settings_links": SETTINGS_LINKS},
    )


@hr_admin_required
@require_http_methods(["GET", "POST"])
def text_edit(request: StaffRequest, purpose: str, language: str) -> HttpResponse:
    if purpose not in Purpose.values or language not in dict(settings.LANGUAGES):
        raise Http404(_("Unknown consent text"))
    versions = ConsentText.objects.filter(purpose=purpose, language=language).order_by("-version")
    current = versions.first()
    form = ConsentTextForm(
        request.POST if request.method == "POST" else None,
        initial={"title": current.title, "body": current.body} if current else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            text = consent_text_publish(
                purpose=purpose, language=language, actor=request.user, **form.cleaned_data
            )
        except ConsentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Version %(version)d is now shown to candidates.") % {"version": text.version},
            )
            return redirect("consent:texts")
    return render(
        request,
        "consent/text_edit.html",
        {
            "form": form,
            "purpose_label": Purpose(purpose).label,
            "language_label": dict(settings.LANGUAGES)[language],
            "versions": versions,
            "settings_links": SETTINGS_LINKS,
        },
    )


@hr_admin_required
@require_http_methods(["GET", "POST"])
def settings_view(request: StaffRequest) -> HttpResponse:
    policy = policy_get()
    current = topic_settings()
    data = request.POST if request.method == "POST" else None
    topic_forms = [
        (
            topic,
            Purpose(topic).label,
            TopicSettingForm(
                data,
                prefix=topic,
                topic_label=Purpose(topic).label,
                initial={
                    "enabled": s.enabled,
                    "min_frequency": s.min_frequency,
                    "max_frequency": s.max_frequency,
                    "default_frequency": s.default_frequency,
                },
            ),
        )
        for topic, s in current.items()
    ]
    policy_form = PolicyForm(
        data,
        prefix="policy",
        initial={f: getattr(policy, f) for f in PolicyForm.base_fields},
    )
    if request.method == "POST":
        valid = policy_form.is_valid() and all(f.is_valid() for _topic, _label, f in topic_forms)
        if valid:
            try:
                for topic, _label, form in topic_forms:
                    topic_setting_update(topic=topic, actor=request.user, **form.cleaned_data)
                policy_update(actor=request.user, **policy_form.cleaned_data)
            except ConsentError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Consent settings saved."))
                return redirect("consent:settings")
    return render(
        request,
        "consent/settings.html",
        {
            "topic_forms": topic_forms,
            "policy_form": policy_form,
            "settings_links": SETTINGS_LINKS,
        },
        status=400 if request.method == "POST" else 200,
    )


@hr_admin_required
def requests_view(request: StaffRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    queryset = DataRequest.objects.select_related("candidate", "completed_by")
    if show == "open":
        queryset = queryset.filter(
            status__in=[RequestStatus.AWAITING_CONFIRMATION, RequestStatus.CONFIRMED]
        )
    return render(
        request,
        "consent/requests.html",
        {
            "requests": queryset[:500],
            "show": show,
            "now": timezone.now(),
            "settings_links": SETTINGS_LINKS,
        },
    )


@hr_admin_required
@require_POST
def request_cancel(request: StaffRequest, pk: int) -> HttpResponse:
    data_request_cancel(request=get_object_or_404(DataRequest, pk=pk), actor=request.user)
    messages.success(request, _("Request cancelled."))
    return redirect("consent:requests")
