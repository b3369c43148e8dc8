"""What mailing holds about people (tenants.privacy registry), and how it erases it: mail that
has not left is stopped, mail that has left keeps no address, subject or body, and the address
stays on the suppression list only as a hash."""

from __future__ import annotations

from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Cast, Concat, Lower
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from mailing.models import ERASED_DOMAIN, Message, MessageStatus, SuppressionReason
from mailing.services import suppression_add
from tenants.privacy import (
    ERASED,
    AppPrivacy,
    Category,
    Dataset,
    Erase,
    Erasure,
    Personal,
    Purpose,
    rows_erase,
)

MESSAGE = Dataset(
    model="mailing.Message",
    description=gettext_noop("Emails"),
    person="candidate",
    purposes=("email",),
    personal={
        "to_email": Personal(
            Category.CONTACT,
            Erase.REPLACE,
            replacement=Concat(
                Value("erased-"), Cast("pk", models.CharField()), Value(f"@{ERASED_DOMAIN}")
            ),
        ),
        "subject": Personal(Category.COMMUNICATIONS, Erase.REPLACE, replacement=ERASED),
        "text": Personal(Category.COMMUNICATIONS),
        # The same content as `text`, with markup: not repeated in the access export.
        "html": Personal(Category.COMMUNICATIONS, export=False),
        "headers": Personal(Category.COMMUNICATIONS, export=False),
        "unsubscribe_url": Personal(Category.COMMUNICATIONS, export=False),
        "last_error": Personal(Category.COMMUNICATIONS),
    },
    not_personal=("kind", "topic", "send_key", "status", "esp_message_id"),
    internal=(
        "send_key",
        "esp_message_id",
        "attempts",
        "lease_until",
        "claim_token",
        "needs_reconcile",
    ),
)
ATTACHMENT = Dataset(
    model="mailing.MessageAttachment",
    description=gettext_noop("Email attachments"),
    person="message__candidate",
    purposes=("email",),
    personal={
        "filename": Personal(Category.DOCUMENTS, Erase.DELETE_ROW),
        "content": Personal(Category.DOCUMENTS, Erase.DELETE_ROW, export=False),
    },
    not_personal=("mimetype",),
)
TRACKING = Dataset(
    model="mailing.TrackingEvent",
    description=gettext_noop("Email delivery events"),
    person="message__candidate",
    purposes=("email", "tracking"),
    personal={"description": Personal(Category.COMMUNICATIONS)},
    not_personal=("event_id", "event_type"),
    internal=("event_id",),
)
DATASETS = [
    MESSAGE,
    ATTACHMENT,
    TRACKING,
    Dataset(
        model="mailing.Suppression",
        description=gettext_noop("Suppression list"),
        purposes=("email",),
        personal={
            "email_hash": Personal(
                Category.CONTACT,
                Erase.RETAIN,
                why=gettext_noop(
                    "A SHA-256 hash of the address, kept so that a person who was erased, "
                    "bounced or complained is never emailed again (Art. 17(3), Art. 21)."
                ),
            )
        },
        not_personal=("reason", "source"),
    ),
    Dataset(
        model="mailing.EmailTemplate",
        description=gettext_noop("Email templates"),
        not_personal=("key", "language", "subject", "body"),
    ),
]


def _email_retention() -> str:
    return gettext(
        "As long as the candidate record; erased with it. The suppression list keeps a hash "
        "of the address for as long as the company uses the product."
    )


PURPOSES = [
    Purpose(
        key="email",
        label=gettext_noop("Sending emails (feedback, confirmations, nurture)"),
        basis=gettext_noop(
            "The purpose of each email (contract steps, consent for nurture); the "
            "suppression list: legal obligation to honour objections"
        ),
        retention=_email_retention,
    )
]


def mailing_personal_erase(erasure: Erasure) -> None:
    """Stop what has not left (queued, and claimed but not yet handed to the ESP: the
    dispatcher re-checks its claim right before the ESP call), blank what has left, drop
    attachments, and keep only a hash of each address on the suppression list."""
    emails = [e.lower() for e in erasure.emails]
    theirs = Message.objects.annotate(_to=Lower("to_email")).filter(
        Q(candidate_id__in=erasure.candidate_ids) | Q(_to__in=emails)
    )
    ids = list(theirs.values_list("pk", flat=True))
    messages = Message.objects.filter(pk__in=ids)
    stopped = messages.filter(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]).update(
        status=MessageStatus.CANCELLED, lease_until=None, updated_at=timezone.now()
    )
    erasure.count("mailing.message cancelled", stopped)
    attachments = ATTACHMENT.model_class()._default_manager.filter(message_id__in=ids)
    erasure.count("mailing.messageattachment", rows_erase(ATTACHMENT, attachments, erasure))
    events = TRACKING.model_class()._default_manager.filter(message_id__in=ids)
    erasure.count("mailing.trackingevent", rows_erase(TRACKING, events, erasure))
    erasure.count("mailing.message", rows_erase(MESSAGE, messages, erasure))
    for email in emails:
        suppression_add(email=email, reason=SuppressionReason.ERASED, source="erasure")


PRIVACY = AppPrivacy(
    app_label="mailing",
    datasets=DATASETS,
    erase=mailing_personal_erase,
    purposes=PURPOSES,
)
