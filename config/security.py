"""Response headers that make the browser enforce what the templates promise.

- Content-Security-Policy (django-csp): every page gets a fresh nonce; scripts run only with it,
  styles come only from our own stylesheets (no inline `<style>`, no `style=""`), nothing is
  loaded from another host. The policy is `settings.CONTENT_SECURITY_POLICY`; Django's admin
  (platform operators, public host only) gets `settings.CSP_ADMIN_DIRECTIVES` on top, because
  its templates load their scripts without our nonce and django-tenants' admin index has inline
  styles.
- Permissions-Policy: browser features the product never uses are switched off.
- Cache-Control: no-store on pages for a signed-in user and on candidate token pages, which
  show personal data that must not stay in a shared computer's cache or a proxy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.middleware import CSPMiddleware as _CSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

ADMIN_PREFIX = "/admin/"


class CSPMiddleware(_CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if parts.nonce is None:
            # A fresh nonce on every page, even one without scripts: the policy never falls
            # back to an empty script-src, and a cached page never reuses a nonce.
            parts.nonce = self._make_nonce(request)
        if (
            not report_only
            and parts.config is None
            and request.path_info.startswith(ADMIN_PREFIX)
            and getattr(request, "urlconf", None) == settings.PUBLIC_SCHEMA_URLCONF
        ):
            parts.config = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]}
            parts.config.update(settings.CSP_ADMIN_DIRECTIVES)
        return parts


def _token_view(view: Callable[..., Any]) -> bool:
    from accounts.permissions import CANDIDATE

    return getattr(view, "access", None) == CANDIDATE


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response; no-store on signed-in and candidate token pages
    unless the view declared the response public (the tenant's logo and theme)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.permissions_policy = ", ".join(
            f"{feature}=({' '.join(allow)})"
            for feature, allow in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.permissions_policy)
        user = getattr(request, "user", None)
        personal = bool(user is not None and user.is_authenticated) or getattr(
            request, "_candidate_token_page", False
        )
        if personal and "public" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: Any,
        view_kwargs: Any,
    ) -> None:
        if _token_view(view_func):
            request._candidate_token_page = True  # type: ignore[attr-defined]
