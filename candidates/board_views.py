"""A position's pipeline board and its moves (drag and drop, keyboard, "Move to…" menus, bulk).

The board works without JavaScript (every move is a form POST that comes back to the board);
static/js/board.js turns the same forms into in-place moves, asking for JSON.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.permissions import recruiter_required
from candidates.actions import application_actions, bulk_application_actions
from candidates.board import board_columns, board_counts, closed_counts
from candidates.models import Application, Outcome, Position, Stage
from candidates.pipeline import ApplicationChanged, application_stage_move
from candidates.services import CandidateError

BULK_MOVE_MAX = 500


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@recruiter_required
def position_board(request: StaffRequest, pk: int) -> HttpResponse:
    position = get_object_or_404(Position, pk=pk)
    columns = board_columns(position)
    for column in columns:
        for card in column.cards:
            card.actions = application_actions(card.application, request.user)
    return render(
        request,
        "candidates/board.html",
        {
            "position": position,
            "columns": columns,
            "stages": [c.stage for c in columns],
            "closed": closed_counts(position),
            "bulk_actions": bulk_application_actions(),
            "board_url": reverse("candidates:position_board", args=[position.pk]),
        },
    )


def _answer(
    request: HttpRequest, position: Position, *, ok: bool, message: str, **extra: object
) -> HttpResponse:
    if _wants_json(request):
        counts = {str(k): v for k, v in board_counts(position).items()}
        return JsonResponse(
            {"ok": ok, "message": message, "counts": counts, **extra}, status=200 if ok else 409
        )
    (messages.success if ok else messages.error)(request, message)
    return redirect("candidates:position_board", pk=position.pk)


@recruiter_required
@require_POST
def board_move(request: StaffRequest, pk: int) -> HttpResponse:
    """Move one card (`application`, `stage`, and `from_stage`: where the board showed it) or
    the ticked cards (`application_ids`, `stage`)."""
    position = get_object_or_404(Position, pk=pk)
    # A card's "Move to…" button sends "application:stage:from_stage" (the board's one form
    # also carries the ticked boxes, which are for the bulk bar, not for this move).
    single = request.POST.get("move", "").split(":")
    if len(single) == 3 and all(part.isdigit() for part in single):
        application_id, stage_id, from_id = single
    else:
        application_id = request.POST.get("application", "")
        stage_id = request.POST.get("stage", "")
        from_id = request.POST.get("from_stage", "")
    stage = Stage.objects.filter(pk=stage_id if stage_id.isdigit() else 0).first()
    if stage is None:
        return _answer(request, position, ok=False, message=_("Choose a stage."))
    if not application_id:
        ids = [int(v) for v in request.POST.getlist("application_ids") if v.isdigit()]
        if not ids:
            return _answer(request, position, ok=False, message=_("Select at least one card."))
        return _bulk_move(request, position, stage, ids)
    application = get_object_or_404(
        Application.objects.select_related("candidate", "stage"),
        pk=application_id if application_id.isdigit() else 0,
        position=position,
    )
    expected = Stage.objects.filter(pk=from_id if from_id.isdigit() else 0).first()
    try:
        application_stage_move(
            application=application, stage=stage, actor=request.user, expected_stage=expected
        )
    except ApplicationChanged as exc:
        application.refresh_from_db(fields=["stage", "outcome"])
        active = application.outcome == Outcome.ACTIVE
        return _answer(
            request,
            position,
            ok=False,
            message=str(exc),
            application=application.pk,
            stage=application.stage_id if active else None,
        )
    except CandidateError as exc:
        return _answer(request, position, ok=False, message=str(exc), application=application.pk)
    message = _("%(name)s moved to %(stage)s.") % {
        "name": application.candidate.full_name,
        "stage": stage.name,
    }
    return _answer(
        request, position, ok=True, message=message, application=application.pk, stage=stage.pk
    )


def _bulk_move(
    request: StaffRequest, position: Position, stage: Stage, ids: list[int]
) -> HttpResponse:
    if len(ids) > BULK_MOVE_MAX:
        return _answer(
            request,
            position,
            ok=False,
            message=_("Move at most %(max)s cards at once.") % {"max": BULK_MOVE_MAX},
        )
    moved, skipped = 0, 0
    for application in Application.objects.filter(pk__in=ids, position=position).order_by("pk"):
        try:
            application_stage_move(application=application, stage=stage, actor=request.user)
        except CandidateError:
            skipped += 1  # closed meanwhile: left as it is
        else:
            moved += 1
    message = ngettext(
        "%(n)s candidate moved to %(stage)s.", "%(n)s candidates moved to %(stage)s.", moved
    ) % {"n": moved, "stage": stage.name}
    if skipped:
        message += " " + ngettext(
            "%(n)s was closed meanwhile and left as it is.",
            "%(n)s were closed meanwhile and left as they are.",
            skipped,
        ) % {"n": skipped}
    return _answer(request, position, ok=moved > 0 or not skipped, message=message)
