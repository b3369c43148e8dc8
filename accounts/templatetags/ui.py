"""Template helpers of the staff shell: current-page marks for navigations and "Back" links."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from accounts.navigation import safe_next

register = template.Library()


@register.simple_tag(takes_context=True)
def current(context: dict[str, Any], url: Any, exact: bool = False) -> SafeString:
    """` aria-current="page"` on the link to the page being shown (or, unless `exact`, to a
    page under it: a pool's own page keeps "Pools" marked)."""
    request = context.get("request")
    if request is None or not url:
        return SafeString("")
    path, url = request.path, str(url)
    if path == url or (not exact and url != "/" and path.startswith(url)):
        return SafeString(' aria-current="page"')
    return SafeString("")


@register.simple_tag(takes_context=True)
def back_url(context: dict[str, Any], fallback: str) -> str:
    """The page to go back to: the safe `next` of this request, else `fallback`."""
    request = context.get("request")
    return safe_next(request, fallback) if request is not None else fallback
