from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts.models import Role
from tenants.models import Tenant


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class InviteForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.RECRUITER)


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
        labels = {"dpo_contact": "Data protection officer (contact)"}

    def clean_logo(self):  # type: ignore[no-untyped-def]
        logo = self.cleaned_data.get("logo")
        if logo and getattr(logo, "size", 0) > 1024 * 1024:
            raise forms.ValidationError("The logo must be at most 1 MB.")
        return logo

    def clean_time_zone(self) -> str:
        import zoneinfo

        value = self.cleaned_data["time_zone"]
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Paris).")
        return value
