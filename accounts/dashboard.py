"""Dashboard panels: later apps register what they show on the dashboard (DESIGN §2, registries).

A panel is a template plus a function building its context; it is shown to the roles given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Panel:
    key: str
    title: StrOrPromise
    template: str
    context: Callable[[HttpRequest], dict[str, Any]]
    order: int = 100
    hr_admin_only: bool = False


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels_for(request: HttpRequest) -> list[tuple[Panel, dict[str, Any]]]:
    is_admin = getattr(request.user, "is_hr_admin", False)
    visible = [p for p in _panels.values() if is_admin or not p.hr_admin_only]
    return [(p, p.context(request)) for p in sorted(visible, key=lambda p: (p.order, p.key))]
