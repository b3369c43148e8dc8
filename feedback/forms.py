from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from candidates.models import Stage
from feedback.configuration import template_validate
from feedback.content import MERGE_TAGS, CallNote
from feedback.models import Branch, FeedbackTemplate, RejectionReason
from feedback.selectors import next_morning_at, reasons_grouped
from tenants.i18n import lazy_format, tenant_language

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class Timing:
    NOW = "now"
    NEXT_MORNING = "next_morning"
    CUSTOM = "custom"
    CHOICES = [
        (NOW, _("Send now")),
        (NEXT_MORNING, _("Next morning, 9:00 in the candidate's time zone")),
        (CUSTOM, _("At a time I choose")),
    ]


class ReasonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: RejectionReason) -> str:
        return obj.label


class TimingMixin(forms.Form):
    """Send now, next morning (9:00 where the candidate is: candidates.i18n.candidate_zone) or
    at a chosen time (typed in the company's time zone, which the request runs in)."""

    timing = forms.ChoiceField(
        choices=Timing.CHOICES,
        initial=Timing.NOW,
        widget=forms.RadioSelect,
        label=_("When to send"),
    )
    send_at_custom = forms.DateTimeField(
        required=False, widget=DATETIME_LOCAL, label=_("Send at (your company's time zone)")
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("timing") == Timing.CUSTOM:
            when = cleaned.get("send_at_custom")
            if when is None:
                self.add_error("send_at_custom", _("Choose when the email should be sent."))
            elif when <= timezone.now():
                self.add_error("send_at_custom", _("Choose a time in the future."))
        return cleaned

    @property
    def next_morning(self) -> bool:
        return self.cleaned_data.get("timing") == Timing.NEXT_MORNING

    def send_at(self, zone: tzinfo | None = None) -> datetime | None:
        """When to send; "next morning" is 9:00 in `zone` (the candidate's)."""
        timing = self.cleaned_data.get("timing")
        if timing == Timing.NEXT_MORNING:
            return next_morning_at(None, zone)
        if timing == Timing.CUSTOM:
            return self.cleaned_data.get("send_at_custom")
        return None


class RejectForm(TimingMixin):
    reasons = ReasonChoiceField(
        queryset=RejectionReason.objects.active(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    personal_points = forms.CharField(
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        label=_("Personalised points"),
        help_text=_("What went well and what was missing, in your own words."),
    )
    tips = forms.CharField(
        required=False,
        max_length=1500,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Tips for a next application"),
    )
    log_call = forms.BooleanField(required=False, label=_("I had a feedback call"))
    call_at = forms.DateTimeField(required=False, widget=DATETIME_LOCAL, label=_("Call date"))
    call_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=600, label=_("Duration (minutes)")
    )
    call_note = forms.CharField(
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Internal note: what was said"),
        help_text=_("For you and your colleagues. Never sent: not in the email, not in the PDF."),
    )
    call_summary = forms.CharField(
        required=False,
        max_length=1500,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Summary for the candidate (optional)"),
        help_text=_(
            "Sent to the candidate: it appears in the email where the template says "
            "{{ call_summary }}, and in the PDF."
        ),
    )
    attach_pdf = forms.BooleanField(
        required=False, label=_("Attach a PDF summary of the feedback to the email")
    )

    def __init__(self, *args: Any, branch: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.branch = branch
        if branch == Branch.AUTOMATIC:
            # Early-stage rejections get the tenant's automatic email: nothing to write.
            del self.fields["personal_points"]
            del self.fields["tips"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.branch == Branch.PERSONALISED:
            if not cleaned.get("reasons"):
                self.add_error(
                    "reasons",
                    _("Choose at least one reason: this candidate gets personal feedback."),
                )
            if not (cleaned.get("personal_points") or "").strip():
                self.add_error("personal_points", _("Write the personalised points."))
        if cleaned.get("log_call"):
            for name, message in (
                ("call_at", _("When was the call?")),
                ("call_minutes", _("How long was the call?")),
                ("call_note", _("Note what was said (for your colleagues).")),
            ):
                if not cleaned.get(name):
                    self.add_error(name, message)
            called_at = cleaned.get("call_at")
            if called_at and called_at > timezone.now():
                self.add_error("call_at", _("The call cannot be in the future."))
        return cleaned

    def logged_call(self) -> CallNote | None:
        if not self.cleaned_data.get("log_call"):
            return None
        return CallNote(
            called_at=self.cleaned_data["call_at"],
            duration_minutes=self.cleaned_data["call_minutes"],
            internal_note=self.cleaned_data["call_note"],
            candidate_summary=self.cleaned_data.get("call_summary") or "",
        )

    def grouped_reasons(self) -> list[tuple[StrOrPromise, list[Any]]]:
        """Checkbox widgets grouped by reason category, for the template."""
        by_pk = {str(w.data["value"]): w for w in self["reasons"]}
        return [
            (label, [by_pk[str(r.pk)] for r in reasons if str(r.pk) in by_pk])
            for label, reasons in reasons_grouped(RejectionReason.objects.active())
        ]


class BulkRejectForm(TimingMixin):
    reasons = ReasonChoiceField(
        queryset=RejectionReason.objects.active(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Optional for early-stage rejections."),
    )


class ReasonForm(forms.ModelForm):
    """A reason with its candidate-facing words in its main language and, below, in the other
    languages (`translations`): a candidate reads their language, else the company's, else
    English."""

    class Meta:
        model = RejectionReason
        fields = ["category", "label", "language", "candidate_wording", "tip", "order", "is_active"]
        widgets = {
            "candidate_wording": forms.Textarea(attrs={"rows": 3}),
            "tip": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "category": _("Category"),
            "label": _("Label"),
            "language": _("Language of the wording and tip"),
            "candidate_wording": _("What the candidate reads"),
            "tip": _("Tip"),
            "order": _("Order"),
            "is_active": _("In use"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.initial.setdefault("language", tenant_language())
        # Not sent: the reason's language, else the company's.
        self.fields["language"].required = False
        saved = self.instance.translations or {}
        for code, name in settings.LANGUAGES:
            self.fields[f"wording_{code}"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                label=lazy_format(_("What the candidate reads (%(language)s)"), language=name),
                help_text=_("Not needed for the language chosen above."),
            )
            self.fields[f"tip_{code}"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                label=lazy_format(_("Tip (%(language)s)"), language=name),
            )
            self.initial.setdefault(f"wording_{code}", saved.get(code, {}).get("wording", ""))
            self.initial.setdefault(f"tip_{code}", saved.get(code, {}).get("tip", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        main = cleaned.get("language") or (
            self.instance.language if self.instance.pk else tenant_language()
        )
        cleaned["language"] = main
        translations = {}
        for code, _name in settings.LANGUAGES:
            wording = (cleaned.pop(f"wording_{code}", "") or "").strip()
            tip = (cleaned.pop(f"tip_{code}", "") or "").strip()
            if code == main:
                continue
            if tip and not wording:
                self.add_error(
                    f"wording_{code}", _("A tip needs the wording in that language too.")
                )
            if wording:
                translations[code] = {"wording": wording, "tip": tip}
        cleaned["translations"] = translations
        return cleaned


class PolicyForm(forms.Form):
    personalised_from = forms.ModelChoiceField(
        queryset=Stage.objects.order_by("order"),
        empty_label=None,
        label=_("Personalised feedback from stage"),
        help_text=_(
            "Candidates who reached this stage or a later one get feedback written by "
            "the recruiter; earlier candidates get the automatic email."
        ),
    )


class TemplateForm(forms.ModelForm):
    class Meta:
        model = FeedbackTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18})}
        labels = {"subject": _("Subject"), "body": _("Body")}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        subject, body = cleaned.get("subject"), cleaned.get("body")
        if subject is not None and body is not None:
            try:
                template_validate(subject=subject, body=body)
            except ValidationError as exc:
                self.add_error(None, exc)  # {"subject": […], "body": […]}: each under its field
        return cleaned


MERGE_TAG_HELP = [(f"{{{{ {name} }}}}", label) for name, label in MERGE_TAGS.items()]
