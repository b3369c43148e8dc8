from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from candidates.models import AgeBracket, Outcome, Seniority, Stage
from candidates.services import CandidateError, tag_names_validate
from pools.models import Pool, PoolKind


def _clean_tag_name(value: str) -> str:
    try:
        (name,) = tag_names_validate([value])[:1]
    except CandidateError as exc:
        raise forms.ValidationError(str(exc)) from None
    return name


class TagRuleForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"), help_text=_("e.g. Silver medalists"))
    tag_name = forms.CharField(
        label=_("Tag to set"), max_length=500, help_text=_("Created if it does not exist yet.")
    )
    is_active = forms.BooleanField(
        label=pgettext_lazy("rule", "Active"), required=False, initial=True
    )
    outcome = forms.ChoiceField(
        label=_("Application outcome"),
        choices=[("", _("Any outcome")), *Outcome.choices],
        required=False,
    )
    min_stage = forms.ModelChoiceField(
        label=_("…after reaching this stage or later"),
        queryset=Stage.objects.none(),
        required=False,
        empty_label=_("Any stage"),
        help_text=_("Outcome and stage are checked on the same application."),
    )
    skill = forms.CharField(label=_("Has the skill"), max_length=100, required=False)
    seniority = forms.ChoiceField(
        label=_("Seniority"), choices=[("", _("Any seniority")), *Seniority.choices], required=False
    )
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        min_length=2,
        required=False,
        help_text=_("Two-letter code, e.g. FR"),
    )
    age_bracket = forms.ChoiceField(
        label=_("Age bracket"), choices=[("", _("Any age")), *AgeBracket.choices], required=False
    )
    source = forms.CharField(
        label=_("Source"), max_length=60, required=False, help_text=_("e.g. referral")
    )
    profession = forms.CharField(label=_("Profession contains"), max_length=120, required=False)

    CONDITIONS = (
        "outcome",
        "min_stage",
        "skill",
        "seniority",
        "country",
        "age_bracket",
        "source",
        "profession",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        min_stage = self.fields["min_stage"]
        assert isinstance(min_stage, forms.ModelChoiceField)
        min_stage.queryset = Stage.objects.order_by("order")

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_tag_name(self) -> str:
        return _clean_tag_name(self.cleaned_data["tag_name"])

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and not country.isalpha():
            raise forms.ValidationError(_("Use the two-letter country code, e.g. FR."))
        return country

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not any(cleaned.get(key) for key in self.CONDITIONS):
            raise forms.ValidationError(
                _("Give the rule at least one condition, or it would tag everyone.")
            )
        return cleaned


class PoolForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("Name"))
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())


class BulkForm(forms.Form):
    ACTIONS = [
        ("tag", _("Tag them")),
        ("add", _("Add to a static pool")),
        ("remove", _("Remove from this pool")),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    scope = forms.ChoiceField(
        choices=[
            ("selected", _("Selected candidates")),
            ("all", _("Everyone matching the filters")),
        ],
        initial="selected",
    )
    tag_name = forms.CharField(max_length=500, required=False)
    target = forms.ModelChoiceField(
        queryset=Pool.objects.none(), required=False, empty_label=_("Choose a static pool")
    )
    filters = forms.CharField(required=False)

    def __init__(self, *args: Any, selected_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Which of the posted ids are really in the pool is checked by the view.
        self.selected_ids = selected_ids
        target = self.fields["target"]
        assert isinstance(target, forms.ModelChoiceField)
        target.queryset = Pool.objects.filter(kind=PoolKind.STATIC)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        action = cleaned.get("action")
        if action == "tag":
            if not cleaned.get("tag_name", "").strip():
                self.add_error("tag_name", _("Type the tag to set."))
            else:
                try:
                    cleaned["tag_name"] = _clean_tag_name(cleaned["tag_name"])
                except forms.ValidationError as exc:
                    self.add_error("tag_name", exc)
        if action == "add" and not cleaned.get("target"):
            self.add_error("target", _("Choose the static pool to add them to."))
        if cleaned.get("scope") == "selected" and not self.selected_ids:
            raise forms.ValidationError(_("Select at least one candidate, or choose everyone."))
        return cleaned
