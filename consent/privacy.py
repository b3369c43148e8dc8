"""What consent holds about people (tenants.privacy registry), how it erases it, and the
processing purposes whose retention consent's policy decides (Art. 30)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from candidates.models import Candidate
from consent.models import (
    ACCESS_EXPORT_DAYS,
    AccessExport,
    CandidateConsent,
    Registration,
    Source,
)
from consent.selectors import policy_get
from consent.services import consent_change
from tenants.privacy import (
    AppPrivacy,
    Category,
    Dataset,
    Erase,
    Erasure,
    Notice,
    Personal,
    Purpose,
    files_delete,
    person_filter,
    rows_erase,
)

_TECHNICAL = Personal(Category.TECHNICAL)

EVENT = Dataset(
    model="consent.ConsentEvent",
    description=gettext_noop("Consent ledger"),
    person="candidate",
    purposes=("talent_pool", "nurture", "tracking"),
    personal={
        "ip_address": _TECHNICAL,
        "user_agent": _TECHNICAL,
        # A recruiter's "how": may say where or with whom the person spoke.
        "reason": Personal(Category.CONSENT),
    },
    not_personal=("purpose", "action", "source", "frequency"),
)
CAPTURE = Dataset(
    model="consent.ConsentCapture",
    description=gettext_noop("Consent forms submitted (what was shown, what was ticked)"),
    person="candidate",
    purposes=("talent_pool", "nurture", "tracking"),
    personal={"ip_address": _TECHNICAL, "user_agent": _TECHNICAL},
    not_personal=("source", "offered", "ticked"),
)
PROFILE = Dataset(
    model="consent.ConsentProfile",
    description=gettext_noop("Consent settings"),
    person="candidate",
    purposes=("talent_pool",),
    personal={
        # A new key: every link ever sent to the person stops working.
        "link_key": Personal(
            Category.TECHNICAL,
            Erase.REPLACE,
            replacement=RawSQL("substr(md5(random()::text), 1, 16)", ()),
            export=False,
        ),
    },
)
REQUEST = Dataset(
    model="consent.DataRequest",
    description=gettext_noop("Data requests"),
    person="candidate",
    purposes=("talent_pool",),
    personal={"ip_address": _TECHNICAL},
    not_personal=("kind", "status"),
)
REGISTRATION = Dataset(
    model="consent.Registration",
    description=gettext_noop("Registrations"),
    person="candidate",
    purposes=("talent_pool",),
    personal={
        "email": Personal(Category.CONTACT, Erase.DELETE_ROW),
        "data": Personal(Category.PROFILE, Erase.DELETE_ROW),
        "cv": Personal(Category.DOCUMENTS, Erase.DELETE_FILE),
        "cv_name": Personal(Category.DOCUMENTS, Erase.DELETE_ROW),
        "ip_address": Personal(Category.TECHNICAL, Erase.DELETE_ROW),
        "user_agent": Personal(Category.TECHNICAL, Erase.DELETE_ROW),
    },
)
EXPORT = Dataset(
    model="consent.AccessExport",
    description=gettext_noop("Copies of the data prepared for the person"),
    person="candidate",
    purposes=("talent_pool",),
    personal={
        "json_file": Personal(Category.DOCUMENTS, Erase.DELETE_ROW),
        "pdf_file": Personal(Category.DOCUMENTS, Erase.DELETE_ROW),
    },
    not_personal=("status", "error"),
    internal=("json_file", "pdf_file"),
)
DATASETS = [
    EVENT,
    CAPTURE,
    PROFILE,
    REQUEST,
    REGISTRATION,
    EXPORT,
    Dataset(
        model="consent.CandidateConsent",
        description=gettext_noop("Current consent"),
        person="candidate",
        purposes=("talent_pool", "nurture", "tracking"),
        not_personal=("purpose", "frequency"),
    ),
    Dataset(
        model="consent.ConsentText",
        description=gettext_noop("Consent wording"),
        not_personal=("purpose", "language", "title", "body"),
    ),
    Dataset(
        model="consent.TopicSetting",
        description=gettext_noop("Topic settings"),
        not_personal=("topic", "min_frequency", "max_frequency", "default_frequency"),
    ),
]


def _recruitment_retention() -> str:
    policy = policy_get()
    return gettext(
        "Applications: %(months)s months after the last application, unless you join the "
        "talent pool; then names, contact details, CVs, notes, feedback and emails are erased."
    ) % {"months": policy.retention_months}


def _pool_retention() -> str:
    policy = policy_get()
    return gettext(
        "Talent pool: while your consent lasts; it lapses %(months)s months after your last "
        "real engagement (we ask before, %(days)s days ahead). Unconfirmed sign-ups: 7 days."
    ) % {"months": policy.consent_expiry_months, "days": policy.renewal_notice_days}


def _ledger_retention() -> str:
    return gettext(
        "Emails you chose: until you unsubscribe or your consent lapses. The record of your "
        "choices is kept as proof, without IP address or browser once you are erased."
    )


def _tracking_retention() -> str:
    return gettext(
        "Open and click tracking: only with your consent, until you withdraw it; without it "
        "our email provider is told not to track."
    )


PURPOSES = [
    Purpose(
        "recruitment",
        gettext_noop("Handling applications"),
        gettext_noop(
            "Steps at the candidate's request before a contract (Art. 6(1)(b)); legitimate "
            "interest in documenting decisions (Art. 6(1)(f))"
        ),
        _recruitment_retention,
    ),
    Purpose(
        "feedback",
        gettext_noop("Feedback after a rejection (email, call, PDF)"),
        gettext_noop("Legitimate interest (Art. 6(1)(f)) in treating candidates well"),
        _recruitment_retention,
    ),
    Purpose(
        "talent_pool",
        gettext_noop("Keeping the profile in the talent pool"),
        gettext_noop("Consent (Art. 6(1)(a)), recorded with the wording shown"),
        _pool_retention,
    ),
    Purpose(
        "nurture",
        gettext_noop("Job offers, events and news by email, per chosen topic and frequency"),
        gettext_noop("Consent (Art. 6(1)(a)) per topic"),
        _ledger_retention,
    ),
    Purpose(
        "tracking",
        gettext_noop("Measuring opens and clicks of emails"),
        gettext_noop("Consent (Art. 6(1)(a)); without it the email provider is told not to track"),
        _tracking_retention,
    ),
]

_CHOICES = _(
    "We keep what you tick here, with the wording you saw, and use it to send you only what "
    "you chose, at the frequency you chose."
)
NOTICES = [
    Notice("optin", _CHOICES, ("talent_pool", "nurture", "tracking")),
    Notice("preferences", _CHOICES, ("talent_pool", "nurture", "tracking")),
    Notice(
        "registration",
        _(
            "We keep your profile (and CV, if you add one) in our talent pool to contact you "
            "about roles that match it, and send you what you tick below."
        ),
        ("talent_pool", "nurture", "tracking"),
    ),
    Notice(
        "newsletter",
        _("We use your name and email address to send you the news you tick below."),
        ("nurture", "tracking"),
    ),
]


def consent_personal_erase(erasure: Erasure) -> None:
    """Withdraw every consent (the ledger says it ended with the erasure), keep the ledger as
    proof without IP address, browser or free text, invalidate every link, and delete
    registrations and prepared copies of the data."""
    ids = erasure.candidate_ids
    for candidate in Candidate.objects.filter(pk__in=ids, anonymised_at__isnull=True):
        granted = list(
            CandidateConsent.objects.filter(candidate=candidate, granted=True).values_list(
                "purpose", flat=True
            )
        )
        if granted:
            consent_change(
                candidate=candidate,
                source=Source.ERASURE,
                withdraw=granted,
                actor=erasure.actor,
                engaged=False,
                at=erasure.at,
            )
    for dataset in (EVENT, CAPTURE, PROFILE, REQUEST, EXPORT):
        rows = dataset.model_class()._default_manager.filter(person_filter(dataset, ids))
        erasure.count(dataset.model.lower(), rows_erase(dataset, rows, erasure))
    registrations = Registration.objects.annotate(_email=Lower("email")).filter(
        Q(candidate_id__in=ids) | Q(_email__in=[e.lower() for e in erasure.emails])
    )
    erasure.count(
        "consent.registration",
        rows_erase(
            REGISTRATION, Registration.objects.filter(pk__in=registrations.values("pk")), erasure
        ),
    )


def access_exports_expire(now: datetime) -> Mapping[str, int]:
    """Prepared copies of someone's data are deleted after ACCESS_EXPORT_DAYS."""
    old = AccessExport.objects.filter(created_at__lt=now - timedelta(days=ACCESS_EXPORT_DAYS))
    files_delete(old, ["json_file", "pdf_file"])
    deleted, _ = old.delete()
    return {"access_exports_deleted": deleted}


PRIVACY = AppPrivacy(
    app_label="consent",
    datasets=DATASETS,
    erase=consent_personal_erase,
    retention=access_exports_expire,
    purposes=PURPOSES,
    notices=NOTICES,
)
