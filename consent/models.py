"""Consent: an append-only ledger (the proof), the current state derived from it (for speed),
versioned consent texts, the tenant's topic and retention settings, and data requests."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mailing.kinds import CONTENT_TOPICS, MessageKind


class Purpose(models.TextChoices):
    TALENT_POOL = "talent_pool", _("Keep my profile in the talent pool")
    JOB_OFFERS = MessageKind.JOB_OFFERS.value, MessageKind.JOB_OFFERS.label
    EVENTS = MessageKind.EVENTS.value, MessageKind.EVENTS.label
    TESTIMONIALS = MessageKind.TESTIMONIALS.value, MessageKind.TESTIMONIALS.label
    COMPANY_NEWS = MessageKind.COMPANY_NEWS.value, MessageKind.COMPANY_NEWS.label
    JOB_MARKET = MessageKind.JOB_MARKET.value, MessageKind.JOB_MARKET.label
    POOL_INVITATION = MessageKind.POOL_INVITATION.value, MessageKind.POOL_INVITATION.label
    TRACKING = "tracking", _("Open and click tracking")


# Content topics carry a frequency; the other purposes are plain yes/no.
TOPICS: tuple[str, ...] = tuple(str(t) for t in CONTENT_TOPICS)


class Frequency(models.TextChoices):
    """Ordered from most to least frequent; `days` is the minimum gap between two emails."""

    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


FREQUENCY_DAYS: dict[str, int] = {
    Frequency.WEEKLY: 7,
    Frequency.BIWEEKLY: 14,
    Frequency.MONTHLY: 30,
    Frequency.QUARTERLY: 91,
}
FREQUENCY_ORDER = list(Frequency.values)


class Action(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class Source(models.TextChoices):
    OPTIN_LINK = "optin_link", _("Opt-in link (rejection email)")
    PREFERENCE_CENTRE = "preference_centre", _("Preference centre")
    REGISTRATION = "registration", _("Registration form")
    NEWSLETTER = "newsletter", _("Newsletter sign-up")
    RECRUITER = "recruiter", _("Recorded by a recruiter")
    COMPLAINT = "complaint", _("Spam complaint")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")
    EXPIRY = "expiry", _("Expiry")
    ERASURE = "erasure", _("Erasure")
    MERGE = "merge", _("Duplicate merged")


class ConsentText(models.Model):
    """The wording shown for one purpose in one language. Editing creates a new version; old
    versions stay as they were, because ledger rows point at the exact text a person saw."""

    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["purpose", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "language", "version"], name="uniq_consent_text_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.language} v{self.version})"


class TopicSetting(models.Model):
    """The frequencies a tenant allows for one content topic, and the default offered."""

    topic = models.CharField(max_length=32, unique=True, choices=Purpose.choices)
    enabled = models.BooleanField(default=True)
    min_frequency = models.CharField(max_length=12, choices=Frequency.choices)
    max_frequency = models.CharField(
        max_length=12, choices=Frequency.choices, help_text=_("Least frequent allowed.")
    )
    default_frequency = models.CharField(max_length=12, choices=Frequency.choices)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_topic_display()

    @property
    def allowed_frequencies(self) -> list[str]:
        lo = FREQUENCY_ORDER.index(self.min_frequency)
        hi = FREQUENCY_ORDER.index(self.max_frequency)
        return FREQUENCY_ORDER[lo : hi + 1]


class ConsentPolicy(models.Model):
    """One row per tenant: retention and expiry rules (GDPR storage limitation)."""

    retention_months = models.PositiveSmallIntegerField(
        default=24,
        help_text=_(
            "Anonymise candidates without talent-pool consent this long after their "
            "last application."
        ),
    )
    consent_expiry_months = models.PositiveSmallIntegerField(
        default=24, help_text=_("Consent lapses this long after the last real engagement.")
    )
    renewal_notice_days = models.PositiveSmallIntegerField(
        default=30, help_text=_("Send the renewal email this many days before consent lapses.")
    )
    grace_days = models.PositiveSmallIntegerField(
        default=14,
        help_text=_("Consent never lapses sooner than this many days after a renewal email."),
    )
    weekly_cap = models.PositiveSmallIntegerField(
        default=3, help_text=_("At most this many nurture emails per candidate in any 7 days.")
    )

    class Meta:
        verbose_name_plural = "consent policies"

    def __str__(self) -> str:
        return "Consent policy"


def new_link_key() -> str:
    return secrets.token_hex(8)


class ConsentProfile(models.Model):
    """Per-candidate consent facts that are not a per-purpose choice. `link_key` is part of every
    signed link: rotating it (erasure, "sign out all links") invalidates all links sent so far."""

    candidate = models.OneToOneField(
        "candidates.Candidate", on_delete=models.CASCADE, related_name="consent_profile"
    )
    link_key = models.CharField(max_length=32, default=new_link_key)
    # Real engagement only (confirmations, preference changes, clicks, applications); opens of
    # automated emails are not engagement.
    last_engagement_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    renewal_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Consent profile of candidate {self.candidate_id}"


class ConsentCapture(models.Model):
    """One submitted consent form: what was offered (each purpose with the exact wording
    version shown) and what the person ticked. The proof that consent came from an affirmative
    act; a form sent with nothing ticked is recorded here and grants nothing."""

    candidate = models.ForeignKey(
        "candidates.Candidate", on_delete=models.PROTECT, related_name="consent_captures"
    )
    source = models.CharField(max_length=24, choices=Source.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # [{"purpose": "events", "text": 12, "version": 3, "language": "fr"}], in page order.
    offered = models.JSONField(default=list)
    # Purposes whose box was ticked (or, on a page whose purpose is the submit button itself,
    # the purpose of that button).
    ticked = models.JSONField(default=list)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Consent form ({self.source}) {self.at:%Y-%m-%d}"


class ConsentEvent(models.Model):
    """One line of the ledger. Never updated, except that erasure blanks IP, user agent and the
    recorded reason."""

    candidate = models.ForeignKey(
        "candidates.Candidate", on_delete=models.PROTECT, related_name="consent_events"
    )
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    action = models.CharField(max_length=12, choices=Action.choices)
    source = models.CharField(max_length=24, choices=Source.choices)
    frequency = models.CharField(max_length=12, choices=Frequency.choices, blank=True)
    text = models.ForeignKey(ConsentText, null=True, blank=True, on_delete=models.PROTECT)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.CharField(max_length=300, blank=True)
    # The form submission this came from (None for recruiters, unsubscribes, expiry...).
    capture = models.ForeignKey(
        ConsentCapture, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["candidate", "purpose", "-at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.action} ({self.source})"


class CandidateConsentQuerySet(models.QuerySet["CandidateConsent"]):
    def active(self, at: object = None) -> CandidateConsentQuerySet:
        return self.filter(
            granted=True, candidate__consent_profile__expires_at__gt=at or timezone.now()
        )


class CandidateConsent(models.Model):
    """Current state per candidate and purpose, updated in the same transaction as the ledger."""

    candidate = models.ForeignKey(
        "candidates.Candidate", on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    granted = models.BooleanField(default=False)
    frequency = models.CharField(max_length=12, choices=Frequency.choices, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    last_event = models.ForeignKey(ConsentEvent, on_delete=models.PROTECT, related_name="+")

    objects = CandidateConsentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["candidate", "purpose"], name="uniq_candidate_purpose")
        ]
        indexes = [models.Index(fields=["purpose", "granted", "candidate"])]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.purpose} {'on' if self.granted else 'off'}"


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Copy of my data")
    ERASURE = "erasure", _("Erasure")


class RequestStatus(models.TextChoices):
    AWAITING_CONFIRMATION = "awaiting", _("Awaiting email confirmation")
    CONFIRMED = "confirmed", _("Confirmed, to process")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", pgettext_lazy("data request status", "Cancelled")


DATA_REQUEST_DEADLINE = timedelta(days=30)


class DataRequest(models.Model):
    """A data subject's request (GDPR art. 15 / 17), answered within one month."""

    candidate = models.ForeignKey(
        "candidates.Candidate", on_delete=models.PROTECT, related_name="data_requests"
    )
    kind = models.CharField(max_length=10, choices=RequestKind.choices)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.AWAITING_CONFIRMATION
    )
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in (RequestStatus.AWAITING_CONFIRMATION, RequestStatus.CONFIRMED)


class Registration(models.Model):
    """A registration-form submission waiting for its double opt-in confirmation. Nothing about
    the person enters the candidate base until they click the emailed link."""

    email = models.EmailField(max_length=254)
    data = models.JSONField(default=dict)
    cv = models.FileField(upload_to="consent/registrations/", blank=True)
    cv_name = models.CharField(max_length=200, blank=True)
    newsletter = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    candidate = models.ForeignKey(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Registration #{self.pk}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


ACCESS_EXPORT_DAYS = 7


class AccessExport(models.Model):
    """A copy of everything held about one person (GDPR art. 15), prepared by the worker so a
    long history never times out a request. The files are deleted after ACCESS_EXPORT_DAYS."""

    candidate = models.ForeignKey(
        "candidates.Candidate", on_delete=models.CASCADE, related_name="access_exports"
    )
    request = models.ForeignKey(
        DataRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    json_file = models.FileField(upload_to="exports/", blank=True, max_length=255)
    pdf_file = models.FileField(upload_to="exports/", blank=True, max_length=255)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Access export #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, int(self.processed * 100 / self.total)) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def expires_at(self) -> object:
        return (self.finished_at or self.created_at) + timedelta(days=ACCESS_EXPORT_DAYS)
