from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core import validators
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from candidates.fields import CANDIDATE_FIELDS
from candidates.importing import targets_for
from candidates.models import Candidate, ImportKind, Position, PositionStatus
from candidates.validators import validate_single_line
from tenants.i18n import lazy_format
from tenants.public_forms import GuardedForm

CV_MAX_BYTES = 5 * 1024 * 1024
# Magic numbers, not the browser's content type (which the client chooses freely).
CV_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
}


def _list_text(value: Any) -> str:
    return ", ".join(str(v) for v in value or [])


def split_list(text: str) -> list[str]:
    return [p for p in (" ".join(x.split()) for x in (text or "").split(",")) if p]


class ListField(forms.Field):
    """A comma-separated list in a text input (read as CharField reads text, without NULs)."""

    default_validators = [validators.ProhibitNullCharactersValidator()]

    def prepare_value(self, value: Any) -> Any:
        return _list_text(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:
        text = "" if value in self.empty_values else str(value)
        items = split_list(text)
        if any(len(i) > 100 for i in items):
            raise forms.ValidationError(_("Each item has at most 100 characters."))
        return items


class CandidateForm(forms.ModelForm):
    # A plain field, not the model's: email uniqueness is the service's job (a new record with
    # a known email completes the existing one; an edit to someone else's email is refused with
    # advice to merge), so the model's unique constraint must not be checked here.
    email = forms.EmailField(max_length=254, label=_("Email"))
    skills = ListField(
        required=False, label=_("Skills"), help_text=_("Comma-separated, e.g. Python, SQL")
    )
    languages = ListField(
        required=False, label=_("Languages"), help_text=_("Codes, comma-separated, e.g. fr, en")
    )
    interests = ListField(required=False, label=_("Interests"))
    desired_positions = ListField(required=False, label=_("Desired positions"))
    desired_locations = ListField(required=False, label=_("Desired locations"))

    class Meta:
        model = Candidate
        # The profile fields (candidates.fields), and skills (the list field declared above).
        fields = [*CANDIDATE_FIELDS, "skills"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "phone": _("Phone"),
            "city": _("City"),
            "country": _("Country"),
            "preferred_language": _("Preferred language"),
            "profession": _("Profession"),
            "seniority": _("Seniority"),
            "years_experience": _("Years experience"),
            "age_bracket": _("Age bracket"),
            "source": _("Source"),
            "notes": _("Notes"),
        }
        help_texts = {
            "country": _("ISO 3166 code, e.g. FR"),
            "source": _("import, career site, referral…"),
        }

    position = forms.ModelChoiceField(
        queryset=Position.objects.none(),
        required=False,
        label=_("Add to a position"),
        empty_label=_("— none —"),
        help_text=_("Creates an application at the first stage."),
    )

    # The form in the order a recruiter fills it, in sections (templates/candidates/form.html).
    SECTIONS = [
        (
            _("Person and contact"),
            ["first_name", "last_name", "email", "phone", "city", "country"],
        ),
        (
            _("Professional profile"),
            ["profession", "seniority", "years_experience", "skills", "languages"],
        ),
        (
            _("What they are looking for"),
            ["desired_positions", "desired_locations", "interests", "preferred_language"],
        ),
        (_("Recruitment"), ["position", "source", "age_bracket", "notes"]),
    ]
    WIDE = {"skills", "notes"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["first_name", "last_name", "email"])
        applied = self.instance.applications.values("position_id") if self.instance.pk else []
        position = self.fields["position"]
        assert isinstance(position, forms.ModelChoiceField)
        position.queryset = Position.objects.filter(status=PositionStatus.OPEN).exclude(
            pk__in=applied
        )
        suggest = reverse("candidates:suggest")
        typeahead = {
            "skills": f"{suggest}?field=skills",
            "profession": f"{suggest}?field=profession",
            "desired_positions": f"{suggest}?field=position",
        }
        for name, url in typeahead.items():
            attrs = self.fields[name].widget.attrs
            attrs.update({"data-typeahead": url, "autocomplete": "off"})
            if isinstance(self.fields[name], ListField):
                attrs["data-typeahead-multi"] = "1"

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(label), [self[name] for name in names]) for label, names in self.SECTIONS]
        if self.instance.pk:
            self.initial["email"] = self.instance.email
            self.initial["skills"] = list(self.instance.skills.names())

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise forms.ValidationError(_("Use the two-letter country code, e.g. FR."))
        return country


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000
    )


class TagsForm(forms.Form):
    names = forms.CharField(
        label=_("Tags"), max_length=2000, help_text=_("Comma-separated, e.g. silver-medalist")
    )

    def clean_names(self) -> list[str]:
        return split_list(self.cleaned_data["names"])


class PositionForm(forms.ModelForm):
    required_skills = ListField(
        required=False, label=_("Required skills"), help_text=_("Comma-separated")
    )

    class Meta:
        model = Position
        fields = [
            "title",
            "status",
            "profession",
            "department",
            "location",
            "country",
            "remote_policy",
            "seniority",
            "required_skills",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
        labels = {
            "title": _("Title"),
            "status": _("Status"),
            "profession": _("Profession"),
            "department": _("Department"),
            "location": _("Location"),
            "country": _("Country"),
            "remote_policy": _("Remote policy"),
            "seniority": _("Seniority"),
            "description": _("Description"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["required_skills"] = list(self.instance.required_skills.names())


class ApplyForm(GuardedForm):
    """The public apply form on an open position's page (honeypot and stamp from
    tenants.public_forms; the limits are counted by the service)."""

    first_name = forms.CharField(
        max_length=100, label=_("First name"), validators=[validate_single_line]
    )
    last_name = forms.CharField(
        max_length=100, required=False, label=_("Last name"), validators=[validate_single_line]
    )
    email = forms.EmailField(max_length=254, label=_("Email"), validators=[validate_single_line])
    phone = forms.CharField(
        max_length=40, required=False, label=_("Phone"), validators=[validate_single_line]
    )
    cv = forms.FileField(label=_("CV (PDF, DOCX, ODT or DOC, up to 5 MB)"), required=False)

    def clean_cv(self) -> Any:
        cv = self.cleaned_data.get("cv")
        if not cv:
            return None
        name = (cv.name or "").lower()
        extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        if extension not in CV_SIGNATURES:
            raise forms.ValidationError(_("Upload the CV as PDF, DOCX, ODT or DOC."))
        if cv.size > CV_MAX_BYTES:
            raise forms.ValidationError(
                lazy_format(
                    _("The CV is %(size)s MB; the limit is 5 MB."),
                    size=formats.number_format(cv.size / 1_048_576, 1),
                )
            )
        head = cv.read(8)
        cv.seek(0)
        if not head.startswith(CV_SIGNATURES[extension]):
            raise forms.ValidationError(
                lazy_format(_("This file is not a real %(kind)s file."), kind=extension[1:].upper())
            )
        return cv


class StageNameForm(forms.Form):
    name = forms.CharField(max_length=60, label=_("Name"))


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        choices=ImportKind.choices, initial=ImportKind.CANDIDATES, label=_("The file contains")
    )
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=lazy_format(
            _("Up to %(size)s MB; first row = column names."),
            size=settings.MAX_UPLOAD_BYTES // 1_048_576,
        ),
    )


class MappingForm(forms.Form):
    """One select per column of the file: which candidate field it fills (or ignore)."""

    def __init__(self, *args: Any, kind: str, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— ignore —"))] + [(t.key, t.label) for t in targets_for(kind)]
        self.headers = headers
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                choices=choices, required=False, label=header
            )

    def mapping(self) -> dict[str, str]:
        return {h: self.cleaned_data.get(f"col_{i}", "") for i, h in enumerate(self.headers)}

    @staticmethod
    def initial_for(headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
        return {f"col_{i}": mapping.get(h, "") for i, h in enumerate(headers)}
