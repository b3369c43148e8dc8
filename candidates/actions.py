"""Application actions registry: later apps add buttons to applications (feedback: "Reject…")
without candidates importing them.

The candidate page and a position's applicant list show one button per visible action, linking
to `reverse(url_name, args=[application.pk])`; bulk actions render as a form that POSTs
`application_ids` to `reverse(url_name)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import reverse

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _always(application: Any, user: Any) -> bool:
    return True


@dataclass(frozen=True)
class ApplicationAction:
    key: str
    label: StrOrPromise
    url_name: str
    visible: Callable[[Any, Any], bool] = field(default=_always)


@dataclass(frozen=True)
class BulkApplicationAction:
    key: str
    label: StrOrPromise
    url_name: str


_actions: dict[str, ApplicationAction] = {}
_bulk_actions: dict[str, BulkApplicationAction] = {}


def register_application_action(action: ApplicationAction) -> None:
    _actions[action.key] = action


def register_bulk_application_action(key: str, label: StrOrPromise, url_name: str) -> None:
    _bulk_actions[key] = BulkApplicationAction(key, label, url_name)


def application_actions(application: Any, user: Any) -> list[tuple[str, StrOrPromise, str]]:
    """(key, label, url) of the actions visible for this application and user."""
    return [
        (a.key, a.label, reverse(a.url_name, args=[application.pk]))
        for a in sorted(_actions.values(), key=lambda a: a.key)
        if a.visible(application, user)
    ]


def bulk_application_actions() -> list[tuple[str, StrOrPromise, str]]:
    return [
        (a.key, a.label, reverse(a.url_name))
        for a in sorted(_bulk_actions.values(), key=lambda a: a.key)
    ]


@dataclass(frozen=True)
class CandidateBulkAction:
    """A button of the candidate list's bulk bar. The list POSTs its selection (`scope`,
    `candidate_ids`, `filters`: see `candidates.selection`) to `reverse(url_name)`, whose view
    resolves it with `selection_from_post` and confirms before acting on "all matching"."""

    key: str
    label: StrOrPromise
    url_name: str


_candidate_bulk_actions: dict[str, CandidateBulkAction] = {}


def register_candidate_bulk_action(key: str, label: StrOrPromise, url_name: str) -> None:
    _candidate_bulk_actions[key] = CandidateBulkAction(key, label, url_name)


def candidate_bulk_actions() -> list[tuple[str, StrOrPromise, str]]:
    return [
        (a.key, a.label, reverse(a.url_name))
        for a in sorted(_candidate_bulk_actions.values(), key=lambda a: a.key)
    ]
