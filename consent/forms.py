from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.db.models import Field
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from candidates.validators import validate_single_line as one_line
from consent.models import (
    TOPICS,
    CandidateConsent,
    ConsentPolicy,
    ConsentText,
    Frequency,
    Purpose,
    TopicSetting,
)
from consent.services import Shown
from tenants.i18n import lazy_format
from tenants.public_forms import GuardedForm

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LANGUAGE_CHOICES = [("", _("Same as the company's")), *settings.LANGUAGES]


class ChoicesForm(forms.Form):
    """Topics on/off with a frequency each (within the tenant's range), talent pool, tracking
    and language: the opt-in page, the preference centre and the registration pages share it.

    Nothing is ever ticked that the person has not ticked themselves (GDPR Recital 32, CJEU
    Planet49): a box starts ticked only when it shows consent the person already gave."""

    def __init__(
        self,
        *args: Any,
        topics: dict[str, TopicSetting],
        texts: dict[str, ConsentText],
        state: dict[str, CandidateConsent] | None = None,
        language: str = "",
        offer_pool: bool = True,
        offer_invitation: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.topics = {t: s for t, s in topics.items() if s.enabled}
        self.texts = texts
        self.offer_pool = offer_pool
        state = state or {}

        def given(purpose: str) -> bool:
            return purpose in state and state[purpose].granted

        if offer_pool:
            self.fields[Purpose.TALENT_POOL] = forms.BooleanField(
                required=False, initial=given(Purpose.TALENT_POOL)
            )
        for topic, setting in self.topics.items():
            current = state.get(topic)
            self.fields[topic] = forms.BooleanField(required=False, initial=given(topic))
            # Optional: a missing frequency means the current choice or the tenant's default.
            self.fields[f"{topic}_frequency"] = forms.ChoiceField(
                required=False,
                choices=[(f, Frequency(f).label) for f in setting.allowed_frequencies],
                initial=(current.frequency if current and current.granted else "")
                or setting.default_frequency,
                error_messages={
                    "invalid_choice": _("Choose one of the frequencies offered for this topic.")
                },
            )
        if offer_invitation:
            # Newsletter readers outside the pool may agree to be invited into it.
            self.fields[Purpose.POOL_INVITATION] = forms.BooleanField(
                required=False, initial=given(Purpose.POOL_INVITATION)
            )
        self.fields[Purpose.TRACKING] = forms.BooleanField(
            required=False, initial=given(Purpose.TRACKING)
        )
        self.fields["language"] = forms.ChoiceField(
            choices=LANGUAGE_CHOICES, required=False, initial=language
        )
        for purpose, text in texts.items():
            self.fields[f"text_{purpose}"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, initial=text.pk
            )

    def purposes(self) -> list[str]:
        """Every purpose this form shows a box for, in page order."""
        shown: list[str] = [Purpose.TALENT_POOL] if self.offer_pool else []
        shown += list(self.topics)
        if Purpose.POOL_INVITATION in self.fields:
            shown.append(Purpose.POOL_INVITATION)
        return [*shown, Purpose.TRACKING]

    def ticked(self) -> list[str]:
        return [p for p in self.purposes() if self.cleaned_data.get(p)]

    def rows(self) -> list[dict[str, Any]]:
        """Topic rows for the template, as plain values: candidate pages write the inputs by
        hand, because rendering a dozen widget templates per page costs more than everything
        else on it."""
        rows = []
        for topic in self.topics:
            box, select = self[topic], self[f"{topic}_frequency"]
            chosen = str(select.value() or "")
            field = select.field
            assert isinstance(field, forms.ChoiceField)
            # django-stubs types the choices getter as the setter's input (a mapping, a callable,
            # a Choices class); ChoiceField always stores them normalised to a list of pairs.
            choices: list[tuple[str, StrOrPromise]] = field.choices  # type: ignore[assignment]
            rows.append(
                {
                    "topic": topic,
                    "id": box.auto_id,
                    "checked": bool(box.value()),
                    "frequency_name": select.html_name,
                    "frequency_id": select.auto_id,
                    "options": [(v, label, v == chosen) for v, label in choices],
                    "errors": select.errors,
                    "text": self.texts.get(topic),
                }
            )
        return rows

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        shown = {}
        ids = {p: cleaned.get(f"text_{p}") for p in self.texts}
        found = ConsentText.objects.in_bulk([i for i in ids.values() if i])
        for purpose, current in self.texts.items():
            text = found.get(ids[purpose])
            # The exact version the person saw; a forged id falls back to the current wording.
            shown[purpose] = text if text is not None and text.purpose == purpose else current
        cleaned["texts_shown"] = shown
        return cleaned

    def decisions(self) -> tuple[dict[str, str], list[str]]:
        """(grant: purpose -> frequency, withdraw: purposes) from the cleaned form: what is
        ticked is granted, every other box shown is withdrawn."""
        ticked = set(self.ticked())
        grant = {
            p: self.cleaned_data.get(f"{p}_frequency", "") for p in self.purposes() if p in ticked
        }
        return grant, [p for p in self.purposes() if p not in ticked]

    def shown(self, *, also: dict[str, ConsentText | None] | None = None) -> Shown:
        """What the page offered (each box with the wording version shown) and what was
        ticked, for the ledger. `also`: a purpose the page's submit button itself stands for
        (joining the pool on the registration page), counted as offered and ticked."""
        texts = self.cleaned_data["texts_shown"]
        offered = {p: texts.get(p) for p in self.purposes()}
        extra = also or {}
        return Shown(offered={**extra, **offered}, ticked=frozenset([*extra, *self.ticked()]))


# --- Registration (public) ----------------------------------------------------------------------

CV_TYPES = {
    ".pdf": ("application/pdf", b"%PDF"),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", b"PK\x03\x04"),
    ".doc": ("application/msword", b"\xd0\xcf\x11\xe0"),
}
CV_MAX_BYTES = 5 * 1024 * 1024


class RegistrationForm(GuardedForm):
    first_name = forms.CharField(max_length=100, label=_("First name"), validators=[one_line])
    last_name = forms.CharField(
        max_length=100, required=False, label=_("Last name"), validators=[one_line]
    )
    email = forms.EmailField(max_length=254, label=_("Email"), validators=[one_line])
    phone = forms.CharField(max_length=40, required=False, label=_("Phone"), validators=[one_line])
    city = forms.CharField(max_length=100, required=False, label=_("City"), validators=[one_line])
    profession = forms.CharField(
        max_length=120, required=False, label=_("Profession or field"), validators=[one_line]
    )
    cv = forms.FileField(
        required=False,
        label=_("CV (optional)"),
        help_text=_("PDF, Word or OpenDocument, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(CV_TYPES)}),
    )

    def __init__(self, *args: Any, newsletter: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if newsletter:
            for name in ("last_name", "phone", "city", "profession", "cv"):
                del self.fields[name]

    def clean_cv(self) -> Any:
        upload = self.cleaned_data.get("cv")
        if not upload:
            return None
        name = upload.name.lower()
        ext = next((e for e in CV_TYPES if name.endswith(e)), None)
        if ext is None:
            raise forms.ValidationError(_("Upload your CV as PDF, Word (.doc, .docx) or .odt."))
        if upload.size > CV_MAX_BYTES:
            raise forms.ValidationError(
                _("Your CV is larger than 5 MB; please upload a smaller file.")
            )
        head = upload.read(8)
        upload.seek(0)
        if not head.startswith(CV_TYPES[ext][1]):
            raise forms.ValidationError(
                _("This file is not a real PDF, Word or OpenDocument file.")
            )
        return upload


def topic_choices() -> list[tuple[str, StrOrPromise]]:
    return [(t, Purpose(t).label) for t in TOPICS]


class RecordConsentForm(forms.Form):
    """A recruiter records what the candidate said (phone, in person, letter)."""

    action = forms.ChoiceField(
        choices=[
            ("grant", _("Candidate gave consent")),
            ("withdraw", _("Candidate withdrew consent")),
        ],
        label=_("What happened"),
    )
    purposes = forms.MultipleChoiceField(
        choices=Purpose.choices, widget=forms.CheckboxSelectMultiple, label=_("Purposes")
    )
    reason = forms.CharField(
        max_length=300,
        label=_("How"),
        help_text=_("How and when, e.g. 'by phone on 3 March, to Anna'."),
    )


class ConsentTextForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label=_("Text"))


class TopicSettingForm(forms.Form):
    enabled = forms.BooleanField(required=False, label=_("Offered"))
    min_frequency = forms.ChoiceField(choices=Frequency.choices, label=_("Most frequent"))
    max_frequency = forms.ChoiceField(choices=Frequency.choices, label=_("Least frequent"))
    default_frequency = forms.ChoiceField(choices=Frequency.choices, label=_("Default"))

    def __init__(self, *args: Any, topic_label: StrOrPromise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The settings page lays the topics out as a table: each input names its row.
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = lazy_format(
                "%(topic)s: %(field)s", topic=topic_label, field=field.label
            )


def _policy_help(name: str) -> Any:
    # The model's (lazy) help text, translated when the form is shown.
    field = ConsentPolicy._meta.get_field(name)
    assert isinstance(field, Field)
    return field.help_text


class PolicyForm(forms.Form):
    retention_months = forms.IntegerField(
        min_value=1,
        max_value=120,
        label=_("Retention (months)"),
        help_text=_policy_help("retention_months"),
    )
    consent_expiry_months = forms.IntegerField(
        min_value=1,
        max_value=120,
        label=_("Consent expiry (months)"),
        help_text=_policy_help("consent_expiry_months"),
    )
    renewal_notice_days = forms.IntegerField(
        min_value=1,
        max_value=180,
        label=_("Renewal notice (days)"),
        help_text=_policy_help("renewal_notice_days"),
    )
    grace_days = forms.IntegerField(
        min_value=0,
        max_value=180,
        label=_("Grace period (days)"),
        help_text=_policy_help("grace_days"),
    )
    weekly_cap = forms.IntegerField(
        min_value=1,
        max_value=20,
        label=_("Weekly cap (emails)"),
        help_text=_policy_help("weekly_cap"),
    )


class ReportPeriodForm(forms.Form):
    """The period of a consent report: both days included, at most ten years."""

    start = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        label=pgettext_lazy("start of a period", "From"),
    )
    end = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label=pgettext_lazy("end of a period", "To")
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period must start before it ends."))
        if start and end and (end - start).days > 3660:
            raise forms.ValidationError(_("Choose a period of at most ten years."))
        return cleaned
