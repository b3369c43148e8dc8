"""Candidates' replies to our emails (rejections, nurture, campaigns).

Outgoing candidate mail carries `Reply-To: reply+<token>@<REPLIES_DOMAIN>` (registered with
mailing in `ready()`). The token is the digest of the message's own Message-ID plus a MAC over it
with the tenant's schema, so it names the message, cannot be forged, and needs no table. The
ESP's inbound webhook (on the tenant's host) hands the mail to anymail's `inbound` signal; the
reply is matched by the token, else by In-Reply-To / References against our Message-IDs (then
only if it comes from the address we wrote to). A matched reply lands on the candidate's
timeline and the recruiter who sent the original gets an email; automatic replies (out of
office, Auto-Submitted…) are marked and notify nobody; anything unmatched is kept for review.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from candidates.models import ActivityKind, Candidate
from candidates.services import activity_record_many
from candidates.timeline import timeline_entry
from integrations.models import InboundReply, ReplyStatus
from integrations.notify import staff_notify
from mailing.models import Message
from mailing.selectors import message_by_message_id_prefix, messages_by_message_id
from tenants.context import current_schema
from tenants.links import tenant_absolute_url

log = logging.getLogger(__name__)

# Mail that is not to a candidate, or only a test: no reply address.
_NO_REPLY_KEYS = ("integrations:", "template-test:", "campaign-test:")
_TOKEN = re.compile(r"reply\+([0-9a-f]{32})-([a-z2-7]{10})@", re.IGNORECASE)
MAX_TEXT = 100_000


def _digest(schema: str, send_key: str) -> str:
    # The same digest mailing puts in the Message-ID (mailing.services.message_headers).
    return hashlib.sha256(f"{schema}:{send_key}".encode()).hexdigest()[:32]


def _mac(schema: str, digest: str) -> str:
    mac = hmac.new(
        settings.SECRET_KEY.encode(), f"reply:{schema}:{digest}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(mac).decode().lower()[:10]


def reply_address_for(schema: str, send_key: str) -> str | None:
    """mailing's Reply-To hook (see mailing.replies): pure computation, no database."""
    domain = settings.REPLIES_DOMAIN
    if not domain or send_key.startswith(_NO_REPLY_KEYS):
        return None
    digest = _digest(schema, send_key)
    return f"reply+{digest}-{_mac(schema, digest)}@{domain.format(schema=schema)}"


# --- Matching -------------------------------------------------------------------------------------


def _recipients(message: Any) -> list[str]:
    values = [getattr(message, "envelope_recipient", None) or ""]
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        values += message.get_all(header, [])
    return [address for _, address in getaddresses([str(v) for v in values]) if address]


def _by_token(addresses: list[str]) -> Message | None:
    schema = current_schema()
    for address in addresses:
        match = _TOKEN.search(address)
        if not match:
            continue
        digest, mac = match.group(1).lower(), match.group(2).lower()
        if not hmac.compare_digest(mac, _mac(schema, digest)):
            continue
        found = message_by_message_id_prefix(f"<{digest}.{schema}@")
        if found is not None:
            return found
    return None


def _by_thread(message: Any) -> Message | None:
    ids: list[str] = []
    for header in ("In-Reply-To", "References"):
        for value in message.get_all(header, []):
            ids += re.findall(r"<[^<>\s]{1,300}>", str(value))
    if not ids:
        return None
    found = {
        m.headers["Message-ID"]: m for m in messages_by_message_id(list(dict.fromkeys(ids))[:50])
    }
    # In-Reply-To first (the mail answered), then References from the newest.
    for value in reversed(ids):
        if value in found:
            return found[value]
    return None


_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheit|"
    r"réponse automatique|risposta automatica|fuori sede|absence|ooo\b|autoreply|"
    r"auto:|automatische antwort|abwesenheitsnotiz|vacation)",
    re.IGNORECASE,
)


def is_auto_reply(message: Any) -> bool:
    """RFC 3834 Auto-Submitted, the common vendor headers, bulk precedence, and the usual
    out-of-office subjects (en/fr/de/it)."""
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if message.get(header) is not None:
            return True
    if str(message.get("X-Auto-Response-Suppress", "")).strip().lower() in ("all", "oof"):
        return True
    if str(message.get("Precedence", "")).strip().lower() in ("auto_reply", "bulk", "junk"):
        return True
    return bool(_AUTO_SUBJECT.match(str(message.get("Subject", "") or "")))


def _text(message: Any) -> str:
    # Postmark's StrippedTextReply: the reply without the quoted original, when available.
    text = getattr(message, "stripped_text", None) or getattr(message, "text", None)
    if not text:
        html = getattr(message, "html", None) or ""
        text = re.sub(r"<[^>]+>", " ", html)
    return str(text or "").replace("\x00", "")[:MAX_TEXT]


def _dedupe_key(message: Any, esp_name: str, event_id: str) -> str:
    if event_id:
        return f"{esp_name}:{event_id}"[:300]
    message_id = str(message.get("Message-ID", "") or "").strip()
    if message_id:
        return f"mid:{message_id}"[:300]
    raw = message.as_bytes() if hasattr(message, "as_bytes") else str(message).encode()
    return "sha:" + hashlib.sha256(raw).hexdigest()


# --- Who sent the original ------------------------------------------------------------------------


def original_sender(message: Message) -> User | None:
    """The staff member behind a message, by its send key (None: automated mail)."""
    key = message.send_key
    if key.startswith("rejection:"):
        from feedback.models import Rejection

        application_id = key.split(":")[1]
        rejection = (
            Rejection.objects.filter(application_id=application_id)
            .select_related("decided_by")
            .first()
            if application_id.isdigit()
            else None
        )
        return rejection.decided_by if rejection else None
    if key.startswith("campaign:"):
        from campaigns.models import Campaign

        campaign_id = key.split(":")[1]
        campaign = (
            Campaign.objects.filter(pk=campaign_id).select_related("created_by").first()
            if campaign_id.isdigit()
            else None
        )
        return campaign.created_by if campaign else None
    return None


# --- Receiving ------------------------------------------------------------------------------------


@transaction.atomic
def reply_receive(*, message: Any, esp_name: str, event_id: str = "") -> InboundReply | None:
    """Store one inbound mail (None when the same mail was received before)."""
    sender_name, sender = "", ""
    from_header = str(message.get("From", "") or "")
    parsed = getaddresses([from_header])
    if parsed:
        sender_name, sender = parsed[0]
    recipients = _recipients(message)
    original, matched_by = _by_token(recipients), "token"
    if original is None:
        original, matched_by = _by_thread(message), "in-reply-to"
        if original is not None and original.to_email.lower() != sender.lower():
            # Message-IDs are not secret: a thread match counts only from the person we wrote to.
            original = None
    candidate = None
    if original is not None and original.candidate_id:
        candidate = Candidate.objects.filter(
            pk=original.candidate_id, anonymised_at__isnull=True
        ).first()
    auto = is_auto_reply(message)
    reply = InboundReply(
        status=ReplyStatus.MATCHED if candidate else ReplyStatus.REVIEW,
        dedupe_key=_dedupe_key(message, esp_name, event_id),
        from_email=sender[:254],
        from_name=sender_name[:200],
        to_email=(recipients[0] if recipients else "")[:254],
        subject=" ".join(str(message.get("Subject", "") or "").split())[:500],
        text=_text(message),
        is_auto_reply=auto,
        matched_by=matched_by if candidate else "",
        message_id=original.pk if original else None,
        candidate=candidate,
    )
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:
        return None
    if candidate is None:
        log.info("inbound mail from an unknown address kept for review (reply %s)", reply.pk)
        return reply
    activity_record_many(
        activities=[
            timeline_entry(
                code="email.auto_reply" if auto else "email.reply",
                params={"subject": reply.subject},
                candidate=candidate,
                kind=ActivityKind.EMAIL,
                body=reply.text[:10_000],
                ref=f"integrations.reply:{reply.pk}",
                data={"reply": reply.pk, "auto": auto, "message": original.pk},  # type: ignore[union-attr]
                at=reply.received_at,
            )
        ],
        # An out-of-office is not the person engaging.
        bump_last_activity=not auto,
    )
    if auto:
        return reply
    from consent.services import engagement_record

    engagement_record(candidate=candidate, at=timezone.now())
    recruiter = original_sender(original)  # type: ignore[arg-type]
    if recruiter is not None and recruiter.is_active:
        reply.notified = recruiter
        reply.save(update_fields=["notified"])
        staff_notify(
            key=f"reply:{reply.pk}",
            recipients=[recruiter],
            subject="{{ candidate_name }} replied: {{ subject }}",
            body=(
                "**{{ candidate_name }}** replied to “{{ original_subject }}”:\n\n"
                "{{ excerpt }}\n\n"
                "The reply is on their timeline: {{ candidate_url }}"
            ),
            context={
                "candidate_name": candidate.full_name,
                "subject": reply.subject,
                "original_subject": original.subject,  # type: ignore[union-attr]
                "excerpt": reply.text[:1500],
                "candidate_url": tenant_absolute_url(
                    reverse("candidates:detail", args=[candidate.pk])
                ),
            },
        )
    return reply


@transaction.atomic
def reply_assign(*, reply: InboundReply, candidate: Candidate, actor: User | None) -> InboundReply:
    """An HR admin files an unmatched reply under the right person."""
    reply.candidate, reply.status, reply.matched_by = candidate, ReplyStatus.MATCHED, "manual"
    reply.save(update_fields=["candidate", "status", "matched_by"])
    activity_record_many(
        activities=[
            timeline_entry(
                code="email.reply",
                params={"subject": reply.subject},
                candidate=candidate,
                kind=ActivityKind.EMAIL,
                body=reply.text[:10_000],
                actor=actor if actor and actor.pk else None,
                ref=f"integrations.reply:{reply.pk}",
                data={"reply": reply.pk, "auto": reply.is_auto_reply},
                at=reply.received_at,
            )
        ],
        bump_last_activity=not reply.is_auto_reply,
    )
    return reply


@transaction.atomic
def reply_dismiss(*, reply: InboundReply, actor: User | None) -> InboundReply:
    reply.status = ReplyStatus.DISMISSED
    reply.save(update_fields=["status"])
    return reply
