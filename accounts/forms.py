from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.validators import URLValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, SignInPolicy, User
from accounts.staffmail import password_reset_send
from tenants.links import tenant_absolute_url
from tenants.models import Tenant


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class StaffPasswordResetForm(PasswordResetForm):
    """Django's reset form (it finds the account and makes the token), with the email sent
    through the outbox in the person's language instead of `send_mail`."""

    def send_mail(  # type: ignore[override]
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user: User = context["user"]
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={"uidb64": context["uid"], "token": context["token"]},
        )
        password_reset_send(user=user, link=tenant_absolute_url(path), token=context["token"])


class ProfileForm(forms.ModelForm):
    """What a staff member sets for themselves: their name, language and email signature."""

    class Meta:
        model = User
        fields = ["full_name", "language", "signature"]
        labels = {"full_name": _("Full name")}
        widgets = {"signature": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language_field = self.fields["language"]
        assert isinstance(language_field, forms.ChoiceField)
        language_field.choices = [("", _("The company's language"))] + [
            (code, name) for code, name in settings.LANGUAGES
        ]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.RECRUITER)


class BrandingForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = [
            "name",
            "logo",
            "primary_colour",
            "sender_name",
            "sender_email",
            "reply_to",
            "postal_address",
            "privacy_policy_url",
            "dpo_contact",
            "controller_name",
            "privacy_notice",
            "default_language",
            "time_zone",
        ]
        widgets = {
            "primary_colour": forms.TextInput(attrs={"type": "color"}),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "privacy_notice": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "name": _("Company name"),
            "logo": _("Logo"),
            "primary_colour": _("Brand colour"),
            "sender_name": _("Sender name"),
            "sender_email": _("Sender email"),
            "reply_to": _("Reply-to address"),
            "postal_address": _("Postal address"),
            "privacy_policy_url": _("Privacy policy URL"),
            "dpo_contact": _("Data protection officer (contact)"),
            "controller_name": _("Data controller"),
            "privacy_notice": _("Privacy notice"),
            "default_language": _("Default language"),
            "time_zone": _("Time zone"),
        }
        help_texts = {
            "sender_email": _("Emails to candidates and staff are sent from this address."),
            "dpo_contact": _("Data protection officer"),
            "controller_name": _(
                "Legal name of the data controller, if not the company name above."
            ),
            "privacy_notice": _(
                "What you do with candidates' data, in a few sentences (shown on application "
                "and sign-up forms under the standard notice)."
            ),
            "default_language": _(
                "Candidates and staff who have not chosen a language read this one."
            ),
            "time_zone": _("Every time is shown in this zone, e.g. Europe/Paris."),
        }

    def clean_logo(self):  # type: ignore[no-untyped-def]
        logo = self.cleaned_data.get("logo")
        if logo and getattr(logo, "size", 0) > 1024 * 1024:
            raise forms.ValidationError(_("The logo must be at most 1 MB."))
        return logo

    def clean_time_zone(self) -> str:
        import zoneinfo

        value = self.cleaned_data["time_zone"]
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(
                _("%(zone)r is not a known time zone (e.g. Europe/Paris).") % {"zone": value}
            )
        return value


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
    )


class TotpConfirmForm(forms.Form):
    code = forms.RegexField(
        label=_("Code shown by the app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits your app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class TwoFactorPolicyForm(forms.ModelForm):
    class Meta:
        model = SignInPolicy
        fields = ["require_two_factor"]


def _group_lines(value: str) -> list[str]:
    groups = []
    for line in value.splitlines():
        name = line.strip()
        if not name:
            continue
        if len(name) > 200:
            raise forms.ValidationError(_("A group name is at most 200 characters."))
        if name not in groups:
            groups.append(name)
    return groups


class SsoForm(forms.ModelForm):
    """The tenant's OpenID Connect settings. The client secret is write-only: the field is never
    filled in, and left empty it keeps the stored one."""

    # A CharField, not a URLField: that would add a "/" to a bare host, and the issuer must match
    # the provider's own spelling exactly.
    oidc_issuer = forms.CharField(
        label=_("Issuer URL"),
        required=False,
        max_length=300,
        validators=[URLValidator(schemes=["https", "http"])],
        help_text=_("For example https://login.example.com/realms/staff"),
    )
    oidc_client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    hr_admin_groups = forms.CharField(
        label=_("Groups whose members are HR admins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One group per line, as the provider sends it."),
    )
    recruiter_groups = forms.CharField(
        label=_("Groups whose members are recruiters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One group per line. With groups set, a person's role follows them."),
    )

    class Meta:
        model = SignInPolicy
        fields = [
            "sso_enabled",
            "sso_label",
            "oidc_issuer",
            "oidc_client_id",
            "sso_default_role",
            "sso_groups_claim",
            "sso_require_group",
            "sso_only",
        ]

    field_order = [
        "sso_enabled",
        "sso_label",
        "oidc_issuer",
        "oidc_client_id",
        "oidc_client_secret",
        "sso_default_role",
        "sso_groups_claim",
        "hr_admin_groups",
        "recruiter_groups",
        "sso_require_group",
        "sso_only",
    ]

    def __init__(self, *args, can_enforce: bool, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.can_enforce = can_enforce
        self.fields["oidc_client_secret"].help_text = (
            _("A secret is stored. Leave empty to keep it; it is never shown again.")
            if self.instance.oidc_client_secret_encrypted
            else _("Shown once by your provider; it is stored encrypted and never shown again.")
        )
        if not self.is_bound:
            self.initial["hr_admin_groups"] = "\n".join(self.instance.sso_hr_admin_groups)
            self.initial["recruiter_groups"] = "\n".join(self.instance.sso_recruiter_groups)

    def clean_oidc_issuer(self) -> str:
        issuer = self.cleaned_data["oidc_issuer"].strip()
        if issuer and not issuer.startswith("https://") and not settings.SSO_ALLOW_HTTP_ISSUER:
            raise forms.ValidationError(_("The issuer must be an https:// address."))
        return issuer

    def clean_hr_admin_groups(self) -> list[str]:
        return _group_lines(self.cleaned_data["hr_admin_groups"])

    def clean_recruiter_groups(self) -> list[str]:
        return _group_lines(self.cleaned_data["recruiter_groups"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("sso_enabled"):
            if data.get("sso_only"):
                self.add_error("sso_only", _("Turn on single sign-on first."))
            return data
        for field in ("oidc_issuer", "oidc_client_id"):
            if not data.get(field):
                self.add_error(field, _("Needed for single sign-on."))
        if not data.get("oidc_client_secret") and not self.instance.oidc_client_secret_encrypted:
            self.add_error("oidc_client_secret", _("Needed for single sign-on."))
        if data.get("sso_require_group") and not (
            data.get("hr_admin_groups") or data.get("recruiter_groups")
        ):
            self.add_error("sso_require_group", _("Name at least one group above."))
        if data.get("sso_only") and not self.instance.sso_only and not self.can_enforce:
            self.add_error(
                "sso_only",
                _(
                    "Sign in with single sign-on yourself once (after saving these settings) "
                    "before making it the only way in, so nobody is locked out by a mistake."
                ),
            )
        return data
