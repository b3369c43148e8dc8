"""Staff security pages: one's own two-factor sign-in, and the tenant's sign-in settings."""

from __future__ import annotations

import django_otp
from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.forms import SsoForm, TotpConfirmForm, TwoFactorPolicyForm
from accounts.http import StaffRequest
from accounts.middleware import two_factor_enrolment
from accounts.passkeys import passkey_config
from accounts.permissions import hr_admin_required, recruiter_required
from accounts.selectors import signin_policy_get
from accounts.services import (
    AccountError,
    audit_log_record,
    signin_policy_sso_save,
    signin_policy_two_factor_set,
)
from accounts.signin import METHOD_KEY
from accounts.sso import SsoError, discovery_check
from accounts.twofactor import (
    CodeRefused,
    has_second_factor,
    qr_svg,
    recovery_codes_generate,
    recovery_codes_left,
    totp_device_for,
    totp_provisioning_uri,
    totp_secret_display,
    totp_setup_confirm,
    totp_setup_start,
    two_factor_remove,
)

SETUP_KEY = "accounts.totp_setup"


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


@recruiter_required
@two_factor_enrolment
@never_cache
def two_factor(request: StaffRequest) -> HttpResponse:
    user = request.user
    context = {
        "totp": totp_device_for(user),
        "passkeys": WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by(
            "created_at"
        ),
        "recovery_left": recovery_codes_left(user),
        "has_factor": has_second_factor(user),
        "policy": signin_policy_get(),
        "password_form": PasswordConfirmForm() if user.has_usable_password() else None,
        "passkey_config": passkey_config(request),
    }
    return render(request, "accounts/two_factor.html", context)


@recruiter_required
@two_factor_enrolment
@sensitive_post_parameters("code")
@never_cache
def two_factor_app(request: StaffRequest) -> HttpResponse:
    """Set up (or replace) the authenticator app: scan, then confirm with a code it shows."""
    user = request.user
    device = TOTPDevice.objects.filter(
        pk=request.session.get(SETUP_KEY) or 0, user=user, confirmed=False
    ).first()
    if device is None:
        device = totp_setup_start(user=user)
        request.session[SETUP_KEY] = device.pk
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_setup_confirm(
                user=user, device_id=device.pk, code=form.cleaned_data["code"]
            )
        except AccountError as exc:
            request.session.pop(SETUP_KEY, None)
            messages.error(request, str(exc))
            return redirect("accounts:two_factor_app")
        except CodeRefused as exc:
            form.add_error("code", str(exc))
        else:
            request.session.pop(SETUP_KEY, None)
            device.refresh_from_db()
            django_otp.login(request, device)
            request.session[METHOD_KEY] = "totp"
            messages.success(request, _("Your authenticator app is set up."))
            if codes:
                return render(request, "accounts/recovery_codes.html", {"codes": codes})
            return redirect("accounts:two_factor")
    uri = totp_provisioning_uri(device, issuer=request.tenant.name)
    context = {"form": form, "qr": qr_svg(uri), "secret": totp_secret_display(device)}
    return render(request, "accounts/two_factor_app.html", context)


@recruiter_required
@two_factor_enrolment
@require_POST
@never_cache
def recovery_codes_new(request: StaffRequest) -> HttpResponse:
    if not has_second_factor(request.user):
        messages.error(request, _("Set up an authenticator app or a passkey first."))
        return redirect("accounts:two_factor")
    codes = recovery_codes_generate(user=request.user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@recruiter_required
@require_POST
@sensitive_post_parameters("password")
def two_factor_off(request: StaffRequest) -> HttpResponse:
    user = request.user
    if user.has_usable_password():
        form = PasswordConfirmForm(request.POST)
        if not form.is_valid() or not user.check_password(form.cleaned_data["password"]):
            messages.error(request, _("Your password was not right; nothing was changed."))
            return redirect("accounts:two_factor")
    try:
        two_factor_remove(actor=user, user=user)
    except AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Two-factor sign-in is off for your account."))
    return redirect("accounts:two_factor")


@recruiter_required
@require_POST
def passkey_remove(request: StaffRequest, pk: int) -> HttpResponse:
    credential = get_object_or_404(WebAuthnCredential, pk=pk, user=request.user)
    policy = signin_policy_get()
    others = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists() or (
        WebAuthnCredential.objects.filter(user=request.user, confirmed=True).exclude(pk=pk).exists()
    )
    if policy.require_two_factor and not others:
        messages.error(request, _("Your company requires two-factor sign-in: keep one factor."))
        return redirect("accounts:two_factor")
    credential.delete()
    audit_log_record(
        actor=request.user, action="two_factor.passkey_removed", target=request.user.email
    )
    messages.success(request, _("The passkey was removed."))
    return redirect("accounts:two_factor")


@hr_admin_required
@sensitive_post_parameters("oidc_client_secret")
@never_cache
def signin_settings(request: StaffRequest) -> HttpResponse:
    """Two-factor requirement and single sign-on, for the whole company."""
    policy = signin_policy_get()
    can_enforce = request.session.get(METHOD_KEY) == "sso"
    posted = request.POST.get("form") if request.method == "POST" else None
    two_factor_form = TwoFactorPolicyForm(
        request.POST if posted == "two_factor" else None, instance=policy
    )
    sso_form = SsoForm(
        request.POST if posted == "sso" else None, instance=policy, can_enforce=can_enforce
    )
    if posted == "two_factor" and two_factor_form.is_valid():
        require = two_factor_form.cleaned_data["require_two_factor"]
        signin_policy_two_factor_set(actor=request.user, require=require, request=request)
        messages.success(request, _("Two-factor setting saved."))
        return redirect("accounts:signin_settings")
    if posted == "sso" and sso_form.is_valid():
        issuer = sso_form.cleaned_data["oidc_issuer"]
        try:
            if sso_form.cleaned_data["sso_enabled"]:
                discovery_check(issuer)
        except SsoError as exc:
            sso_form.add_error("oidc_issuer", str(exc))
        else:
            signin_policy_sso_save(actor=request.user, form=sso_form, request=request)
            messages.success(request, _("Single sign-on settings saved."))
            return redirect("accounts:signin_settings")
    context = {
        "two_factor_form": two_factor_form,
        "sso_form": sso_form,
        "policy": policy,
        "redirect_uri": request.build_absolute_uri(reverse("accounts:sso_callback")),
    }
    return render(request, "accounts/signin_settings.html", context)
