from __future__ import annotations

from django import forms
from django.conf import settings

from mailing.models import MessageStatus


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "All statuses"), *MessageStatus.choices], required=False
    )
    q = forms.CharField(required=False, label="Recipient or subject", max_length=200)


class EmailTemplateForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    subject = forms.CharField(max_length=300)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Markdown: **bold**, *italic*, [link text](https://…), lists with -.",
    )
