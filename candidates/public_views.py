"""Public job pages (no login): the list of open positions, a position with its apply form, and
the signed re-apply link. Applying goes through `candidates.submissions`: protected like every
public form (honeypot, signed stamp, limits per network and per address) and never changing a
record we already hold."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.permissions import candidate_token_view, public_view
from accounts.services import client_ip
from candidates.forms import ApplyForm
from candidates.i18n import candidate_render, in_visitor_language
from candidates.links import LinkError, reapply_load
from candidates.models import Position, PositionStatus
from candidates.pipeline import application_create
from candidates.services import CandidateError
from candidates.submissions import application_submit
from tenants.public_forms import RateLimited


@public_view
@in_visitor_language
def job_list(request: HttpRequest) -> HttpResponse:
    positions = Position.objects.filter(status=PositionStatus.OPEN).order_by("-opened_at", "pk")
    return candidate_render(request, "candidates/jobs.html", {"positions": positions})


@public_view
@in_visitor_language
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    position = get_object_or_404(Position, pk=pk, status=PositionStatus.OPEN)
    form = ApplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not form.check_human():
            # A bot: answer as if it worked, keep nothing.
            return candidate_render(
                request, "candidates/applied.html", {"position": position}, status=400
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                application_submit(
                    position=position,
                    email=data["email"],
                    values={k: data.get(k, "") for k in ("first_name", "last_name", "phone")},
                    source="career site",
                    ip=client_ip(request),
                    cv=data.get("cv"),
                )
            except RateLimited as exc:
                return candidate_render(
                    request, "candidates/rate_limited.html", {"message": str(exc)}, status=429
                )
            except CandidateError as exc:
                form.add_error(None, str(exc))
            else:
                return candidate_render(request, "candidates/applied.html", {"position": position})
    return candidate_render(
        request,
        "candidates/job.html",
        {"position": position, "form": form, "skills": sorted(position.required_skills.names())},
        status=400 if request.method == "POST" else 200,
    )


@candidate_token_view
@in_visitor_language
def reapply(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = reapply_load(token)
    except LinkError as exc:
        return candidate_render(
            request, "candidates/reapply.html", {"error": exc.args[0]}, status=400
        )
    if request.method == "POST":
        try:
            application_create(
                candidate=link.candidate, position=link.position, actor=None, source="re-apply link"
            )
        except CandidateError as exc:
            return candidate_render(
                request,
                "candidates/reapply.html",
                {"error": str(exc)},
                candidate=link.candidate,
                status=400,
            )
        return candidate_render(
            request,
            "candidates/applied.html",
            {"position": link.position},
            candidate=link.candidate,
        )
    return candidate_render(
        request,
        "candidates/reapply.html",
        {"candidate": link.candidate, "position": link.position},
        candidate=link.candidate,
    )
