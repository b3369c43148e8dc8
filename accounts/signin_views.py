"""Sign-in pages: password (with the lockout), second factor, single sign-on, password reset."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout
from accounts.forms import EmailAuthenticationForm, SecondFactorForm, StaffPasswordResetForm
from accounts.models import User
from accounts.passkeys import passkey_config
from accounts.permissions import public_view
from accounts.selectors import signin_policy_get
from accounts.signin import (
    pending_code_failed,
    pending_next,
    pending_start,
    pending_user,
    safe_next,
    signin_complete,
)
from accounts.sso import SsoError, sso_claims, sso_redirect, sso_user_resolve
from accounts.twofactor import (
    CodeRefused,
    has_passkey,
    has_second_factor,
    second_factor_verify,
)

SSO_NEXT_KEY = "accounts.sso_next"


def _refused(request: HttpRequest, refusal: lockout.Refusal) -> HttpResponse:
    response = render(request, "accounts/locked_out.html", {"message": refusal.message}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _login_page(
    request: HttpRequest, form: BaseForm, next_url: str, status: int = 200
) -> HttpResponse:
    policy = signin_policy_get()
    context = {"form": form, "next": next_url, "policy": policy}
    return render(request, "accounts/login.html", context, status=status)


@public_view
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url)
    form = EmailAuthenticationForm(request, data=request.POST or None)
    if request.method != "POST":
        return _login_page(request, form, next_url)
    if signin_policy_get().sso_only:
        messages.error(
            request, _("Your company signs in with single sign-on only: use the button below.")
        )
        return _login_page(request, EmailAuthenticationForm(request), next_url, status=403)
    email = request.POST.get("username", "")
    refusal = lockout.signin_refusal(request=request, email=email)
    if refusal:
        return _refused(request, refusal)
    if not form.is_valid():
        if form.has_error(NON_FIELD_ERRORS, "invalid_login"):
            lockout.signin_failure_record(request=request, email=email)
        return _login_page(request, form, next_url)
    user = form.get_user()
    if has_second_factor(user):
        pending_start(request, user, next_url)
        return redirect("accounts:login_verify")
    return signin_complete(request, user, method="password", next_url=next_url)


@public_view
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step: an authenticator code, a recovery code or a passkey."""
    user = pending_user(request)
    if user is None:
        return redirect("accounts:login")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = lockout.signin_refusal(request=request, email=user.email)
        if refusal:
            return _refused(request, refusal)
        try:
            device = second_factor_verify(user=user, code=form.cleaned_data["code"])
        except CodeRefused as exc:
            if pending_code_failed(request, user):
                messages.error(request, _("Too many wrong codes. Sign in again."))
                return redirect("accounts:login")
            form.add_error("code", str(exc))
        else:
            method = "totp" if isinstance(device, TOTPDevice) else "recovery"
            return signin_complete(
                request, user, method=method, next_url=pending_next(request), device=device
            )
    return render(
        request,
        "accounts/login_verify.html",
        {
            "form": form,
            "has_passkey": has_passkey(user),
            "next": pending_next(request),
            "passkey_config": passkey_config(request),
        },
    )


@public_view
@require_http_methods(["GET", "POST"])
@csrf_protect
@never_cache
def sso_start(request: HttpRequest) -> HttpResponse:
    """Starts the provider's flow. The login page links here (GET): starting only puts state,
    nonce and PKCE verifier in this session, and the callback checks all three, so a forged
    start cannot sign anyone in."""
    policy = signin_policy_get()
    if not policy.sso_configured:
        raise Http404("Single sign-on is not set up here.")
    next_url = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    request.session[SSO_NEXT_KEY] = safe_next(request, next_url)
    try:
        return sso_redirect(request, policy)
    except SsoError as exc:
        return render(request, "accounts/sso_error.html", {"message": str(exc)}, status=502)


@public_view
@never_cache
def sso_callback(request: HttpRequest) -> HttpResponse:
    policy = signin_policy_get()
    try:
        claims = sso_claims(request, policy)
        user = sso_user_resolve(policy=policy, claims=claims)
    except SsoError as exc:
        return render(request, "accounts/sso_error.html", {"message": str(exc)}, status=400)
    next_url = safe_next(request, request.session.pop(SSO_NEXT_KEY, None))
    return signin_complete(request, user, method="sso", next_url=next_url)


class _PasswordResetView(auth_views.PasswordResetView):
    """No reset mail while single sign-on is the only way in: passwords are not used then."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if signin_policy_get().sso_only:
            return render(
                request,
                "accounts/password_reset.html",
                {"form": self.get_form_class()(), "sso_only": True},
                status=403,
            )
        return super().post(request, *args, **kwargs)


class _PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A new password also lifts the account's sign-in locks: the way back for a locked user."""

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        lockout.signin_failures_clear(email=user.email)
        return response


password_reset = public_view(
    _PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        form_class=StaffPasswordResetForm,
        success_url=reverse_lazy("accounts:password_reset_done"),
    )
)
password_reset_confirm = public_view(
    _PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password_reset_complete"),
    )
)
