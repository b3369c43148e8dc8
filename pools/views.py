from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from accounts.permissions import hr_admin_required, recruiter_required
from accounts.services import audit_log_record
from candidates.criteria import CriteriaError, CriteriaForm, apply_criteria, criteria_describe
from candidates.exporting import candidate_export_rows, csv_lines
from candidates.models import Candidate
from candidates.services import CandidateError, candidate_tags_add
from consent.selectors import contactable
from pools.forms import BulkForm, PoolForm, TagRuleForm
from pools.models import Pool, PoolKind, RuleRun, TagRule
from pools.rules import rule_preview
from pools.selectors import (
    criteria_conflicts,
    pool_breakdown,
    pool_criteria,
    pool_members,
    pool_problem,
    static_pools,
)
from pools.services import (
    PoolError,
    pool_delete,
    pool_members_add,
    pool_members_remove,
    pool_save,
    rule_run_start,
    tag_for_name,
    tag_rule_delete,
    tag_rule_save,
)

PAGE_SIZE = 50
CRITERIA_PREFIX = "c"
# Sorted most recently active first: that is who recruiters call back first, and the indexed
# column keeps the first page fast on large pools.
MEMBER_ORDER = ("-last_activity_at", "-id")


# --- Pools --------------------------------------------------------------------------------------


@recruiter_required
def pool_list(request: StaffRequest) -> HttpResponse:
    rows = []
    for pool in Pool.objects.order_by("name"):
        problem = pool_problem(pool)
        rows.append({"pool": pool, "problem": problem, "count": pool_members(pool).count()})
    return render(request, "pools/list.html", {"rows": rows})


def _criteria_form(request: HttpRequest, pool: Pool | None) -> CriteriaForm:
    if request.method == "POST":
        return CriteriaForm(request.POST, prefix=CRITERIA_PREFIX)
    if pool is not None and pool.criteria:
        return CriteriaForm(_as_form_data(pool.criteria), prefix=CRITERIA_PREFIX)
    return CriteriaForm(prefix=CRITERIA_PREFIX)


def _as_form_data(criteria: dict[str, Any]) -> QueryDict:
    """Saved criteria JSON as prefixed form data, so the edit form shows them (and their errors
    when a tag or stage has been deleted)."""
    data = QueryDict(mutable=True)
    for key, value in criteria.items():
        name = f"{CRITERIA_PREFIX}-{key}"
        if isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = str(value)
    return data


@recruiter_required
def pool_create(request: StaffRequest) -> HttpResponse:
    kind = request.GET.get("kind") or request.POST.get("kind") or PoolKind.SMART
    if kind not in PoolKind.values:
        kind = PoolKind.SMART
    return _pool_form(request, pool=None, kind=kind)


@recruiter_required
def pool_edit(request: StaffRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(Pool, pk=pk)
    return _pool_form(request, pool=pool, kind=pool.kind)


def _pool_form(request: StaffRequest, *, pool: Pool | None, kind: str) -> HttpResponse:
    initial = {"name": pool.name, "description": pool.description} if pool else {}
    form = PoolForm(request.POST or None, initial=initial)
    criteria = _criteria_form(request, pool) if kind == PoolKind.SMART else None
    if request.method == "POST" and form.is_valid() and (criteria is None or criteria.is_valid()):
        try:
            saved = pool_save(
                actor=request.user,
                pool=pool,
                kind=kind,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                criteria=criteria.active() if criteria is not None else None,
            )
        except PoolError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Pool “%(name)s” saved.") % {"name": saved.name})
            return redirect("pools:detail", saved.pk)
    elif criteria is not None and pool is not None and request.method == "GET":
        criteria.is_valid()  # shows which saved criterion is broken
    return render(
        request,
        "pools/form.html",
        {"form": form, "criteria": criteria, "pool": pool, "kind": kind, "kinds": PoolKind},
    )


@recruiter_required
def criteria_count(request: StaffRequest) -> HttpResponse:
    """htmx: how many candidates the criteria being edited select, and any contradiction."""
    form = CriteriaForm(request.GET, prefix=CRITERIA_PREFIX)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        cleaned = form.active()
        context["conflicts"] = criteria_conflicts(cleaned)
        try:
            context["count"] = apply_criteria(Candidate.objects.active(), cleaned).count()
        except CriteriaError as exc:
            context["error"] = str(exc)
    return render(request, "pools/_count.html", context)


@recruiter_required
@require_POST
def pool_remove(request: StaffRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(Pool, pk=pk)
    pool_delete(actor=request.user, pool=pool)
    messages.success(request, _("Pool “%(name)s” deleted.") % {"name": pool.name})
    return redirect("pools:list")


def _filtered_members(query: QueryDict, pool: Pool) -> dict[str, Any]:
    """The pool's members narrowed by the candidate-list filters in the query string."""
    members = pool_members(pool)
    query = query.copy()
    query.pop("page", None)
    filters = CriteriaForm(query or None)
    notices: list[str] = []
    if filters.is_bound:
        if filters.is_valid():
            cleaned = filters.active()
            notices += criteria_conflicts(cleaned)
            try:
                members = apply_criteria(members, cleaned)
            except CriteriaError as exc:
                notices.append(str(exc))
        else:
            notices.append(_("Some filters were not understood; they are not applied (see below)."))
    return {"members": members, "filters": filters, "notices": notices}


@recruiter_required
def pool_detail(request: StaffRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(Pool, pk=pk)
    context = _filtered_members(request.GET, pool)
    members: QuerySet = context["members"]
    page = Paginator(members.order_by(*MEMBER_ORDER), PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        pool=pool,
        page=page,
        filter_query=request.GET.copy(),
        static_pools=static_pools().exclude(pk=pool.pk),
        bulk_actions=[a for a in BulkForm.ACTIONS if a[0] != "remove" or not pool.is_smart],
    )
    context["filter_query"].pop("page", None)
    if request.htmx:
        return render(request, "pools/_members.html", context)
    all_members = pool_members(pool)
    if pool.is_smart:
        context["problem"] = pool_problem(pool)
        if not context["problem"]:
            cleaned = pool_criteria(pool)
            context["criteria_lines"] = criteria_describe(cleaned)
            context["notices"] = criteria_conflicts(cleaned) + context["notices"]
    context.update(
        total=all_members.count(),
        matching=page.paginator.count,
        contactable=contactable(all_members).count(),
        breakdown=pool_breakdown(all_members),
    )
    return render(request, "pools/detail.html", context)


@recruiter_required
def pool_export(request: StaffRequest, pk: int) -> StreamingHttpResponse:
    pool = get_object_or_404(Pool, pk=pk)
    members = _filtered_members(request.GET, pool)["members"].order_by("id")
    count = members.count()
    audit_log_record(
        actor=request.user,
        action="candidate.export",
        target=f"pool:{pool.pk} {pool.name}",
        details={"count": count, "filters": request.GET.urlencode()[:500]},
        request=request,
    )
    # The candidate list's export columns (candidates.exporting, the one list of them).
    rows = candidate_export_rows(members.prefetch_related("skills", "tags"))
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    filename = f"pool-{slugify(pool.name) or pool.pk}-{stamp}.csv"
    response = StreamingHttpResponse(
        csv_lines(rows, bom=False), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@recruiter_required
@require_POST
def pool_bulk(request: StaffRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(Pool, pk=pk)
    selected = [int(v) for v in request.POST.getlist("candidate_ids") if v.isdigit()]
    form = BulkForm(request.POST, selected_ids=selected)
    filters = QueryDict(request.POST.get("filters", ""))
    back = reverse("pools:detail", args=[pool.pk]) + (f"?{filters.urlencode()}" if filters else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))  # already text: typed as ValidationError too
        return redirect(back)
    members = _filtered_members(filters, pool)["members"]
    if form.cleaned_data["scope"] == "selected":
        members = members.filter(pk__in=selected)
    action = form.cleaned_data["action"]
    try:
        if action == "tag":
            name = form.cleaned_data["tag_name"]
            count = members.count()
            limit = settings.POOLS_BULK_TAG_MAX
            if count > limit:
                raise PoolError(
                    _(
                        "That would tag %(count)s candidates at once (at most %(max)s): "
                        "narrow the filters, or create a tagging rule instead."
                    )
                    % {
                        "count": number_format(count, force_grouping=True),
                        "max": number_format(limit, force_grouping=True),
                    }
                )
            candidate_tags_add(candidates=members, names=[name], actor=request.user)
            messages.success(
                request,
                ngettext(
                    "Tagged %(n)s candidate “%(tag)s”.", "Tagged %(n)s candidates “%(tag)s”.", count
                )
                % {"n": count, "tag": tag_for_name(name).name},
            )
        elif action == "add":
            target = form.cleaned_data["target"]
            added = pool_members_add(actor=request.user, pool=target, candidates=members)
            messages.success(
                request,
                ngettext(
                    "Added %(n)s new member to “%(pool)s”.",
                    "Added %(n)s new members to “%(pool)s”.",
                    added,
                )
                % {"n": added, "pool": target.name},
            )
        else:
            removed = pool_members_remove(actor=request.user, pool=pool, candidates=members)
            messages.success(
                request,
                ngettext(
                    "Removed %(n)s member from “%(pool)s”.",
                    "Removed %(n)s members from “%(pool)s”.",
                    removed,
                )
                % {"n": removed, "pool": pool.name},
            )
    except (PoolError, CandidateError) as exc:
        messages.error(request, str(exc))
    return redirect(back)


@recruiter_required
@require_POST
def pool_add_by_email(request: StaffRequest, pk: int) -> HttpResponse:
    """Static pools: paste email addresses (one per line or separated by commas)."""
    pool = get_object_or_404(Pool, pk=pk)
    raw = request.POST.get("emails", "")
    emails = {e.strip().lower() for e in raw.replace(",", "\n").splitlines() if e.strip()}
    if not emails:
        messages.error(request, _("Paste at least one email address."))
        return redirect("pools:detail", pool.pk)
    if len(emails) > 5000:
        messages.error(
            request,
            _("Paste at most %(max)s addresses at a time.")
            % {"max": number_format(5000, force_grouping=True)},
        )
        return redirect("pools:detail", pool.pk)
    found = Candidate.objects.active().filter(email__in=list(emails))
    known = {e.lower() for e in found.values_list("email", flat=True)}
    try:
        added = pool_members_add(actor=request.user, pool=pool, candidates=found)
    except PoolError as exc:
        messages.error(request, str(exc))
        return redirect("pools:detail", pool.pk)
    messages.success(
        request,
        ngettext("Added %(n)s new member.", "Added %(n)s new members.", added) % {"n": added},
    )
    unknown = sorted(emails - known)
    if unknown:
        shown = ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
        messages.warning(
            request,
            ngettext(
                "%(n)s address matches no candidate: %(emails)s",
                "%(n)s addresses match no candidate: %(emails)s",
                len(unknown),
            )
            % {"n": len(unknown), "emails": shown},
        )
    return redirect("pools:detail", pool.pk)


# --- Tagging rules (HR admins) ------------------------------------------------------------------


@hr_admin_required
def rule_list(request: StaffRequest) -> HttpResponse:
    rules = TagRule.objects.select_related("tag", "min_stage").order_by("name")
    return render(
        request,
        "pools/rules.html",
        {"rules": rules, "run": RuleRun.objects.order_by("-created_at", "-id").first()},
    )


def _rule_from_form(form: TagRuleForm, rule: TagRule | None) -> TagRule:
    """An unsaved rule carrying the form's values (for the preview)."""
    data = form.cleaned_data
    preview = TagRule(
        name=data.get("name", ""),
        outcome=data.get("outcome", ""),
        min_stage=data.get("min_stage"),
        skill=data.get("skill", ""),
        seniority=data.get("seniority", ""),
        country=data.get("country", ""),
        age_bracket=data.get("age_bracket", ""),
        source=data.get("source", ""),
        profession=data.get("profession", ""),
    )
    preview.min_stage_name = preview.min_stage.name if preview.min_stage else ""
    from taggit.models import Tag

    tag = Tag.objects.filter(name__iexact=data.get("tag_name", "")).first()
    preview.tag, preview.tag_name = tag, data.get("tag_name", "")
    return preview


def _rule_initial(rule: TagRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "tag_name": rule.tag.name if rule.tag else rule.tag_name,
        "is_active": rule.is_active,
        "outcome": rule.outcome,
        "min_stage": rule.min_stage,
        "skill": rule.skill,
        "seniority": rule.seniority,
        "country": rule.country,
        "age_bracket": rule.age_bracket,
        "source": rule.source,
        "profession": rule.profession,
    }


@hr_admin_required
def rule_edit(request: StaffRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(TagRule, pk=pk) if pk else None
    form = TagRuleForm(request.POST or None, initial=_rule_initial(rule) if rule else None)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "tag_name"}
        try:
            saved = tag_rule_save(
                actor=request.user, rule=rule, tag_name=form.cleaned_data["tag_name"], **fields
            )
        except PoolError as exc:
            form.add_error(None, str(exc))
        else:
            if RuleRun.objects.filter(finished_at__isnull=True).exists():
                messages.success(
                    request,
                    _("Rule “%(name)s” saved; it is being applied in the background.")
                    % {"name": saved.name},
                )
            else:
                messages.success(
                    request,
                    _("Rule “%(name)s” saved and applied to everyone.") % {"name": saved.name},
                )
            return redirect("pools:rules")
    return render(request, "pools/rule_form.html", {"form": form, "rule": rule})


@hr_admin_required
@require_POST
def rule_preview_view(request: StaffRequest) -> HttpResponse:
    form = TagRuleForm(request.POST)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        rule = _rule_from_form(form, None)
        context.update(rule=rule, preview=rule_preview(rule))
    return render(request, "pools/_preview.html", context)


@hr_admin_required
@require_POST
def rule_delete(request: StaffRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(TagRule, pk=pk)
    tag_rule_delete(actor=request.user, rule=rule)
    messages.success(
        request,
        _("Rule “%(name)s” deleted; the tags only it set were removed.") % {"name": rule.name},
    )
    return redirect("pools:rules")


@hr_admin_required
@require_POST
def rule_run_create(request: StaffRequest) -> HttpResponse:
    run = rule_run_start(actor=request.user)
    if request.htmx:
        return render(request, "pools/_run.html", {"run": run})
    messages.success(request, _("Re-applying every rule to everyone; progress is shown below."))
    return redirect("pools:rules")


@hr_admin_required
def rule_run_progress(request: StaffRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(RuleRun, pk=pk)
    return render(request, "pools/_run.html", {"run": run})
