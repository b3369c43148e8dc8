"""Profile panels registry: later apps show a small box on the candidate page (consent: current
consent state) without candidates importing them.

Each panel renders its own template with the dict its `context(candidate, request)` returns
(plus `candidate` and `panel`), in the right column under Applications, by `order` then key.
A context returning None hides the panel for that candidate. Keep a panel to a constant number
of queries: it runs on every candidate page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class ProfilePanel:
    key: str
    title: StrOrPromise
    template: str
    context: Callable[[Any, HttpRequest], dict[str, Any] | None]
    order: int = 100


_panels: dict[str, ProfilePanel] = {}


def register_profile_panel(
    key: str,
    title: StrOrPromise,
    template: str,
    context: Callable[[Any, HttpRequest], dict[str, Any] | None],
    order: int = 100,
) -> None:
    """Register (or replace, by key: AppConfig.ready() may run twice in tests) a panel."""
    _panels[key] = ProfilePanel(key, title, template, context, order)


def profile_panels(candidate: Any, request: HttpRequest) -> list[tuple[ProfilePanel, SafeString]]:
    """(panel, rendered HTML) of the panels shown for this candidate, in display order."""
    rendered = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        extra = panel.context(candidate, request)
        if extra is None:
            continue
        html = render_to_string(
            panel.template, {**extra, "candidate": candidate, "panel": panel}, request=request
        )
        rendered.append((panel, html))
    return rendered
