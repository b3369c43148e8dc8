"""The candidate list as a recruiter uses it: which columns (remembered per user), how each
cell reads on one line, the active filters as removable chips, and saved views.

Reads and the few writes of per-user list state live here, apart from `services.py` (the
candidate domain) and `views.py` (HTTP): the list's views stay thin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.humanize.templatetags.humanize import naturalday
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from candidates.columns import list_columns
from candidates.criteria import CriteriaForm, registered_criteria
from candidates.models import Candidate, ListPreference, SavedView
from candidates.services import CandidateError
from candidates.sources import source_label

# Chips shown in a one-line cell before "+N".
SKILLS_SHOWN = 3
TAGS_SHOWN = 2
MAX_SAVED_VIEWS = 50
# Parameters of the list URL that are not filters.
NOT_FILTERS = {"page", "sort"}


def _chips(names: list[str], shown: int, css: str) -> SafeString:
    if not names:
        return SafeString("")
    head = format_html_join(
        "", '<span class="chip {}">{}</span>', ((css, n) for n in names[:shown])
    )
    rest = names[shown:]
    if not rest:
        return head
    return format_html(
        '{}<span class="chip chip-more" title="{}">+{}</span>', head, ", ".join(rest), len(rest)
    )


def _skills(c: Candidate) -> SafeString:
    return _chips([s.name for s in c.skills.all()], SKILLS_SHOWN, "")


def _tags(c: Candidate) -> SafeString:
    return _chips([t.name for t in c.tags.all()], TAGS_SHOWN, "chip-tag")


def _profession(c: Candidate) -> str:
    if c.seniority:
        return f"{c.profession} · {c.get_seniority_display()}" if c.profession else ""
    return c.profession


def _activity(c: Candidate) -> SafeString:
    return format_html(
        '<time datetime="{}">{}</time>',
        c.last_activity_at.isoformat(),
        naturalday(c.last_activity_at, "DATE_FORMAT"),
    )


def _created(c: Candidate) -> SafeString:
    return format_html(
        '<time datetime="{}">{}</time>',
        c.created_at.isoformat(),
        naturalday(c.created_at, "DATE_FORMAT"),
    )


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    cell: Callable[[Candidate], Any]
    sort: str = ""  # a key of selectors.SORTS ("" = not sortable)
    css: str = "cell-text"


_BUILT_IN = [
    Column("email", _("Email"), lambda c: c.email),
    Column("profession", _("Profession"), _profession, sort="profession"),
    Column("skills", _("Skills"), _skills, css="cell-chips"),
    Column("tags", _("Tags"), _tags, css="cell-chips"),
    Column("city", _("City"), lambda c: c.city),
    Column("country", _("Country"), lambda c: c.country, sort="country"),
    Column("source", _("Source"), lambda c: source_label(c.source)),
    Column("created", _("Added"), _created, sort="created", css=""),
    Column("activity", _("Last activity"), _activity, sort="activity", css=""),
]
# Shown until a user chooses, with every column later apps registered (consent).
DEFAULT_COLUMNS = ["profession", "skills", "tags", "country", "activity"]


def available_columns() -> list[Column]:
    """Built-in columns plus those later apps registered (consent), in display order."""
    extra = [Column(c.key, c.label, c.render, css="") for c in list_columns()]
    columns = _BUILT_IN[:-2] + extra + _BUILT_IN[-2:]
    return columns


def user_columns(user: User) -> list[Column]:
    """The columns this user chose (or the default set), in display order."""
    pref = ListPreference.objects.filter(user=user).first() if user.pk else None
    if pref and pref.columns:
        wanted = set(pref.columns)
    else:
        wanted = {*DEFAULT_COLUMNS, *(c.key for c in list_columns())}
    return [c for c in available_columns() if c.key in wanted]


@transaction.atomic
def list_columns_save(*, user: User, columns: list[str]) -> list[str]:
    """Remember the user's columns (unknown keys dropped; none at all = the defaults)."""
    known = [c.key for c in available_columns()]
    chosen = [k for k in known if k in set(columns)]
    ListPreference.objects.update_or_create(user=user, defaults={"columns": chosen})
    return chosen


def sort_heads(columns: list[Column], sort: str) -> list[tuple[Column, str, str]]:
    """(column, the sort its header link sets, aria-sort state) per column. Dates sort newest
    first on the first click, text A to Z."""
    heads = []
    for column in columns:
        if not column.sort:
            heads.append((column, "", ""))
            continue
        if sort == column.sort:
            heads.append((column, f"-{column.sort}", "ascending"))
        elif sort == f"-{column.sort}":
            heads.append((column, column.sort, "descending"))
        else:
            first = f"-{column.sort}" if column.key in ("activity", "created") else column.sort
            heads.append((column, first, ""))
    return heads


def rows_for(page: Any, columns: list[Column]) -> list[tuple[Candidate, list[tuple[Column, Any]]]]:
    return [(c, [(col, col.cell(c)) for col in columns]) for c in page]


# --- Active filters as chips ----------------------------------------------------------------------


@dataclass(frozen=True)
class Chip:
    label: str
    value: str
    remove_query: str  # the list's query string without this filter (or this one value)


def _without(params: QueryDict, key: str, value: str | None) -> str:
    rest = params.copy()
    rest.pop("page", None)
    if value is None:
        rest.pop(key, None)
    else:
        kept = []
        for raw in rest.getlist(key):
            parts = [p.strip() for p in raw.split(",") if p.strip()]
            kept += [p for p in parts if p.lower() != value.lower()]
        if kept:
            rest.setlist(key, [", ".join(kept)])
        else:
            rest.pop(key, None)
    return rest.urlencode()


def filter_chips(form: CriteriaForm, params: QueryDict) -> list[Chip]:
    """One chip per active filter value; a valid form's cleaned data decides what is active."""
    if not form.is_bound or not form.is_valid():
        return []
    chips: list[Chip] = []
    for criterion in registered_criteria():
        key = criterion.key
        value = form.cleaned_data.get(key)
        if value in (None, "", [], False) or (isinstance(value, QuerySet) and not value.exists()):
            continue
        field = form.fields[key]
        label = str(field.label)
        if isinstance(value, QuerySet):
            to_field = getattr(field, "to_field_name", None) or "pk"
            found = {str(getattr(v, to_field)).lower(): str(getattr(v, to_field)) for v in value}
            # In the order typed (the form's queryset has its own order).
            typed = field.widget.value_from_datadict(params, None, key)
            typed = typed if isinstance(typed, list) else [typed]
            names = list(dict.fromkeys(found[t.lower()] for t in typed if t.lower() in found))
            if getattr(field.widget, "input_type", "") == "text":  # comma-separated names
                chips += [Chip(label, n, _without(params, key, n)) for n in names]
            else:
                chips.append(
                    Chip(label, ", ".join(str(v) for v in value), _without(params, key, None))
                )
        elif isinstance(value, list | tuple):
            choices = dict(getattr(field, "choices", []) or [])
            text = ", ".join(str(choices.get(v, v)) for v in value)
            chips.append(Chip(label, text, _without(params, key, None)))
        else:
            choices = dict(getattr(field, "choices", []) or [])
            shown = date_format(value, "DATE_FORMAT") if hasattr(value, "strftime") else value
            chips.append(Chip(label, str(choices.get(value, shown)), _without(params, key, None)))
    return chips


# --- Saved views ----------------------------------------------------------------------------------


def view_query(params: QueryDict) -> str:
    """What a saved view keeps of the list URL: filters and sort, not the page."""
    kept = params.copy()
    kept.pop("page", None)
    return kept.urlencode()


def saved_views_for(user: User) -> QuerySet[SavedView]:
    """The user's own views, then those colleagues shared."""
    return (
        SavedView.objects.filter(Q(owner=user) | Q(shared=True))
        .select_related("owner")
        .order_by("-shared", "name", "pk")
    )


@transaction.atomic
def saved_view_save(*, owner: User, name: str, query: str, shared: bool) -> SavedView:
    """Create or replace (same name) one of the owner's views."""
    name = " ".join(name.split())[:80]
    if not name:
        raise CandidateError(gettext("Give the view a name."))
    if len(query) > 2000:
        raise CandidateError(gettext("These filters are too long to save as a view."))
    form = CriteriaForm(QueryDict(query))
    if not form.is_valid():
        raise CandidateError(gettext("Fix the filters before saving them as a view."))
    existing = SavedView.objects.filter(owner=owner, name=name).first()
    if existing is None and SavedView.objects.filter(owner=owner).count() >= MAX_SAVED_VIEWS:
        raise CandidateError(
            gettext("You have %(n)s saved views; delete one first.") % {"n": MAX_SAVED_VIEWS}
        )
    try:
        view, _created = SavedView.objects.update_or_create(
            owner=owner, name=name, defaults={"query": query, "shared": shared}
        )
    except IntegrityError:
        raise CandidateError(gettext("A view of that name was just saved; try again.")) from None
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: User) -> None:
    if view.owner_id != actor.pk:
        raise CandidateError(gettext("Only the person who saved a view can delete it."))
    view.delete()
