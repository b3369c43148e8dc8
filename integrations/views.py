"""HR admin pages: API keys, outbound webhooks with their delivery log, inbound replies."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.permissions import hr_admin_required, recruiter_required
from candidates.models import Candidate
from integrations.forms import ApiKeyForm, ReplyAssignForm, WebhookForm
from integrations.keys import ApiKeyError, api_key_create, api_key_revoke
from integrations.models import (
    ApiKey,
    InboundReply,
    ReplyStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from integrations.replies import reply_assign, reply_dismiss
from integrations.webhooks.outbox import (
    WebhookError,
    delivery_replay,
    subscription_create,
    subscription_delete,
    subscription_secret_rotate,
    subscription_update,
)


def _links() -> list[dict[str, str]]:
    return [
        {"url": reverse("integrations:keys"), "label": _("API keys")},
        {"url": reverse("integrations:webhooks"), "label": _("Webhooks")},
        {"url": reverse("integrations:ats"), "label": _("ATS connectors")},
        {"url": reverse("integrations:replies"), "label": _("Replies")},
    ]


# --- API keys -------------------------------------------------------------------------------------


@hr_admin_required
def keys(request: StaffRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = api_key_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except ApiKeyError as exc:
            form.add_error(None, str(exc))
        else:
            form = ApiKeyForm()
    return render(
        request,
        "integrations/keys.html",
        {
            "form": form,
            "created": created,
            "keys": ApiKey.objects.select_related("created_by"),
            "docs_url": reverse("api:openapi-view"),
            "settings_links": _links(),
        },
    )


@hr_admin_required
@require_POST
def key_revoke(request: StaffRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=pk)
    api_key_revoke(key=key, actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        _("The key %(prefix)s… was revoked; requests with it now get 401.")
        % {"prefix": key.prefix},
    )
    return redirect("integrations:keys")


# --- Outbound webhooks ----------------------------------------------------------------------------


@hr_admin_required
def webhooks(request: StaffRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = subscription_create(
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except WebhookError as exc:
            form.add_error("url", str(exc))
        else:
            messages.success(request, _("Webhook added. Copy its signing secret to the receiver."))
            return redirect("integrations:webhook", pk=subscription.pk)
    return render(
        request,
        "integrations/webhooks.html",
        {
            "form": form,
            "subscriptions": WebhookSubscription.objects.all(),
            "settings_links": _links(),
        },
    )


@hr_admin_required
def webhook(request: StaffRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    initial = {
        "url": subscription.url,
        "description": subscription.description,
        "events": subscription.events,
        "enabled": subscription.enabled,
    }
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            subscription_update(
                subscription=subscription,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                enabled=form.cleaned_data["enabled"],
                description=form.cleaned_data["description"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except WebhookError as exc:
            form.add_error("url", str(exc))
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("integrations:webhook", pk=pk)
    deliveries = Paginator(
        WebhookDelivery.objects.filter(subscription=subscription)
        .select_related("event")
        .prefetch_related("log")
        .order_by("-created_at", "-id"),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/webhook.html",
        {
            "subscription": subscription,
            "form": form,
            "deliveries": deliveries,
            "settings_links": _links(),
            "retention_days": settings.INTEGRATIONS_LOG_RETENTION_DAYS,
        },
    )


@hr_admin_required
@require_POST
def webhook_rotate(request: StaffRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    subscription_secret_rotate(subscription=subscription, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("New signing secret: update the receiver before the next event."))
    return redirect("integrations:webhook", pk=pk)


@hr_admin_required
@require_POST
def webhook_delete(request: StaffRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    subscription_delete(subscription=subscription, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Webhook deleted with its delivery log."))
    return redirect("integrations:webhooks")


@hr_admin_required
@require_POST
def delivery_replay_view(request: StaffRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("subscription", "event"), pk=pk
    )
    try:
        delivery_replay(delivery=delivery, actor=request.user)  # type: ignore[arg-type]
    except WebhookError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Event %(id)s will be sent again.") % {"id": delivery.event.msg_id}
        )
    return redirect("integrations:webhook", pk=delivery.subscription_id)


# --- Replies --------------------------------------------------------------------------------------


@recruiter_required
def replies(request: StaffRequest) -> HttpResponse:
    status = request.GET.get("status") or ReplyStatus.REVIEW
    if status not in ReplyStatus.values:
        status = ReplyStatus.REVIEW
    page = Paginator(
        InboundReply.objects.filter(status=status).select_related("candidate", "notified"), 50
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/replies.html",
        {
            "page": page,
            "status": status,
            "statuses": ReplyStatus.choices,
            "assign_form": ReplyAssignForm(),
            "retention_days": settings.INTEGRATIONS_LOG_RETENTION_DAYS,
            "review_days": settings.INTEGRATIONS_REVIEW_RETENTION_DAYS,
            "settings_links": _links() if request.user.is_hr_admin else [],  # type: ignore[union-attr]
        },
    )


@recruiter_required
@require_POST
def reply_assign_view(request: StaffRequest, pk: int) -> HttpResponse:
    reply = get_object_or_404(InboundReply, pk=pk, status=ReplyStatus.REVIEW)
    form = ReplyAssignForm(request.POST)
    candidate = None
    if form.is_valid():
        candidate = (
            Candidate.objects.active()
            .filter(email__iexact=form.cleaned_data["candidate_email"])
            .first()
        )
    if candidate is None:
        messages.error(request, _("No candidate has this email."))
    else:
        reply_assign(reply=reply, candidate=candidate, actor=request.user)  # type: ignore[arg-type]
        messages.success(
            request,
            _("The reply is now on the timeline of %(name)s.") % {"name": candidate.full_name},
        )
    return redirect("integrations:replies")


@recruiter_required
@require_POST
def reply_dismiss_view(request: StaffRequest, pk: int) -> HttpResponse:
    reply = get_object_or_404(InboundReply, pk=pk, status=ReplyStatus.REVIEW)
    reply_dismiss(reply=reply, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Dismissed."))
    return redirect("integrations:replies")
