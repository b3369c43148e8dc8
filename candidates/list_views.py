"""The candidate list: dense rows, per-user columns, filters as chips, saved views, typeahead
suggestions, and bulk tagging of the ticked rows or of everyone matching."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from taggit.models import Tag

from accounts.http import StaffRequest
from accounts.navigation import safe_next
from accounts.permissions import recruiter_required
from candidates.actions import candidate_bulk_actions
from candidates.criteria import CriteriaForm
from candidates.forms import TagsForm
from candidates.listing import (
    available_columns,
    filter_chips,
    list_columns_save,
    rows_for,
    saved_view_delete,
    saved_view_save,
    saved_views_for,
    sort_heads,
    user_columns,
    view_query,
)
from candidates.models import Candidate, Position, PositionStatus, SavedView, Skill
from candidates.selection import SelectionError, selection_from_post
from candidates.selectors import DEFAULT_SORT, SORTS
from candidates.selectors import candidate_list as select_candidates
from candidates.services import CandidateError, candidate_tags_add, candidate_tags_remove

PAGE_SIZE = 50
# At most this many people are tagged in one request ("all matching" included).
BULK_TAG_MAX = 20_000
SUGGESTIONS = 10
# Criteria fields that get suggestions, and what they suggest.
TYPEAHEAD_FIELDS = {
    "profession": "profession",
    "skills_all": "skills",
    "skills_any": "skills",
    "tags_all": "tags",
    "tags_any": "tags",
    "tags_none": "tags",
    "desired_position": "position",
}


def list_form(data: Any) -> CriteriaForm:
    """The criteria form with its typeahead fields marked for static/js/typeahead.js."""
    form = CriteriaForm(data)
    url = reverse("candidates:suggest")
    for key, kind in TYPEAHEAD_FIELDS.items():
        if key in form.fields:
            attrs = form.fields[key].widget.attrs
            attrs["data-typeahead"] = f"{url}?field={kind}"
            attrs["autocomplete"] = "off"
            if kind in ("skills", "tags"):
                attrs["data-typeahead-multi"] = "1"
    return form


@recruiter_required
def candidate_list(request: StaffRequest) -> HttpResponse:
    form = list_form(request.GET)
    valid = form.is_valid()
    cleaned = form.active() if valid else {}
    sort = request.GET.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    queryset = select_candidates(cleaned, sort)
    if not valid:
        queryset = queryset.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    columns = user_columns(request.user)
    params = request.GET.copy()
    params.pop("page", None)
    filters_only = params.copy()
    filters_only.pop("sort", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows_for(page, columns),
        "columns": columns,
        "heads": sort_heads(columns, sort),
        "all_columns": available_columns(),
        "chosen": {c.key for c in columns},
        "sort": sort,
        "filters_qs": filters_only.urlencode(),
        "view_qs": view_query(request.GET),
        "chips": filter_chips(form, request.GET),
        "active_count": len(cleaned),
        "saved_views": saved_views_for(request.user),
        "bulk_actions": candidate_bulk_actions(),
    }
    template = "candidates/_rows.html" if request.htmx else "candidates/list.html"
    return render(request, template, context)


@recruiter_required
@require_POST
def list_columns(request: StaffRequest) -> HttpResponse:
    list_columns_save(user=request.user, columns=request.POST.getlist("columns"))
    messages.success(request, _("Columns saved."))
    return redirect(safe_next(request, reverse("candidates:list")))


@recruiter_required
@require_POST
def saved_view_create(request: StaffRequest) -> HttpResponse:
    back = safe_next(request, reverse("candidates:list"))
    try:
        view = saved_view_save(
            owner=request.user,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
            shared=request.POST.get("shared") == "1",
        )
    except CandidateError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"{reverse('candidates:list')}?{view.query}")


@recruiter_required
@require_POST
def saved_view_remove(request: StaffRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk)
    try:
        saved_view_delete(view=view, actor=request.user)
    except CandidateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect(safe_next(request, reverse("candidates:list")))


@recruiter_required
@require_GET
def suggest(request: StaffRequest) -> JsonResponse:
    """Typeahead: up to SUGGESTIONS names starting with (then containing) `q`."""
    kind = request.GET.get("field", "")
    term = " ".join(request.GET.get("q", "").split())[:100]
    sources = {
        "skills": (Skill.objects.all(), "name", "candidate_items"),
        "tags": (Tag.objects.all(), "name", "candidate_items"),
        "profession": (Candidate.objects.active().exclude(profession=""), "profession", "pk"),
        "position": (Position.objects.filter(status=PositionStatus.OPEN), "title", "pk"),
    }
    if kind not in sources:
        return JsonResponse({"error": _("Unknown field.")}, status=400)
    queryset, column, used = sources[kind]
    if not term:
        return JsonResponse({"results": []})
    names = (
        queryset.filter(**{f"{column}__icontains": term})
        .values(column)
        .annotate(n=Count(used), lower=Lower(column))
        .order_by()
    )
    # Names starting with the term first, then the most used, then alphabetical.
    rows = sorted(
        names[:200],
        key=lambda r: (not r["lower"].startswith(term.lower()), -r["n"], r["lower"]),
    )
    results = list(dict.fromkeys(r[column] for r in rows))[:SUGGESTIONS]
    return JsonResponse({"results": results})


@recruiter_required
@require_POST
def candidate_bulk_tags(request: StaffRequest) -> HttpResponse:
    back = safe_next(request, reverse("candidates:list"))
    form = TagsForm(request.POST)
    try:
        selection = selection_from_post(request.POST)
    except SelectionError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if not form.is_valid():
        messages.error(request, _("Give the tag names, separated by commas."))
        return redirect(back)
    removing = request.POST.get("action") == "remove"
    if selection.count > BULK_TAG_MAX:
        messages.error(
            request,
            _("That would tag %(count)s candidates at once (at most %(max)s): narrow the filters.")
            % {
                "count": number_format(selection.count, force_grouping=True),
                "max": number_format(BULK_TAG_MAX, force_grouping=True),
            },
        )
        return redirect(back)
    names = form.cleaned_data["names"]
    if selection.is_all and not selection.confirmed(request.POST):
        what = _("Remove the tags %(tags)s from") if removing else _("Add the tags %(tags)s to")
        return render(
            request,
            "candidates/bulk_confirm.html",
            {
                "selection": selection,
                "question": what % {"tags": ", ".join(f"“{n}”" for n in names)},
                "action_url": reverse("candidates:bulk_tags"),
                "fields": {
                    "names": request.POST.get("names", ""),
                    "action": "remove" if removing else "add",
                },
                "back": back,
                "changed": "confirm_count" in request.POST,
            },
        )
    service = candidate_tags_remove if removing else candidate_tags_add
    try:
        service(candidates=selection.queryset, names=names, actor=request.user)
    except CandidateError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    done = (
        ngettext(
            "Tags removed from %(n)s candidate.",
            "Tags removed from %(n)s candidates.",
            selection.count,
        )
        if removing
        else ngettext(
            "Tags added to %(n)s candidate.", "Tags added to %(n)s candidates.", selection.count
        )
    )
    messages.success(request, done % {"n": number_format(selection.count, force_grouping=True)})
    return redirect(back)
