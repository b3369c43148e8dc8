"""The tenant-wide two-factor requirement, applied to every signed-in staff page.

Views marked `two_factor_enrolment` (setting up a factor, signing out) and views open to anyone
(public, candidate pages) stay reachable; every recruiter/HR admin view sends a session without
a second factor to set one up. Someone who already has a factor but whose session did not use it
(opened before the requirement was switched on) is signed out and asked to sign in again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.i18n import staff_language
from accounts.permissions import HR_ADMIN, RECRUITER
from accounts.selectors import signin_policy_get
from accounts.signin import second_factor_passed
from accounts.twofactor import has_second_factor
from tenants.context import in_public_schema


def two_factor_enrolment(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Mark a signed-in view that stays open before the user has a second factor."""
    view.two_factor_enrolment = True  # type: ignore[attr-defined]
    return view


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if (
            getattr(view, "access", None) not in (RECRUITER, HR_ADMIN)
            or getattr(view, "two_factor_enrolment", False)
            or in_public_schema()
            or not request.user.is_authenticated
            or second_factor_passed(request)
            or not signin_policy_get().require_two_factor
        ):
            return None
        if has_second_factor(request.user):
            path = request.get_full_path()
            logout(request)
            messages.info(
                request, _("Your company now requires two-factor sign-in. Please sign in again.")
            )
            return _redirect(request, redirect_to_login(path).url)
        messages.info(
            request,
            _("Your company requires two-factor sign-in. Set it up to continue."),
        )
        return _redirect(request, reverse("accounts:two_factor"))


class StaffLanguageMiddleware:
    """Staff pages in the signed-in person's language (their profile's choice, else the
    company's default); signed-out pages (sign-in, password reset) in the company's default.
    Runs after authentication. The language is deactivated at the end of every request, also
    when the view raises: a thread serves other people next, possibly of another company.

    Candidate pages are unaffected: they render in their reader's language themselves
    (`candidates.i18n.candidate_render`, `in_visitor_language`), inside this."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        translation.activate(staff_language(request.user, getattr(request, "tenant", None)))
        request.LANGUAGE_CODE = translation.get_language()
        try:
            return self.get_response(request)
        finally:
            translation.deactivate()
