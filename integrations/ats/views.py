"""ATS webhooks (public, signed) and the HR admin pages: connections, mappings, review queue."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.permissions import hr_admin_required, public_view
from integrations.ats import PROCESSORS, greenhouse, lever
from integrations.ats.common import ats_event_receive
from integrations.ats.services import (
    AtsError,
    ats_connection_save,
    ats_event_dismiss,
    ats_event_retry,
    ats_events_retry_all,
    ats_mapping_add,
    ats_mapping_save,
)
from integrations.forms import AtsConnectionForm, MappingAddForm, MappingForm
from integrations.models import (
    AtsConnection,
    AtsEvent,
    AtsEventStatus,
    AtsMapping,
    AtsProvider,
)

MAX_WEBHOOK_BYTES = 1024 * 1024


def _answer(code: int, detail: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=code)


@public_view
@csrf_exempt
@require_POST
def ats_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Where Greenhouse or Lever POST their events for this tenant (authenticated by the
    signature with the tenant's secret; a bad signature is a 401 and nothing is stored)."""
    if provider not in PROCESSORS:
        raise Http404
    connection = AtsConnection.objects.filter(provider=provider, enabled=True).first()
    if connection is None:
        return _answer(404, f"{provider} is not connected on this site.")
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_WEBHOOK_BYTES:
            return _answer(413, "The payload is larger than 1 MB.")
        body = request.body
    except (RequestDataTooBig, ValueError):
        return _answer(413, "The payload is larger than 1 MB.")
    if provider == greenhouse.PROVIDER and not greenhouse.signature_valid(
        connection.secret, body, request.headers.get("Signature", "")
    ):
        return _answer(401, "The Signature header does not match the body and our secret.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _answer(400, "The body is not JSON.")
    if not isinstance(payload, dict):
        return _answer(400, "The body is not a JSON object.")
    if provider == lever.PROVIDER:
        if not lever.signature_valid(connection.secret, payload):
            return _answer(401, "The signature does not match the token and our secret.")
        action = str(payload.get("event") or "")
        raw_data = payload.get("data")
        data = raw_data if isinstance(raw_data, dict) else {}
        dedupe = f"lever:{action}:{payload['signature']}:{data.get('opportunityId', '')}"
    else:
        action = str(payload.get("action") or "")
        delivery = request.headers.get("Greenhouse-Event-ID") or hashlib.sha256(body).hexdigest()
        dedupe = f"greenhouse:{delivery}"
    received = ats_event_receive(
        connection=connection,
        dedupe_key=dedupe,
        action=action,
        payload=payload,
        process=PROCESSORS[provider],
    )
    event = received.event
    return _answer(
        200,
        "Already received: not processed again." if received.duplicate else "Received.",
        status=event.status,
        duplicate=received.duplicate,
    )


# --- HR admin pages -------------------------------------------------------------------------------


def _webhook_url(request: HttpRequest, provider: str) -> str:
    return request.build_absolute_uri(reverse("integrations:ats_webhook", args=[provider]))


@hr_admin_required
def ats_settings(request: StaffRequest) -> HttpResponse:
    connections = {c.provider: c for c in AtsConnection.objects.all()}
    if request.method == "POST":
        provider = request.POST.get("provider", "")
        if provider not in AtsProvider.values:
            raise Http404
        form = AtsConnectionForm(request.POST, instance=connections.get(provider), prefix=provider)
        if form.is_valid():
            ats_connection_save(
                provider=provider,
                secret=form.cleaned_data["secret"],
                enabled=form.cleaned_data["enabled"],
                unknown_job=form.cleaned_data["unknown_job"],
                actor=request.user,  # type: ignore[arg-type]
            )
            messages.success(
                request,
                _("%(provider)s settings saved.") % {"provider": AtsProvider(provider).label},
            )
            return redirect("integrations:ats")
        messages.error(request, " ".join(str(m) for e in form.errors.values() for m in e))
    providers = [
        {
            "value": value,
            "label": label,
            "connection": connections.get(value),
            "url": _webhook_url(request, value),
            "form": AtsConnectionForm(instance=connections.get(value), prefix=value),
        }
        for value, label in AtsProvider.choices
    ]
    mappings = list(
        AtsMapping.objects.select_related("stage", "reason", "position", "application__candidate")
    )
    return render(
        request,
        "integrations/ats.html",
        {
            "providers": providers,
            "review": AtsEvent.objects.filter(
                status__in=[AtsEventStatus.REVIEW, AtsEventStatus.FAILED]
            )[:200],
            "recent": AtsEvent.objects.exclude(
                status__in=[AtsEventStatus.REVIEW, AtsEventStatus.FAILED]
            )[:30],
            "mappings": [(m, MappingForm(mapping=m, initial=_initial(m))) for m in mappings],
            "add_form": MappingAddForm(),
            "retention_days": settings.INTEGRATIONS_LOG_RETENTION_DAYS,
            "review_days": settings.INTEGRATIONS_REVIEW_RETENTION_DAYS,
        },
    )


def _initial(mapping: AtsMapping) -> dict[str, Any]:
    return {
        "stage": mapping.stage_id,
        "reason": mapping.reason_id,
        "outcome": mapping.outcome,
        "position": mapping.position_id,
        "ignore": mapping.ignore,
        "candidate_email": mapping.application.candidate.email if mapping.application else "",
        "application_position": mapping.application.position_id if mapping.application else None,
    }


@hr_admin_required
@require_POST
def mapping_edit(request: StaffRequest, pk: int) -> HttpResponse:
    mapping = get_object_or_404(AtsMapping, pk=pk)
    form = MappingForm(request.POST, mapping=mapping)
    if form.is_valid():
        try:
            ats_mapping_save(mapping=mapping, values=form.cleaned_data, actor=request.user)  # type: ignore[arg-type]
        except AtsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Mapping of %(name)s saved. Retry the events waiting for review to apply it.")
                % {"name": mapping.external_name or mapping.external_id},
            )
    else:
        messages.error(request, " ".join(str(m) for e in form.errors.values() for m in e))
    return redirect(reverse("integrations:ats") + "#mappings")


@hr_admin_required
@require_POST
def mapping_add(request: StaffRequest) -> HttpResponse:
    form = MappingAddForm(request.POST)
    if form.is_valid():
        ats_mapping_add(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Added: now choose what it means here."))
    else:
        messages.error(request, " ".join(str(m) for e in form.errors.values() for m in e))
    return redirect(reverse("integrations:ats") + "#mappings")


@hr_admin_required
@require_POST
def event_retry(request: StaffRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(AtsEvent, pk=pk)
    try:
        event = ats_event_retry(event=event, actor=request.user)  # type: ignore[arg-type]
    except AtsError as exc:
        messages.error(request, str(exc))
    else:
        if event.status == AtsEventStatus.PROCESSED:
            messages.success(request, _("Processed: %(result)s.") % {"result": event.result})
        else:
            messages.error(request, _("Still waiting: %(problem)s") % {"problem": event.problem})
    return redirect(reverse("integrations:ats") + "#review")


@hr_admin_required
@require_POST
def events_retry_all(request: StaffRequest) -> HttpResponse:
    done = ats_events_retry_all(actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        ngettext("%(n)s event processed.", "%(n)s events processed.", done) % {"n": done},
    )
    return redirect(reverse("integrations:ats") + "#review")


@hr_admin_required
@require_POST
def event_dismiss(request: StaffRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(AtsEvent, pk=pk)
    ats_event_dismiss(event=event, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The event was dismissed; nothing was changed."))
    return redirect(reverse("integrations:ats") + "#review")
