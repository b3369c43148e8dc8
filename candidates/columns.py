"""Extra columns on the candidate list, filled by later apps (consent: "Consent").

`annotate(queryset) -> queryset` adds what `render(candidate) -> str` needs, so a page costs a
constant number of queries whatever the number of rows. `render` returns text (escaped by the
template) or a SafeString the owning app built with format_html.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class ListColumn:
    key: str
    label: StrOrPromise
    annotate: Callable[[QuerySet], QuerySet]
    render: Callable[[Any], str]
    order: int = 100


_columns: dict[str, ListColumn] = {}


def register_list_column(column: ListColumn) -> None:
    _columns[column.key] = column


def list_columns() -> list[ListColumn]:
    return sorted(_columns.values(), key=lambda c: (c.order, c.key))
