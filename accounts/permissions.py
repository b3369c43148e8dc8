"""Role checks for views. Every tenant view declares who may use it with one of these
decorators; tests/accounts/test_roles.py walks the URL conf and fails on any view without one."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from accounts.models import Role
from tenants.context import in_public_schema

View = Callable[..., HttpResponseBase]

PUBLIC = "public"
CANDIDATE = "candidate"  # no login; the view checks a signed token itself
RECRUITER = "recruiter"
HR_ADMIN = "hr_admin"
# REST API operations: no session; the API gateway checks an API key itself
# (integrations/api/gateway.py marks its views with this).
API_KEY = "api_key"


def _mark(view: View, access: str) -> View:
    view.access = access  # type: ignore[attr-defined]
    return view


def _role_required(roles: set[str], access: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if in_public_schema():
                raise PermissionDenied("This page exists on a company's own site.")
            user = request.user
            if not user.is_authenticated:
                if getattr(request, "htmx", False):
                    response = HttpResponse(status=401)
                    response["HX-Redirect"] = redirect_to_login(request.get_full_path()).url
                    return response
                return redirect_to_login(request.get_full_path())
            if getattr(user, "role", None) not in roles:
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return _mark(wrapper, access)

    return decorator


recruiter_required = _role_required({Role.RECRUITER, Role.HR_ADMIN}, RECRUITER)
hr_admin_required = _role_required({Role.HR_ADMIN}, HR_ADMIN)


def public_view(view: View) -> View:
    """Reachable without login (login page, public job pages, health)."""
    return _mark(view, PUBLIC)


def candidate_token_view(view: View) -> View:
    """Reachable without login by candidates; the view validates a signed token."""
    return _mark(view, CANDIDATE)
