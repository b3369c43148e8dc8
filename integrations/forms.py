from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from candidates.models import Position, Stage
from feedback.models import RejectionReason
from integrations.models import (
    ApiScope,
    AtsConnection,
    AtsMapping,
    AtsProvider,
    MappingKind,
    ReasonOutcome,
    UnknownJobPolicy,
    WebhookEventType,
)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses it, e.g. “Greenhouse sync” or “Career site”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.READ],
    )


class WebhookForm(forms.Form):
    url = forms.URLField(max_length=1000, assume_scheme="https", label=_("Receiver URL"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


class AtsConnectionForm(forms.ModelForm):
    class Meta:
        model = AtsConnection
        fields = ["secret", "enabled", "unknown_job"]
        labels = {
            "secret": _("Secret key / signature token"),
            "enabled": _("Enabled"),
            "unknown_job": _("When an event names a job we do not know"),
        }
        help_texts = {
            "secret": _(
                "Greenhouse: the secret key you gave the web hook. Lever: the webhook's "
                "signature token."
            ),
        }
        widgets = {"secret": forms.PasswordInput(render_value=True)}

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"].strip()
        if len(secret) < 8:
            raise forms.ValidationError(_("Use the full secret (at least 8 characters)."))
        return secret


class MappingForm(forms.Form):
    """Map one of their items to ours (the fields that apply to its kind are shown)."""

    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.none(), required=False)
    reason = forms.ModelChoiceField(
        label=_("Reason"), queryset=RejectionReason.objects.none(), required=False
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReasonOutcome.choices, required=False)
    position = forms.ModelChoiceField(
        label=_("Position"), queryset=Position.objects.none(), required=False
    )
    candidate_email = forms.EmailField(required=False, label=_("Candidate's email"))
    application_position = forms.ModelChoiceField(
        queryset=Position.objects.none(), required=False, label=_("Position applied to")
    )
    ignore = forms.BooleanField(label=_("Ignore"), required=False)

    def __init__(self, *args: Any, mapping: AtsMapping, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mapping = mapping
        querysets: dict[str, QuerySet[Any]] = {
            "stage": Stage.objects.all(),
            "reason": RejectionReason.objects.active(),
            "position": Position.objects.order_by("title"),
            "application_position": Position.objects.order_by("title"),
        }
        for name, queryset in querysets.items():
            choice_field = self.fields[name]
            assert isinstance(choice_field, forms.ModelChoiceField)
            choice_field.queryset = queryset
        keep = {
            MappingKind.STAGE: {"stage"},
            MappingKind.REASON: {"reason", "outcome"},
            MappingKind.JOB: {"position"},
            MappingKind.APPLICATION: {"candidate_email", "application_position"},
        }[MappingKind(mapping.kind)] | {"ignore"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]


class MappingAddForm(forms.Form):
    provider = forms.ChoiceField(label=_("ATS"), choices=AtsProvider.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=MappingKind.choices)
    external_id = forms.CharField(max_length=200, label=_("Their id"))
    external_name = forms.CharField(max_length=300, required=False, label=_("Their name"))


class UnknownJobForm(forms.Form):
    unknown_job = forms.ChoiceField(
        label=_("When an event names a job we do not know"), choices=UnknownJobPolicy.choices
    )


class ReplyAssignForm(forms.Form):
    candidate_email = forms.EmailField(label=_("The candidate's email"))
