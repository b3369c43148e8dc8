"""Records of processing activities (GDPR art. 30), derived from the personal-data registry
(tenants.privacy: purposes, data categories, how each field is erased, what is kept on purpose)
and the settings (the tenant's controller and DPO, the retention policy, the email provider), so
the record cannot drift from what the product does."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from tenants.privacy import Dataset, Erase, Subject, datasets, purposes

# The email provider each anymail backend means; recipients of the data as processors.
ESP_NAMES = {
    "postmark": "Postmark (ActiveCampaign), email delivery",
    "mailgun": "Mailgun (Sinch), email delivery",
    "sendgrid": "SendGrid (Twilio), email delivery",
    "test": "None: emails are kept in memory (development and tests)",
}
SUBJECT_LABELS = {
    Subject.CANDIDATE: "Candidates",
    Subject.STAFF: "Staff of the company",
    Subject.VISITOR: "Visitors signing in",
}
EMAIL_PURPOSES = {"email", "nurture", "tracking", "feedback", "talent_pool"}


def email_provider() -> str:
    backend = settings.EMAIL_BACKEND
    if backend.startswith("anymail.backends."):
        esp = backend.split(".")[2]
        return ESP_NAMES.get(esp, f"{esp.title()}, email delivery")
    if backend.endswith("smtp.EmailBackend"):
        return f"The SMTP server at {settings.EMAIL_HOST}, email delivery"
    return "None (development)"


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


@dataclass
class Records:
    controller: str
    address: str
    dpo: str
    privacy_url: str
    activities: list[Activity]
    transfers: str
    transfers_declared: bool
    retained: list[tuple[str, str, str]]  # dataset, field, why
    erasure: list[tuple[str, str, str, str]]  # dataset, field, category, how


def records_of_processing() -> Records:
    tenant = connection.tenant
    by_purpose: dict[str, list[Dataset]] = {}
    for dataset in datasets():
        for key in dataset.purposes:
            by_purpose.setdefault(key, []).append(dataset)
    provider = email_provider()
    activities = []
    for purpose in purposes():
        found = by_purpose.get(purpose.key, [])
        personal = [p for d in found for p in d.personal.values()]
        recipients = ["The company's recruiters and HR admins (by role)", "The hosting provider"]
        if purpose.key in EMAIL_PURPOSES:
            recipients.append(provider)
        activities.append(
            Activity(
                key=purpose.key,
                label=purpose.label,
                basis=purpose.basis,
                retention=purpose.retention(),
                subjects=sorted({SUBJECT_LABELS[p.subject] for p in personal}),
                categories=sorted({str(p.category) for p in personal}),
                recipients=recipients,
                datasets=found,
            )
        )
    retained, erasure = [], []
    for dataset in datasets():
        for name, spec in dataset.personal.items():
            if spec.subject != Subject.CANDIDATE:
                continue
            if spec.erase == Erase.RETAIN:
                retained.append((dataset.description, name, spec.why))
            erasure.append((dataset.description, name, str(spec.category), _how(spec.erase)))
    return Records(
        controller=tenant.controller,
        address=tenant.postal_address,
        dpo=tenant.dpo_contact,
        privacy_url=tenant.privacy_policy_url,
        activities=activities,
        transfers=settings.PRIVACY_TRANSFERS
        or "Not declared yet: the operator sets PRIVACY_TRANSFERS (e.g. the email provider's "
        "region and the safeguard, such as standard contractual clauses).",
        transfers_declared=bool(settings.PRIVACY_TRANSFERS),
        retained=retained,
        erasure=erasure,
    )


def _how(erase: Erase) -> str:
    return {
        Erase.BLANK: "emptied",
        Erase.REPLACE: "replaced by a placeholder",
        Erase.DELETE_ROW: "the record is deleted",
        Erase.DELETE_FILE: "the file is deleted",
        Erase.SCRUB: "names, address and phone removed from the text",
        Erase.RETAIN: "kept (see below)",
    }[erase]
