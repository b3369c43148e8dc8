"""The campaigns panel on the dashboard (accounts' panel registry)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.dashboard import Panel, register_panel


def _context(request: HttpRequest) -> dict[str, Any]:
    from campaigns.selectors import nurture_overview

    return nurture_overview()


register_panel(
    Panel(
        key="campaigns",
        title=_("Nurture"),
        template="campaigns/_panel.html",
        context=_context,
        order=60,
    )
)
