"""Records of processing activities (GDPR art. 30), derived from the personal-data registry
(tenants.privacy: purposes, data categories, how each field is erased, what is kept on purpose)
and the settings (the tenant's controller and DPO, the retention policy, the email provider), so
the record cannot drift from what the product does."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consent.export_labels import FIELD_LABELS
from tenants.context import current_tenant
from tenants.privacy import Category, Dataset, Erase, Subject, datasets, purposes

# The email provider each anymail backend means; recipients of the data as processors.
ESP_NAMES = {
    "postmark": _("Postmark (ActiveCampaign), email delivery"),
    "mailgun": _("Mailgun (Sinch), email delivery"),
    "sendgrid": _("SendGrid (Twilio), email delivery"),
    "test": _("None: emails are kept in memory (development and tests)"),
}
SUBJECT_LABELS = {
    Subject.CANDIDATE: _("Candidates"),
    Subject.STAFF: _("Staff of the company"),
    Subject.VISITOR: _("Visitors signing in"),
}
# The registry's data categories (tenants.privacy.Category, English values) as read here.
CATEGORY_LABELS = {
    Category.IDENTITY: _("Identity (name)"),
    Category.CONTACT: _("Contact details"),
    Category.PROFILE: _("Professional profile"),
    Category.DOCUMENTS: _("CVs and uploaded files"),
    Category.ASSESSMENT: _("Recruiters' notes and assessments"),
    Category.COMMUNICATIONS: _("Emails and their delivery"),
    Category.CONSENT: _("Consent records"),
    Category.TECHNICAL: _("Technical data (IP address, browser)"),
    Category.FREE_TEXT: _("Free text that may name people"),
    Category.ACCOUNT: _("Staff accounts"),
}
EMAIL_PURPOSES = {"email", "nurture", "tracking", "feedback", "talent_pool"}


def email_provider() -> str:
    backend = settings.EMAIL_BACKEND
    if backend.startswith("anymail.backends."):
        esp = backend.split(".")[2]
        known = ESP_NAMES.get(esp)
        if known is not None:
            return str(known)
        return gettext("%(esp)s, email delivery") % {"esp": esp.title()}
    if backend.endswith("smtp.EmailBackend"):
        return gettext("The SMTP server at %(host)s, email delivery") % {
            "host": settings.EMAIL_HOST
        }
    return gettext("None (development)")


@dataclass
class Activity:
    key: str
    label: str
    basis: str
    retention: str
    subjects: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # the datasets' descriptions, as read here


@dataclass
class Records:
    controller: str
    address: str
    dpo: str
    privacy_url: str
    activities: list[Activity]
    transfers: str
    transfers_declared: bool
    retained: list[tuple[str, FieldName, str]]  # dataset, field, why
    erasure: list[tuple[str, FieldName, str, str]]  # dataset, field, category, how


def records_of_processing() -> Records:
    tenant = current_tenant()
    by_purpose: dict[str, list[Dataset]] = {}
    for dataset in datasets():
        for key in dataset.purposes:
            by_purpose.setdefault(key, []).append(dataset)
    provider = email_provider()
    activities = []
    for purpose in purposes():
        found = by_purpose.get(purpose.key, [])
        personal = [p for d in found for p in d.personal.values()]
        recipients = [
            gettext("The company's recruiters and HR admins (by role)"),
            gettext("The hosting provider"),
        ]
        if purpose.key in EMAIL_PURPOSES:
            recipients.append(provider)
        activities.append(
            Activity(
                key=purpose.key,
                label=_declared(purpose.label),
                basis=_declared(purpose.basis),
                retention=purpose.retention(),
                subjects=sorted({str(SUBJECT_LABELS[p.subject]) for p in personal}),
                categories=sorted({_category(p.category) for p in personal}),
                recipients=recipients,
                datasets=found,
                held=[_declared(d.description) for d in found],
            )
        )
    retained, erasure = [], []
    for dataset in datasets():
        for name, spec in dataset.personal.items():
            if spec.subject != Subject.CANDIDATE:
                continue
            where, field = _declared(dataset.description), FieldName(_field_label(name), name)
            if spec.erase == Erase.RETAIN:
                retained.append((where, field, _declared(spec.why)))
            erasure.append((where, field, _category(spec.category), _how(spec.erase)))
    return Records(
        controller=tenant.controller,
        address=tenant.postal_address,
        dpo=tenant.dpo_contact,
        privacy_url=tenant.privacy_policy_url,
        activities=activities,
        transfers=settings.PRIVACY_TRANSFERS
        or gettext(
            "Not declared yet: the operator sets PRIVACY_TRANSFERS (e.g. the email provider's "
            "region and the safeguard, such as standard contractual clauses)."
        ),
        transfers_declared=bool(settings.PRIVACY_TRANSFERS),
        retained=retained,
        erasure=erasure,
    )


@dataclass(frozen=True)
class FieldName:
    """A personal field as the records name it: words in the reader's language, and the column
    as the database holds it (for whoever checks the records against the schema)."""

    label: str
    column: str

    def __str__(self) -> str:
        return self.label if self.label == self.column else f"{self.label} ({self.column})"


def _field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def _declared(text: str) -> str:
    """A text an app declared in its privacy.py, translated when that app marked it for its
    catalogue (gettext_noop); English otherwise. ("" stays "": gettext("") is the header.)"""
    return gettext(text) if text else text


def _category(category: Category) -> str:
    return str(CATEGORY_LABELS.get(category, category))


def _how(erase: Erase) -> str:
    return {
        Erase.BLANK: gettext("emptied"),
        Erase.REPLACE: gettext("replaced by a placeholder"),
        Erase.DELETE_ROW: gettext("the record is deleted"),
        Erase.DELETE_FILE: gettext("the file is deleted"),
        Erase.SCRUB: gettext("names, address and phone removed from the text"),
        Erase.RETAIN: gettext("kept (see below)"),
    }[erase]
