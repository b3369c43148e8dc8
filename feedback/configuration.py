"""The HR admin's feedback settings: rejection reasons, the stage from which feedback is
personalised, and the rejection email templates. Writes, audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_log_record
from candidates.models import Stage
from feedback.content import MERGE_TAGS, REQUIRED_TAGS
from feedback.models import Branch, FeedbackPolicy, FeedbackTemplate, RejectionReason
from feedback.services import FeedbackError
from mailing.merge import find_tags, validate_merge_tags
from tenants.i18n import language_codes, tenant_language


@transaction.atomic
def reason_save(
    *,
    actor: User,
    category: str,
    label: str,
    candidate_wording: str,
    tip: str = "",
    is_active: bool = True,
    order: int = 100,
    reason: RejectionReason | None = None,
    language: str | None = None,
    translations: dict[str, dict[str, str]] | None = None,
) -> RejectionReason:
    """Add a reason or edit one (rename, reword, deactivate). Reasons are never deleted.
    `candidate_wording`/`tip` are in `language` (default: the company's); `translations`
    ({language: {"wording", "tip"}}) replaces the other languages when given."""
    label = " ".join(label.split())
    if not label or not candidate_wording.strip():
        raise FeedbackError(_("A reason needs a label and a candidate-facing wording."))
    clash = RejectionReason.objects.filter(label__iexact=label)
    if reason is not None:
        clash = clash.exclude(pk=reason.pk)
    if clash.exists():
        raise FeedbackError(_("A reason called “%(label)s” already exists.") % {"label": label})
    if reason is None:
        base = slugify(label)[:50] or "reason"
        key, n = base, 1
        while RejectionReason.objects.filter(key=key).exists():
            n += 1
            key = f"{base}-{n}"
        reason = RejectionReason(key=key)
    reason.category = category
    reason.label = label
    reason.candidate_wording = candidate_wording.strip()
    reason.tip = tip.strip()
    language = language or (reason.language if reason.pk else tenant_language())
    if language not in language_codes():
        raise FeedbackError(_("Unknown language %(code)r.") % {"code": language})
    reason.language = language
    if translations is not None:
        unknown = set(translations) - set(language_codes())
        if unknown:
            raise FeedbackError(
                _("Unknown languages: %(codes)s.") % {"codes": ", ".join(sorted(unknown))}
            )
        reason.translations = {
            code: {"wording": text["wording"].strip(), "tip": (text.get("tip") or "").strip()}
            for code, text in translations.items()
            if code != language and (text.get("wording") or "").strip()
        }
    reason.is_active = is_active
    reason.order = order
    reason.save()
    audit_log_record(actor=actor, action="feedback.reason_save", target=label)
    return reason


@transaction.atomic
def policy_set(*, actor: User, stage: Stage) -> FeedbackPolicy:
    policy = FeedbackPolicy.objects.select_for_update().first()
    if policy is None:
        policy = FeedbackPolicy(personalised_from=stage)
    policy.personalised_from = stage
    policy.updated_by = actor
    policy.updated_at = timezone.now()
    policy.save()
    audit_log_record(
        actor=actor,
        action="feedback.policy_set",
        target=stage.name,
        details={"personalised_from": stage.name},
    )
    return policy


def template_validate(*, subject: str, body: str) -> None:
    """Raise ValidationError ({"subject": […], "body": […]}) unless both parts use allow-listed
    tags only and the body carries the opt-in link (every rejection email keeps the door open)."""
    errors: dict[str, list[str]] = {}
    for part, text in (("subject", subject), ("body", body)):
        try:
            validate_merge_tags(text, MERGE_TAGS)
        except ValidationError as exc:
            errors[part] = list(exc.messages)
    if not errors:
        missing = [tag for tag in REQUIRED_TAGS if tag not in find_tags(body)]
        if missing:
            errors["body"] = [
                _(
                    "The body must contain the opt-in link %(tags)s: every rejection email "
                    "offers to stay in touch."
                )
                % {"tags": ", ".join(f"{{{{ {tag} }}}}" for tag in missing)}
            ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def template_save(
    *, actor: User, group: str, language: str, subject: str, body: str
) -> FeedbackTemplate:
    if group not in Branch.values:
        raise FeedbackError(_("Unknown template group %(group)r.") % {"group": group})
    template_validate(subject=subject, body=body)
    template, _created = FeedbackTemplate.objects.update_or_create(
        group=group,
        language=language,
        defaults={
            "subject": subject.strip(),
            "body": body.strip(),
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    audit_log_record(actor=actor, action="feedback.template_save", target=f"{group} {language}")
    return template
