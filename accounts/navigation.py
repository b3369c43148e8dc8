"""Where "Back" goes: the page the user came from, when it is one of ours.

Links that open a page from a list carry `?next=<the list's URL with its filters>`; forms on
that page send it back as a hidden `next` field. Only a path on this host is followed (an
absolute URL to another site, `//evil.example` or `javascript:` is ignored), so the parameter
cannot be used to send a signed-in recruiter elsewhere.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The request's `next` (POST first, then GET) if it is a URL on this host, else fallback."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# Pages that configure the company (HR admins) live in several apps; they belong under
# "Settings" in the main navigation, not under the app that serves them.
_SETTINGS_NAMES = {
    "candidates:stages",
    "consent:texts",
    "consent:text_edit",
    "consent:settings",
    "consent:requests",
    "consent:records",
    "consent:report",
    "mailing:templates",
    "mailing:template_edit",
}
_SECTIONS = {
    "candidates": "candidates",
    "pools": "pools",
    "feedback": "feedback",
    "campaigns": "campaigns",
    "mailing": "mail",
    "consent": "consent",
    "integrations": "settings",
}


def nav_section(request: HttpRequest) -> dict[str, str]:
    """Context processor: `nav_section`, the main-navigation entry the page belongs to."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {"nav_section": ""}
    name, app = match.view_name, match.app_name
    if name == "dashboard":
        section = "dashboard"
    elif name in _SETTINGS_NAMES or "/settings/" in request.path:
        section = "settings"
    elif name == "accounts:profile":
        section = "profile"
    elif app == "accounts":
        section = "security" if "two_factor" in (match.url_name or "") else "settings"
    elif app == "candidates" and "position" in (match.url_name or ""):
        section = "positions"
    else:
        section = _SECTIONS.get(app, "")
    return {"nav_section": section}
