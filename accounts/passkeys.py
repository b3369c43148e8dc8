"""Passkeys (WebAuthn) as a second factor, with django-otp-webauthn.

The relying party is the tenant: its host is the RP ID and its name is shown by the browser, so
a passkey made for acme.<base> is useless on globex.<base>. The library's JSON endpoints are
subclassed so that signing in with a passkey works in our pending step (password already
checked, nobody signed in yet) and ends through accounts.signin like every other factor.
Passwordless sign-in stays off: it would skip the lockout and "single sign-on only".
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django_otp_webauthn import exceptions
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from accounts.middleware import two_factor_enrolment
from accounts.models import User
from accounts.permissions import public_view, recruiter_required
from accounts.services import audit_log_record
from accounts.signin import METHOD_KEY, pending_next, pending_user, signin_complete


def relying_party_id(request: HttpRequest) -> str:
    return request.get_host().rsplit(":", 1)[0]


def relying_party_name(request: HttpRequest) -> str:
    tenant = getattr(request, "tenant", None)
    return getattr(tenant, "name", "") or "Talent CRM"


def passkey_config(request: HttpRequest) -> dict[str, Any]:
    """What the library's scripts read from the page (templates/accounts/_passkey_scripts.html)."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": get_token(request),
        "beginAuthenticationUrl": reverse("accounts:passkey_authenticate_begin"),
        "completeAuthenticationUrl": reverse("accounts:passkey_authenticate_complete"),
        "beginRegistrationUrl": reverse("accounts:passkey_register_begin"),
        "completeRegistrationUrl": reverse("accounts:passkey_register_complete"),
    }


class TenantWebAuthnHelper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        """Only the tenant's own origin (scheme and host of this request)."""
        return [f"{self.request.scheme}://{self.request.get_host()}"]

    def get_credential_name(self, user: AbstractBaseUser) -> str:
        return user.get_username()


class _RegistrationComplete(CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        response = super().post(*args, **kwargs)
        # The session just proved a second factor (the library marks it verified); a user
        # sent here by the tenant's requirement may now continue.
        self.request.session[METHOD_KEY] = "passkey"
        audit_log_record(
            actor=self.request.user,
            action="two_factor.passkey_added",
            target=self.request.user.email,
        )
        return response


class _PendingUserMixin:
    """During sign-in the user is the pending one (password checked), not request.user."""

    request: HttpRequest

    def get_user(self) -> User | None:
        return pending_user(self.request)

    def check_can_authenticate(self) -> None:
        if self.get_user() is None:
            raise exceptions.NotAuthenticated()


class _AuthenticationBegin(_PendingUserMixin, BeginCredentialAuthenticationView):
    pass


class _AuthenticationComplete(_PendingUserMixin, CompleteCredentialAuthenticationView):
    def complete_auth(self, device: Any) -> None:
        user = self.get_user()
        if user is None or device.user_id != user.pk:
            raise exceptions.NotAuthenticated()
        self._next = pending_next(self.request)
        response = signin_complete(
            self.request, user, method="passkey", next_url=self._next, device=device
        )
        self._cookies = response.cookies

    def get_success_url(self) -> str:
        return self._next

    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        response = super().post(*args, **kwargs)
        # The device cookie set by signin_complete travels on this JSON response.
        for morsel in getattr(self, "_cookies", {}).values():
            response.cookies[morsel.key] = morsel
        return response


registration_begin = two_factor_enrolment(
    recruiter_required(BeginCredentialRegistrationView.as_view())
)
registration_complete = two_factor_enrolment(recruiter_required(_RegistrationComplete.as_view()))
# Reachable without a session: they answer only while a password was just checked (pending).
authentication_begin = public_view(_AuthenticationBegin.as_view())
authentication_complete = public_view(_AuthenticationComplete.as_view())
