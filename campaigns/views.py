from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.permissions import candidate_token_view, hr_admin_required, recruiter_required
from accounts.services import client_ip
from campaigns.defaults import builtin_template
from campaigns.forms import (
    CampaignForm,
    ContentItemForm,
    NurtureSettingsForm,
    ReferralForm,
    ScheduleForm,
    TopicScheduleForm,
    TopicTemplateForm,
)
from campaigns.insights import Bar, bar_chart, insights_context
from campaigns.models import (
    ITEM_TOPIC_CHOICES,
    Campaign,
    CampaignStatus,
    ContentItem,
    NurtureSettings,
    TopicSchedule,
)
from campaigns.referrals import ReferralError, referral_load
from campaigns.selectors import campaign_progress, campaign_stats
from campaigns.services import (
    CampaignError,
    campaign_audience,
    campaign_cancel,
    campaign_create,
    campaign_preview,
    campaign_schedule,
    campaign_send_test,
    content_item_archive,
    content_item_save,
    nurture_settings_update,
    referral_apply,
    topic_schedule_update,
    topic_template_save,
)
from candidates.i18n import candidate_render, in_visitor_language
from candidates.services import CandidateError
from consent.selectors import topic_settings
from tenants.i18n import (
    format_zoned,
    language_codes,
    missing_languages,
    tenant_language,
    tenant_zone,
)
from tenants.public_forms import RateLimited

_TOPICS = dict(ITEM_TOPIC_CHOICES)


# --- Campaigns ----------------------------------------------------------------------------------


@recruiter_required
def home(request: StaffRequest) -> HttpResponse:
    campaigns = Campaign.objects.select_related("item", "pool")[:100]
    return render(request, "campaigns/home.html", {"campaigns": campaigns})


@recruiter_required
def campaign_new(request: StaffRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("item", "").isdigit():
        item = ContentItem.objects.filter(pk=request.GET["item"], archived=False).first()
        if item:
            initial = {"item": item, "name": item.title, "subject": item.title}
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(actor=request.user, **form.cleaned_data)
        except (CampaignError, ValidationError) as exc:
            form.add_error(None, _message(exc))
        else:
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form})


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@recruiter_required
def campaign_detail(request: StaffRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("item", "pool"), pk=pk)
    progress = campaign_progress(campaign)
    due = campaign.scheduled_at is not None and campaign.scheduled_at <= timezone.now()
    editable = campaign.status == CampaignStatus.DRAFT or (
        campaign.status == CampaignStatus.SCHEDULED and not due
    )
    stats = None if editable else campaign_stats(campaign)
    context = {
        "campaign": campaign,
        "editable": editable,
        "audience": campaign_audience(campaign) if editable else None,
        "schedule_form": ScheduleForm(),
        "progress": progress,
        "stats": stats,
        # Withdrawing makes sense only while some of its emails are still in the outbox.
        "can_withdraw": not editable
        and campaign.status != CampaignStatus.CANCELLED
        and progress.waiting > 0,
    }
    if stats:
        context["chart"] = bar_chart(
            [Bar(label, value) for label, value in stats.rows()],
            title=_("Campaign results"),
        )
    return render(request, "campaigns/campaign_detail.html", context)


@recruiter_required
def campaign_progress_view(request: StaffRequest, pk: int) -> HttpResponse:
    """The sending progress, polled by the campaign page until it is done."""
    campaign = get_object_or_404(Campaign, pk=pk)
    progress = campaign_progress(campaign)
    response = render(
        request, "campaigns/_progress.html", {"campaign": campaign, "progress": progress}
    )
    if progress.done and request.htmx:
        # Done while the page was watching: reload it once, for the results and the actions
        # that now apply (the reloaded page does not poll).
        response["HX-Refresh"] = "true"
    return response


@recruiter_required
def campaign_preview_html(request: StaffRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("item", "pool"), pk=pk)
    response = HttpResponse(campaign_preview(campaign).html)
    # Shown in a sandboxed frame: no scripts, no navigation of the app.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
    )
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@recruiter_required
@require_POST
def campaign_action(request: StaffRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("item", "pool"), pk=pk)
    action = request.POST.get("action")
    try:
        if action == "test":
            message = campaign_send_test(campaign=campaign, actor=request.user)
            messages.success(
                request, _("A test email is on its way to %(email)s.") % {"email": message.to_email}
            )
        elif action == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Enter a valid date and time, or leave it empty."))
            else:
                campaign = campaign_schedule(
                    campaign=campaign,
                    at=form.cleaned_data["send_at"],
                    actor=request.user,
                    request=request,
                )
                if campaign.scheduled_at and campaign.scheduled_at > timezone.now():
                    when = format_zoned(campaign.scheduled_at)
                    messages.success(
                        request, _("Campaign scheduled for %(when)s.") % {"when": when}
                    )
                else:
                    messages.success(request, _("Sending now."))
        elif action == "cancel":
            withdrawn = campaign_cancel(campaign=campaign, actor=request.user, request=request)
            messages.success(
                request,
                ngettext(
                    "Campaign cancelled; %(n)s email not yet sent was withdrawn.",
                    "Campaign cancelled; %(n)s emails not yet sent were withdrawn.",
                    withdrawn,
                )
                % {"n": withdrawn}
                if withdrawn
                else _("Campaign cancelled."),
            )
        else:
            messages.error(request, _("Unknown action."))
    except (CampaignError, ValidationError) as exc:
        messages.error(request, _message(exc))
    return redirect("campaigns:detail", pk=campaign.pk)


# --- Content library ----------------------------------------------------------------------------


@recruiter_required
def content_list(request: StaffRequest) -> HttpResponse:
    items = ContentItem.objects.select_related("target_pool")
    topic = request.GET.get("topic", "")
    if topic in _TOPICS:
        items = items.filter(topic=topic)
    if request.GET.get("archived") != "1":
        items = items.filter(archived=False)
    return render(
        request,
        "campaigns/content_list.html",
        {"items": items[:200], "topics": ITEM_TOPIC_CHOICES, "topic": topic},
    )


@recruiter_required
def content_edit(request: StaffRequest, pk: int | None = None, topic: str = "") -> HttpResponse:
    item = get_object_or_404(ContentItem, pk=pk) if pk else ContentItem(topic=topic)
    if item.topic not in _TOPICS:
        raise Http404(_("Unknown content topic."))
    form = ContentItemForm(request.POST or None, instance=item, topic=item.topic)
    if request.method == "POST" and form.is_valid():
        try:
            item = content_item_save(item=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(request, _("“%(title)s” saved.") % {"title": item.title})
            return redirect("campaigns:content")
    return render(
        request,
        "campaigns/content_form.html",
        {"form": form, "item": item, "topic_label": _TOPICS[item.topic]},
    )


@recruiter_required
@require_POST
def content_archive(request: StaffRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ContentItem, pk=pk)
    content_item_archive(item=item, actor=request.user)
    messages.success(
        request, _("“%(title)s” archived: it is no longer sent.") % {"title": item.title}
    )
    return redirect("campaigns:content")


# --- Topics, cadence and rules (HR admins) ------------------------------------------------------


@hr_admin_required
def topics(request: StaffRequest) -> HttpResponse:
    rules = NurtureSettings.load()
    form = NurtureSettingsForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        try:
            nurture_settings_update(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(request, _("Nurture rules saved."))
            return redirect("campaigns:topics")
    ranges = topic_settings()
    rows = [(s, ranges.get(s.topic)) for s in TopicSchedule.objects.prefetch_related("templates")]
    return render(
        request,
        "campaigns/topics.html",
        {"form": form, "rows": rows, "time_zone": tenant_zone().key},
    )


@hr_admin_required
def topic_edit(request: StaffRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(TopicSchedule, pk=pk)
    language = request.GET.get("language") or request.POST.get("language") or tenant_language()
    if language not in language_codes():
        language = tenant_language()
    template = schedule.templates.filter(language=language).first()
    # A language not written yet starts from the built-in text (what is sent meanwhile).
    builtin = builtin_template(schedule.topic, language) or ("", "")
    schedule_form = TopicScheduleForm(
        request.POST if request.POST.get("form") == "schedule" else None, instance=schedule
    )
    template_form = TopicTemplateForm(
        request.POST if request.POST.get("form") == "template" else None,
        topic=schedule.topic,
        initial={
            "language": language,
            "subject": template.subject if template else builtin[0],
            "body": template.body if template else builtin[1],
        },
    )
    if request.method == "POST":
        if request.POST.get("form") == "schedule" and schedule_form.is_valid():
            data = {k: v for k, v in schedule_form.cleaned_data.items()}
            try:
                topic_schedule_update(
                    schedule=schedule, actor=request.user, request=request, **data
                )
            except ValidationError as exc:
                schedule_form.add_error(None, _message(exc))
            else:
                messages.success(
                    request,
                    _("%(topic)s: schedule saved.") % {"topic": schedule.get_topic_display()},
                )
                return redirect("campaigns:topic", pk=schedule.pk)
        if request.POST.get("form") == "template" and template_form.is_valid():
            topic_template_save(schedule=schedule, actor=request.user, **template_form.cleaned_data)
            messages.success(
                request, _("%(topic)s: template saved.") % {"topic": schedule.get_topic_display()}
            )
            return redirect(f"{request.path}?language={template_form.cleaned_data['language']}")
    return render(
        request,
        "campaigns/topic_form.html",
        {
            "schedule": schedule,
            "schedule_form": schedule_form,
            "template_form": template_form,
            "languages": [t.language for t in schedule.templates.all()],
            "missing": missing_languages(t.language for t in schedule.templates.all()),
        },
    )


# --- Insights -----------------------------------------------------------------------------------


@recruiter_required
def insights_view(request: StaffRequest) -> HttpResponse:
    return render(request, "campaigns/insights.html", insights_context())


@recruiter_required
def insights_pdf(request: StaffRequest) -> HttpResponse:
    from weasyprint import HTML

    html = render_to_string(
        "campaigns/insights_pdf.html",
        {**insights_context(), "tenant": request.tenant},
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="talent-insights.pdf"'
    return response


# --- Referral landing (public, signed token) ----------------------------------------------------


@candidate_token_view
@in_visitor_language
def referral(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ref = referral_load(token)
    except ReferralError as exc:
        return candidate_render(
            request, "campaigns/referral_invalid.html", {"error": exc.args[0]}, status=410
        )
    form = ReferralForm(request.POST or None)
    if request.method == "POST":
        if not form.check_human():
            # A bot: answer as if it worked, keep nothing.
            return candidate_render(
                request, "campaigns/referral_done.html", {"position": ref.position}, status=400
            )
        if form.is_valid():
            try:
                referral_apply(
                    referral=ref,
                    email=form.cleaned_data["email"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    ip=client_ip(request),
                )
            except RateLimited as exc:
                return candidate_render(
                    request, "candidates/rate_limited.html", {"message": str(exc)}, status=429
                )
            except (ValidationError, CandidateError) as exc:
                form.add_error(None, _message(exc))
            else:
                return candidate_render(
                    request, "campaigns/referral_done.html", {"position": ref.position}
                )
    return candidate_render(
        request,
        "campaigns/referral.html",
        {"form": form, "position": ref.position, "referrer": ref.referrer},
        status=400 if request.method == "POST" else 200,
    )
