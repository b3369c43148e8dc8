"""Reject from the candidate list: the active applications of the ticked candidates, or of
everyone matching the list's filters (resolved by `candidates.selection`, confirmed with the
count first), then the usual bulk rejection page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.navigation import safe_next
from accounts.permissions import recruiter_required
from candidates.models import Application, Outcome
from candidates.selection import SelectionError, selection_from_post
from feedback.views import BULK_LIMIT, bulk_reject_for


@recruiter_required
@require_POST
def candidates_reject(request: StaffRequest) -> HttpResponse:
    back = safe_next(request, reverse("candidates:list"))
    try:
        selection = selection_from_post(request.POST)
    except SelectionError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    ids = list(
        Application.objects.filter(
            candidate__in=selection.queryset.values("pk"), outcome=Outcome.ACTIVE
        )
        .order_by("pk")
        .values_list("pk", flat=True)[: BULK_LIMIT + 1]
    )
    if not ids:
        messages.info(request, _("None of these candidates has an active application to reject."))
        return redirect(back)
    if selection.is_all and not selection.confirmed(request.POST):
        return render(
            request,
            "candidates/bulk_confirm.html",
            {
                "selection": selection,
                "question": _("Reject the active applications of"),
                "action_url": reverse("feedback:bulk_candidates"),
                "fields": {},
                "back": back,
                "changed": "confirm_count" in request.POST,
            },
        )
    return bulk_reject_for(request, ids)
