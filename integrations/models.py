"""Integrations: API keys and idempotency records (REST API), ATS connections with their
mappings and inbound event log (review queue), outbound webhook subscriptions with their
PostgreSQL outbox and delivery log, and inbound email replies. All in the tenant's schema."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- REST API -------------------------------------------------------------------------------------


class ApiScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Write (create and update)")
    REJECT = "reject", _("Reject applications")


class ApiKey(models.Model):
    """A tenant's API key. Only a SHA-256 of the key is stored (keys are 256-bit random, so a
    fast hash is enough); the key itself is shown once, at creation."""

    name = models.CharField(max_length=100)
    # The visible start of the key ("tcrm_AbC12xY"), to recognise it in lists and logs; also
    # how a presented key is found.
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """The answer to a POST sent with an Idempotency-Key, replayed for 24 hours. `status` 0 while
    the first request is still running."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    headers = models.JSONField(default=dict)
    # JSON text (not bytes), so an erasure's sweep of the schema's text columns reaches it.
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="uniq_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


# --- ATS connectors -------------------------------------------------------------------------------


class AtsProvider(models.TextChoices):
    GREENHOUSE = "greenhouse", "Greenhouse"
    LEVER = "lever", "Lever"


class UnknownJobPolicy(models.TextChoices):
    REVIEW = "review", _("Hold the event for review")
    CREATE = "create", _("Create the position as a draft and continue")


class AtsConnection(models.Model):
    """One ATS a tenant receives webhooks from, with the secret its signatures are checked
    against (Greenhouse: the webhook's secret key; Lever: the webhook's signature token)."""

    provider = models.CharField(max_length=20, choices=AtsProvider.choices, unique=True)
    secret = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    unknown_job = models.CharField(
        max_length=10, choices=UnknownJobPolicy.choices, default=UnknownJobPolicy.REVIEW
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_event_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.get_provider_display()


class MappingKind(models.TextChoices):
    STAGE = "stage", _("Stage")
    REASON = "reason", _("Rejection / archive reason")
    JOB = "job", _("Job")
    APPLICATION = "application", _("Application (their id)")


class ReasonOutcome(models.TextChoices):
    REJECTED = "rejected", _("We rejected them (feedback through the stage policy)")
    WITHDRAWN = "withdrawn", _("They withdrew (no email)")
    HIRED = "hired", _("Hired")


class AtsMapping(models.Model):
    """Their stage, rejection reason, job or application -> ours. A row without a target is
    known but not mapped yet (events needing it wait for review); `ignore` = deliberately not
    mapped (an event needing it is recorded and skipped)."""

    provider = models.CharField(max_length=20, choices=AtsProvider.choices)
    kind = models.CharField(max_length=12, choices=MappingKind.choices)
    external_id = models.CharField(max_length=200)
    external_name = models.CharField(max_length=300, blank=True)
    stage = models.ForeignKey(
        "candidates.Stage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.ForeignKey(
        "feedback.RejectionReason",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    outcome = models.CharField(
        max_length=10, choices=ReasonOutcome.choices, default=ReasonOutcome.REJECTED
    )
    position = models.ForeignKey(
        "candidates.Position", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    application = models.ForeignKey(
        "candidates.Application",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    ignore = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "kind", "external_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "kind", "external_id"], name="uniq_ats_mapping"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.external_name or self.external_id}"

    @property
    def is_mapped(self) -> bool:
        if self.ignore:
            return True
        if self.kind == MappingKind.REASON:
            return bool(self.reason_id) or self.outcome != ReasonOutcome.REJECTED
        return bool(self.stage_id or self.position_id or self.application_id)


class AtsEventStatus(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    REVIEW = "review", _("Needs review")
    IGNORED = "ignored", _("Ignored")
    FAILED = "failed", _("Failed")


class AtsEvent(models.Model):
    """Every signed webhook an ATS sent, kept once (`dedupe_key`: a replay of the same
    delivery is recognised and not processed again). Events that cannot be applied (unknown
    stage, reason or job) wait here for an HR admin: never dropped."""

    provider = models.CharField(max_length=20, choices=AtsProvider.choices)
    dedupe_key = models.CharField(max_length=200, unique=True)
    action = models.CharField(max_length=60)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=AtsEventStatus.choices, db_index=True)
    # Why it waits for review or was ignored, in words an HR admin understands.
    problem = models.TextField(blank=True)
    candidate = models.ForeignKey(
        "candidates.Candidate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    application = models.ForeignKey(
        "candidates.Application",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    result = models.CharField(max_length=300, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.provider} {self.action} ({self.status})"


# --- Outbound webhooks ----------------------------------------------------------------------------


class WebhookEventType(models.TextChoices):
    CONSENT_CHANGED = "consent.changed", _("Consent changed")
    OPTED_IN = "candidate.opted_in", _("Opted in to the talent pool")
    UNSUBSCRIBED = "candidate.unsubscribed", _("Unsubscribed")
    REAPPLIED = "candidate.reapplied", _("Re-applied")
    ERASED = "candidate.erased", _("Personal data erased")


class WebhookSubscription(models.Model):
    url = models.URLField(max_length=1000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    # Standard Webhooks signing secret: "whsec_" + base64 of 32 random bytes.
    secret = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One fact to announce (the outbox row), written in the transaction that made it true.
    `msg_id` is the Standard Webhooks `webhook-id`: identical on every retry and replay, so
    receivers deduplicate on it."""

    msg_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=40, choices=WebhookEventType.choices)
    payload = models.JSONField()
    candidate_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERING = "delivering", _("Delivering")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")
    CANCELLED = "cancelled", _("Cancelled")


class WebhookDelivery(models.Model):
    """One event for one subscription: retried with backoff until delivered or 24 h passed."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Retries stop WEBHOOK_MAX_AGE_HOURS after this (the event's creation, or a manual replay).
    window_start = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="uniq_delivery")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="integ_delivery_due",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery (the log HR admins read)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.status_code or self.error}"


# --- Inbound replies ------------------------------------------------------------------------------


class ReplyStatus(models.TextChoices):
    MATCHED = "matched", _("On the candidate's timeline")
    REVIEW = "review", _("Unmatched: needs review")
    DISMISSED = "dismissed", _("Dismissed")


class InboundReply(models.Model):
    """An email a candidate sent back (to a rejection, a nurture email...)."""

    status = models.CharField(max_length=10, choices=ReplyStatus.choices, db_index=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The ESP's id or the Message-ID of the reply: the same mail posted twice is stored once.
    dedupe_key = models.CharField(max_length=300, unique=True)
    from_email = models.CharField(max_length=254)
    from_name = models.CharField(max_length=200, blank=True)
    to_email = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    is_auto_reply = models.BooleanField(default=False)
    matched_by = models.CharField(max_length=20, blank=True)  # "token", "in-reply-to", "sender"
    # Our outbox row this answers (a plain id: mailing prunes old messages on its own terms).
    message_id = models.BigIntegerField(null=True, blank=True)
    candidate = models.ForeignKey(
        "candidates.Candidate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notified = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"Reply from {self.from_email}: {self.subject}"
