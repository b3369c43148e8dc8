"""The staff sign-in flow shared by the password, second-factor, passkey and SSO views.

A correct password for an account with a second factor does not sign anyone in: it opens a short
"pending" step in the session (user id, where to go next, how many codes were tried) and only a
correct code or passkey completes the sign-in. So there is never a half-signed-in session.
"""

from __future__ import annotations

from datetime import timedelta

import django_otp
from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.models import Device

from accounts import lockout
from accounts.models import User

PENDING_KEY = "accounts.signin_pending"
METHOD_KEY = "accounts.signin_method"
PENDING_MINUTES = 10
MAX_CODE_TRIES = 5
BACKEND = "django.contrib.auth.backends.ModelBackend"
# How the session was opened; all but "password" passed a second factor (SSO: the company's
# identity provider is responsible for it).
SECOND_FACTOR_METHODS = {"totp", "recovery", "passkey", "sso"}


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """`candidate` if it is a path on this host, else the dashboard."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def pending_start(request: HttpRequest, user: User, next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "next": next_url,
        "until": (timezone.now() + timedelta(minutes=PENDING_MINUTES)).timestamp(),
        "tries": 0,
    }


def pending_user(request: HttpRequest) -> User | None:
    """The user whose password was right and who still owes a second factor, if any."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < timezone.now().timestamp():
        request.session.pop(PENDING_KEY, None)
        return None
    user_id = pending.get("user")
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def pending_next(request: HttpRequest) -> str:
    pending = request.session.get(PENDING_KEY) or {}
    return safe_next(request, pending.get("next"))


def pending_code_failed(request: HttpRequest, user: User) -> bool:
    """Count a wrong code; after MAX_CODE_TRIES the pending step ends (True) and the failure
    counts towards the lock of this account from this address, like a wrong password."""
    pending = request.session.get(PENDING_KEY) or {}
    pending["tries"] = int(pending.get("tries", 0)) + 1
    if pending["tries"] >= MAX_CODE_TRIES:
        request.session.pop(PENDING_KEY, None)
        lockout.signin_failure_record(request=request, email=user.email)
        return True
    request.session[PENDING_KEY] = pending
    return False


def signin_complete(
    request: HttpRequest,
    user: User,
    *,
    method: str,
    next_url: str,
    device: Device | None = None,
) -> HttpResponse:
    """Open the session: Django's login (new session key), the second factor used, and the
    device cookie that exempts this browser from the account's slow-down next time."""
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=BACKEND)
    if device is not None:
        django_otp.login(request, device)
    request.session[METHOD_KEY] = method
    lockout.signin_success_record(request=request, email=user.email)
    response = HttpResponseRedirect(next_url)
    lockout.device_cookie_set(request, response, user.email)
    return response


def second_factor_passed(request: HttpRequest) -> bool:
    return request.session.get(METHOD_KEY) in SECOND_FACTOR_METHODS
