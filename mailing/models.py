from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mailing.kinds import NURTURE_KINDS, MessageKind


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", pgettext_lazy("email status", "Sent")
    DELIVERED = "delivered", _("Delivered")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")
    CANCELLED = "cancelled", _("Cancelled")


# Once a message has left, tracking moves it forward only (an "opened" that arrives after a
# "clicked" must not move it back); bounces and complaints always win.
STATUS_RANK: dict[str, int] = {
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.OPENED: 3,
    MessageStatus.CLICKED: 4,
    MessageStatus.BOUNCED: 5,
    MessageStatus.COMPLAINED: 6,
}
LEFT_STATUSES = frozenset(STATUS_RANK)


# Erased messages keep "erased-<id>@" this domain instead of the address (RFC 6761: never
# resolves, so nothing can ever be delivered to it).
ERASED_DOMAIN = "invalid.invalid"


def email_hash(address: str) -> str:
    """SHA-256 of the lower-cased address: suppression survives erasing the person."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


class MessageQuerySet(models.QuerySet["Message"]):
    def due(self) -> MessageQuerySet:
        now = timezone.now()
        return self.filter(status=MessageStatus.QUEUED).filter(
            models.Q(send_after__isnull=True) | models.Q(send_after__lte=now)
        )


class Message(models.Model):
    """One email, written in the same transaction as the business action that causes it."""

    candidate = models.ForeignKey(
        "candidates.Candidate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    to_email = models.EmailField(max_length=254)
    kind = models.CharField(max_length=30, choices=MessageKind.choices, db_index=True)
    topic = models.CharField(max_length=60, blank=True)
    subject = models.CharField(max_length=500)
    html = models.TextField()
    text = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    unsubscribe_url = models.URLField(max_length=1000, blank=True)
    send_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    esp_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    send_after = models.DateTimeField(null=True, blank=True)
    # While `sending`, the worker that claimed the message owns it until this time.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Which claim holds the lease (a worker renews only its own lease before each ESP call).
    claim_token = models.UUIDField(null=True, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_error = models.TextField(blank=True)
    # An earlier attempt may have reached the ESP (worker died, timeout, 5xx): ask the ESP
    # before sending again.
    needs_reconcile = models.BooleanField(default=False)

    objects = MessageQuerySet.as_manager()
    # Set by the dispatcher's claim (one query for the whole claim, not one per message).
    has_attachments = False
    # Set by the dispatcher from the tracking check: the ESP may add its pixel and rewrite links.
    track_engagement = False

    # Replies name the message they answer by its Message-ID (In-Reply-To, References) or by a
    # token holding the id's digest: migration 0005 indexes headers->>'Message-ID' (with
    # text_pattern_ops, for the prefix search too), so that is one index probe, not a scan.

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            # The dispatcher's claim query: due queued messages, oldest first.
            models.Index(
                fields=["id"],
                name="mailing_msg_due",
                condition=models.Q(status="queued"),
            ),
            models.Index(
                fields=["lease_until"],
                name="mailing_msg_leased",
                condition=models.Q(status="sending"),
            ),
            models.Index(fields=["status", "-queued_at"]),
            # "When did this person last get an email of this kind?" (the nurture planner asks
            # it per candidate and topic): one index probe. Without it PostgreSQL combined the
            # kind index (every message of that kind) with the candidate index per person:
            # 0.56 ms each, a minute for 100k candidates.
            models.Index(
                fields=["candidate", "kind", "-sent_at"],
                name="mailing_msg_last_sent",
                condition=models.Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email}"

    @property
    def is_nurture(self) -> bool:
        return self.kind in NURTURE_KINDS

    @property
    def ref(self) -> str:
        return f"mailing.message:{self.pk}"

    @property
    def is_erased(self) -> bool:
        return self.to_email.endswith(f"@{ERASED_DOMAIN}")


class MessageAttachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    mimetype = models.CharField(max_length=100)
    content = models.BinaryField()

    def __str__(self) -> str:
        return self.filename


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Spam complaint")
    MANUAL = "manual", _("Added by hand")
    ERASED = "erased", _("Person erased, must not be contacted")


class Suppression(models.Model):
    """Addresses that must never get mail again, stored only as a hash."""

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices)
    created_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=120, blank=True)

    def __str__(self) -> str:
        return f"{self.email_hash[:12]}… ({self.reason})"


class TrackingEvent(models.Model):
    """An ESP tracking event, stored once per ESP event id (replays are ignored)."""

    event_id = models.CharField(max_length=200, unique=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    event_type = models.CharField(max_length=30)
    at = models.DateTimeField(default=timezone.now)
    description = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class EmailTemplate(models.Model):
    """An HR-editable subject/body for one template kind and language."""

    key = models.CharField(max_length=60)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=300)
    body = models.TextField(help_text="Markdown with merge tags like {{ first_name }}.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["key", "language"], name="uniq_email_template_lang")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"
