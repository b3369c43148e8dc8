"""Nurture operations page (HR admins): the next run previewed with its reasons, and run now."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.permissions import hr_admin_required
from campaigns.forms import PreviewAtForm
from campaigns.operations import nurture_preview, nurture_run_enqueue
from campaigns.planner import tenant_zone


@hr_admin_required
def nurture(request: StaffRequest) -> HttpResponse:
    timezone.activate(tenant_zone())
    form = PreviewAtForm(request.GET or None)
    at = form.cleaned_data.get("at") if form.is_valid() else None
    return render(
        request,
        "campaigns/nurture.html",
        {"form": form, "preview": nurture_preview(at=at), "time_zone": tenant_zone().key},
    )


@hr_admin_required
@require_POST
def nurture_run_now(request: StaffRequest) -> HttpResponse:
    nurture_run_enqueue(actor=request.user, request=request)
    messages.success(
        request,
        _(
            "Nurture run started on the worker: the digests due now are queued in a moment and "
            "appear in Sent mail as they leave."
        ),
    )
    return redirect("campaigns:nurture")
