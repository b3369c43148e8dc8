from __future__ import annotations

from typing import Any

from django import forms

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
    name = forms.CharField(max_length=100, help_text="e.g. Silver medalists")
    tag_name = forms.CharField(
        label="Tag to set", max_length=500, help_text="Created if it does not exist yet."
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
    outcome = forms.ChoiceField(
        label="Application outcome",
        choices=[("", "Any outcome"), *Outcome.choices],
        required=False,
    )
    min_stage = forms.ModelChoiceField(
        label="…after reaching this stage or later",
        queryset=Stage.objects.none(),
        required=False,
        empty_label="Any stage",
        help_text="Outcome and stage are checked on the same application.",
    )
    skill = forms.CharField(label="Has the skill", max_length=100, required=False)
    seniority = forms.ChoiceField(
        choices=[("", "Any seniority"), *Seniority.choices], required=False
    )
    country = forms.CharField(
        max_length=2, min_length=2, required=False, help_text="Two-letter code, e.g. FR"
    )
    age_bracket = forms.ChoiceField(choices=[("", "Any age"), *AgeBracket.choices], required=False)
    source = forms.CharField(max_length=60, required=False, help_text="e.g. referral")
    profession = forms.CharField(label="Profession contains", max_length=120, required=False)

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
        self.fields["min_stage"].queryset = Stage.objects.order_by("order")

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_tag_name(self) -> str:
        return _clean_tag_name(self.cleaned_data["tag_name"])

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and not country.isalpha():
            raise forms.ValidationError("Use the two-letter country code, e.g. FR.")
        return country

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not any(cleaned.get(key) for key in self.CONDITIONS):
            raise forms.ValidationError(
                "Give the rule at least one condition, or it would tag everyone."
            )
        return cleaned


class PoolForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())


class BulkForm(forms.Form):
    ACTIONS = [
        ("tag", "Tag them"),
        ("add", "Add to a static pool"),
        ("remove", "Remove from this pool"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    scope = forms.ChoiceField(
        choices=[("selected", "Selected candidates"), ("all", "Everyone matching the filters")],
        initial="selected",
    )
    tag_name = forms.CharField(max_length=500, required=False)
    target = forms.ModelChoiceField(
        queryset=Pool.objects.none(), required=False, empty_label="Choose a static pool"
    )
    filters = forms.CharField(required=False)

    def __init__(self, *args: Any, selected_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Which of the posted ids are really in the pool is checked by the view.
        self.selected_ids = selected_ids
        self.fields["target"].queryset = Pool.objects.filter(kind=PoolKind.STATIC)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        action = cleaned.get("action")
        if action == "tag":
            if not cleaned.get("tag_name", "").strip():
                self.add_error("tag_name", "Type the tag to set.")
            else:
                try:
                    cleaned["tag_name"] = _clean_tag_name(cleaned["tag_name"])
                except forms.ValidationError as exc:
                    self.add_error("tag_name", exc)
        if action == "add" and not cleaned.get("target"):
            self.add_error("target", "Choose the static pool to add them to.")
        if cleaned.get("scope") == "selected" and not self.selected_ids:
            raise forms.ValidationError("Select at least one candidate, or choose everyone.")
        return cleaned
