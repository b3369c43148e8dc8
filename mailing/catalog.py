"""The email templates HR admins may edit. Each app registers its template kinds in `ready()`
(feedback: rejection; consent: opt-in confirmation; …) with the merge tags that kind allows,
sample values for the preview, and the built-in default text used until HR edits it.

The built-in text exists in every language the product speaks: English in `default_subject` /
`default_body`, the others in `translations` ({language: (subject, body)}), each using the same
merge tags (checked at registration and by tests/mailing/test_template_languages.py). So an
email goes out in the candidate's language even before HR writes anything in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mailing.kinds import MessageKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class TemplateKind:
    key: str
    label: StrOrPromise
    kind: str
    allowed_tags: tuple[str, ...]
    default_subject: str
    default_body: str
    sample: dict[str, str] = field(default_factory=dict)
    translations: dict[str, tuple[str, str]] = field(default_factory=dict)

    def builtin(self, language: str) -> tuple[str, str] | None:
        """(subject, body) of the built-in text in `language`, None if it has none."""
        if language == settings.LANGUAGE_CODE:
            return self.default_subject, self.default_body
        return self.translations.get(language)

    def builtin_languages(self) -> list[str]:
        return [settings.LANGUAGE_CODE, *self.translations]


_kinds: dict[str, TemplateKind] = {}


def register_template_kind(template_kind: TemplateKind) -> None:
    from mailing.merge import validate_merge_tags

    for subject, body in (
        (template_kind.default_subject, template_kind.default_body),
        *template_kind.translations.values(),
    ):
        validate_merge_tags(subject, template_kind.allowed_tags)
        validate_merge_tags(body, template_kind.allowed_tags)
    _kinds[template_kind.key] = template_kind


def template_kinds() -> list[TemplateKind]:
    return sorted(_kinds.values(), key=lambda k: k.label)


def get_template_kind(key: str) -> TemplateKind:
    try:
        return _kinds[key]
    except KeyError:
        raise ValidationError(f"Unknown email template {key!r}.") from None


# Mailing's own template: a personal note from a recruiter, also the sandbox for trying the
# editor. Other apps add theirs.
register_template_kind(
    TemplateKind(
        key="recruiter_note",
        label=_("Note from a recruiter"),
        kind=MessageKind.TRANSACTIONAL,
        allowed_tags=("first_name", "last_name", "company_name", "recruiter_name"),
        default_subject="A note from {{ company_name }}",
        default_body=(
            "Hello {{ first_name }},\n\n"
            "Thank you for your interest in {{ company_name }}.\n\n"
            "Best regards,  \n{{ recruiter_name }}"
        ),
        sample={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company_name": "Example Corp",
            "recruiter_name": "Grace Hopper",
        },
        translations={
            "fr": (
                "Un mot de {{ company_name }}",
                "Bonjour {{ first_name }},\n\n"
                "Merci de l'intérêt que vous portez à {{ company_name }}.\n\n"
                "Bien cordialement,  \n{{ recruiter_name }}",
            ),
            "de": (
                "Eine Nachricht von {{ company_name }}",
                "Hallo {{ first_name }},\n\n"
                "vielen Dank für Ihr Interesse an {{ company_name }}.\n\n"
                "Mit freundlichen Grüßen  \n{{ recruiter_name }}",
            ),
            "it": (
                "Un messaggio da {{ company_name }}",
                "Gentile {{ first_name }},\n\n"
                "grazie per il suo interesse per {{ company_name }}.\n\n"
                "Cordiali saluti,  \n{{ recruiter_name }}",
            ),
        },
    )
)
