"""Add candidates to a static pool from the candidate list: the ticked rows, or everyone
matching the list's filters (resolved by `candidates.selection`), always after a confirmation
that names the pool and repeats the count."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.navigation import safe_next
from accounts.permissions import recruiter_required
from candidates.selection import SelectionError, selection_from_post
from candidates.services import CandidateError
from pools.models import Pool, PoolKind
from pools.services import PoolError, pool_members_add


@recruiter_required
@require_POST
def candidates_add(request: StaffRequest) -> HttpResponse:
    back = safe_next(request, reverse("candidates:list"))
    try:
        selection = selection_from_post(request.POST)
    except SelectionError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    pools = Pool.objects.filter(kind=PoolKind.STATIC).order_by("name")
    raw = request.POST.get("pool", "")
    pool = pools.filter(pk=raw).first() if raw.isdigit() else None
    if pool is None or not selection.confirmed(request.POST):
        return render(
            request,
            "pools/candidates_add.html",
            {
                "selection": selection,
                "question": _("Add to a static pool"),
                "action_url": reverse("pools:candidates_add"),
                "fields": {},
                "back": back,
                "pools": pools,
                "chosen": pool.pk if pool else None,
                "changed": "confirm_count" in request.POST and pool is not None,
            },
        )
    try:
        added = pool_members_add(actor=request.user, pool=pool, candidates=selection.queryset)
    except (PoolError, CandidateError) as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(
        request,
        ngettext(
            "%(n)s new member added to “%(pool)s”.",
            "%(n)s new members added to “%(pool)s”.",
            added,
        )
        % {"n": added, "pool": pool.name},
    )
    return redirect(back)
