"""A bulk action's target on the candidate list: the ticked rows, or everyone matching the
list's filters ("select all N matching").

Both arrive the same way from the list's bulk form: `scope` ("selected" or "all"),
`candidate_ids` (the ticked rows) and `filters` (the list's query string). "All" is resolved
on the server with the same criteria as the list (`candidates.criteria`), never from ids the
browser sends. Acting on everyone matching needs a confirmation that repeats the count the
recruiter saw: if the number changed in the meantime (someone was added or edited), the
confirmation is asked again with the new count.

Later apps' bulk actions (pools: add to a pool; feedback: reject) use the same resolution, so
"all matching" means the same people everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from candidates.criteria import CriteriaError, CriteriaForm, apply_criteria, criteria_describe
from candidates.models import Candidate

SCOPE_SELECTED = "selected"
SCOPE_ALL = "all"
MAX_FILTERS_LENGTH = 4000


class SelectionError(Exception):
    """The selection cannot be used; the message says why (shown to the recruiter)."""


@dataclass
class Selection:
    scope: str
    queryset: QuerySet[Candidate]
    count: int
    filters: str = ""
    ids: list[int] = field(default_factory=list)
    description: list[str] = field(default_factory=list)

    @property
    def is_all(self) -> bool:
        return self.scope == SCOPE_ALL

    def confirmed(self, data: QueryDict) -> bool:
        """Whether the request confirms acting on exactly this many people."""
        return data.get("confirm_count", "") == str(self.count)


def selection_from_post(data: QueryDict) -> Selection:
    """The people a bulk action is for. Raises SelectionError with a clear message."""
    scope = data.get("scope") or SCOPE_SELECTED
    filters = data.get("filters", "")
    if len(filters) > MAX_FILTERS_LENGTH:
        raise SelectionError(_("These filters are too long."))
    if scope == SCOPE_ALL:
        form = CriteriaForm(QueryDict(filters))
        if not form.is_valid():
            raise SelectionError(_("Fix the filters before acting on everyone matching them."))
        cleaned = form.active()
        try:
            queryset = apply_criteria(Candidate.objects.active(), cleaned)
        except CriteriaError as exc:
            raise SelectionError(str(exc)) from None
        return Selection(
            scope=SCOPE_ALL,
            queryset=queryset,
            count=queryset.count(),
            filters=filters,
            description=criteria_describe(cleaned),
        )
    if scope != SCOPE_SELECTED:
        raise SelectionError(_("Unknown selection."))
    ids = list(dict.fromkeys(int(v) for v in data.getlist("candidate_ids") if v.isdigit()))
    if not ids:
        raise SelectionError(_("Select at least one candidate."))
    queryset = Candidate.objects.active().filter(pk__in=ids)
    return Selection(
        scope=SCOPE_SELECTED, queryset=queryset, count=queryset.count(), filters=filters, ids=ids
    )
