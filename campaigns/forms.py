from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.digest import SUBJECT_TAGS
from campaigns.models import ContentItem, NurtureSettings, TopicSchedule
from campaigns.services import topic_template_validate
from mailing.kinds import MessageKind
from mailing.merge import validate_merge_tags
from pools.models import Pool
from tenants.i18n import lazy_format, tenant_language
from tenants.public_forms import GuardedForm

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
_LOCAL = {"type": "datetime-local"}
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"

# Which fields each kind of content shows (job offers come from open positions, not here).
TOPIC_FIELDS: dict[str, list[str]] = {
    MessageKind.EVENTS: [
        "event_starts_at",
        "event_place",
        "event_online_url",
        "registration_url",
        "audience",
    ],
    MessageKind.TESTIMONIALS: ["employee_name", "employee_role"],
    MessageKind.COMPANY_NEWS: [],
    MessageKind.JOB_MARKET: [],
}
COMMON_FIELDS = ["title", "summary", "language", "link_url", "publish_at"]
TARGET_FIELDS = ["target_profession", "target_sector", "target_tag", "target_pool"]


def _local_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs=_LOCAL, format=_LOCAL_FORMAT)


class ContentItemForm(forms.ModelForm):
    class Meta:
        model = ContentItem
        fields = [
            *COMMON_FIELDS,
            *TOPIC_FIELDS[MessageKind.EVENTS],
            *TOPIC_FIELDS[MessageKind.TESTIMONIALS],
            *TARGET_FIELDS,
        ]
        widgets = {
            "publish_at": _local_widget(),
            "event_starts_at": _local_widget(),
            "summary": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "title": _("Title"),
            "summary": _("Summary"),
            "language": _("Language"),
            "publish_at": _("Publish at"),
            "audience": _("Audience"),
            "event_starts_at": _("Date and time"),
            "event_place": _("Place"),
            "event_online_url": _("Online link"),
            "registration_url": _("Registration link"),
            "link_url": _("Read-more link"),
            "employee_name": _("Employee"),
            "employee_role": _("Role"),
            "target_sector": _("Sector"),
            "target_profession": _("Only for this profession"),
            "target_tag": _("Only for candidates tagged"),
            "target_pool": _("Only for this pool"),
        }

    def __init__(self, *args: Any, topic: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topic = topic
        if not self.instance.pk:
            self.initial.setdefault("language", tenant_language())
        # Not sent (a form without the field): the company's language.
        self.fields["language"].required = False
        # The same title and summary in the other languages, shown with "missing" badges on
        # the list; a reader gets their language, else the company's, else English.
        saved = self.instance.translations or {}
        for code, name in settings.LANGUAGES:
            self.fields[f"title_{code}"] = forms.CharField(
                max_length=200,
                required=False,
                label=lazy_format(_("Title (%(language)s)"), language=name),
                help_text=_("Not needed for the language chosen above."),
            )
            self.fields[f"summary_{code}"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                label=lazy_format(_("Summary (%(language)s)"), language=name),
            )
            self.initial.setdefault(f"title_{code}", saved.get(code, {}).get("title", ""))
            self.initial.setdefault(f"summary_{code}", saved.get(code, {}).get("summary", ""))
        wanted = set(COMMON_FIELDS + TOPIC_FIELDS[topic] + TARGET_FIELDS)
        wanted |= {
            f"{part}_{code}" for code, _name in settings.LANGUAGES for part in ("title", "summary")
        }
        if topic == MessageKind.TESTIMONIALS:
            self.fields["target_sector"].label = _("Sector")
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        target_pool = self.fields["target_pool"]
        assert isinstance(target_pool, forms.ModelChoiceField)
        target_pool.queryset = Pool.objects.order_by("name")
        if topic == MessageKind.EVENTS:
            self.fields["event_starts_at"].required = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.topic == MessageKind.EVENTS and not (
            cleaned.get("event_place") or cleaned.get("event_online_url")
        ):
            raise ValidationError(_("An event needs a place or an online link."))
        main = cleaned.get("language") or self.instance.language or tenant_language()
        cleaned["language"] = main
        translations = {}
        for code, _name in settings.LANGUAGES:
            title = (cleaned.get(f"title_{code}") or "").strip()
            summary = (cleaned.get(f"summary_{code}") or "").strip()
            if code == main:
                continue
            if summary and not title:
                self.add_error(f"title_{code}", _("A translation needs its title too."))
            if title:
                translations[code] = {"title": title, "summary": summary}
        self.instance.translations = translations
        return cleaned


class ContentItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ContentItem) -> str:
        return f"{obj.get_topic_display()}: {obj.title}"


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200, label=_("Name"))
    subject = forms.CharField(
        max_length=200,
        label=_("Subject"),
        help_text=lazy_format(
            _("Merge tags: %(tags)s"), tags=", ".join("{{ " + t + " }}" for t in SUBJECT_TAGS)
        ),
    )
    item = ContentItemChoiceField(queryset=ContentItem.objects.none(), label=_("Content"))
    pool = forms.ModelChoiceField(queryset=Pool.objects.none(), label=_("Pool"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        item, pool = self.fields["item"], self.fields["pool"]
        assert isinstance(item, forms.ModelChoiceField) and isinstance(pool, forms.ModelChoiceField)
        item.queryset = ContentItem.objects.filter(archived=False)
        pool.queryset = Pool.objects.order_by("name")

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"]
        validate_merge_tags(subject, SUBJECT_TAGS)
        return subject


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        required=False,
        widget=_local_widget(),
        input_formats=[_LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        label=_("Send at (empty: now)"),
    )


class TopicScheduleForm(forms.ModelForm):
    send_weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, label=_("Weekdays")
    )

    class Meta:
        model = TopicSchedule
        fields = [
            "enabled",
            "send_weekdays",
            "send_hour_start",
            "send_hour_end",
            "priority",
            "priority_tag",
        ]
        labels = {
            "enabled": _("Enabled"),
            "send_hour_start": _("From (hour, local time)"),
            "send_hour_end": _("Until (hour, local time)"),
            "priority": _("Priority when the cap allows one topic (1 = first)"),
            "priority_tag": _("Goes first for candidates tagged"),
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("send_hour_start"), cleaned.get("send_hour_end")
        if start is not None and end is not None and start >= end:
            raise ValidationError(_("The send window must start before it ends."))
        return cleaned


class TopicTemplateForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES, label=_("Language"))
    subject = forms.CharField(max_length=200, label=_("Subject"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), label=_("Body"))

    def __init__(self, *args: Any, topic: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topic = topic

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "subject" in cleaned and "body" in cleaned:
            topic_template_validate(
                topic=self.topic, subject=cleaned["subject"], body=cleaned["body"]
            )
        return cleaned


class NurtureSettingsForm(forms.ModelForm):
    class Meta:
        model = NurtureSettings
        fields = ["cap_days", "first_lookback_days", "invitation_interval_days"]
        labels = {
            "cap_days": _("Cap days"),
            "first_lookback_days": _("First lookback days"),
            "invitation_interval_days": _("Invitation interval days"),
        }


class ReferralForm(GuardedForm):
    """A friend applies through a share link: public, so protected like every public form
    (tenants.public_forms); the limits are counted by the service."""

    first_name = forms.CharField(max_length=100, label=_("First name"))
    last_name = forms.CharField(max_length=100, required=False, label=_("Last name"))
    email = forms.EmailField(max_length=254, label=_("Email"))


class PreviewAtForm(forms.Form):
    at = forms.DateTimeField(
        required=False,
        widget=_local_widget(),
        input_formats=[_LOCAL_FORMAT, "%Y-%m-%d %H:%M"],
        label=_("Preview as at (empty: now)"),
    )
