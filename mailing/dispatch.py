"""The dispatcher: the only code that calls the ESP.

Exactly-once rules:

1. `send_key` is unique: one logical send is one row, whatever the business code retries.
2. Claim: `SELECT … FOR UPDATE SKIP LOCKED` on due `queued` rows, set them `sending` with a lease
   (`lease_until`) and **commit before calling the ESP**. Two workers never hold the same row.
3. After the ESP answers, the ESP message id and `sent` are written at once. A row is therefore
   `sending` without an ESP id only if its worker died (SIGKILL, OOM, lost box) during or right
   after the ESP call — the one moment where we cannot know whether the ESP accepted it.
4. Such a row is not blindly re-sent. Once its lease has expired the sweeper puts it back to
   `queued` flagged `needs_reconcile`; before sending a flagged row the dispatcher asks the ESP
   whether it already has a message carrying our `mailing_key` metadata (Postmark's message
   search). Found: record it as sent, no second email. Not found: send. The same applies after a
   timeout or 5xx, where the ESP may also have accepted the message. For ESPs we cannot ask, the
   message is re-sent (at-least-once for that rare case, documented) — the stable Message-ID
   then lets receiving servers and the ESP collapse the duplicate.
5. The lease (MAILING_LEASE_SECONDS, 300 s) is far longer than the ESP HTTP timeout (30 s), so a
   live worker never outlives its lease.

Rate limits: a Redis token bucket per tenant and one global (see `mailing.ratelimit`); Celery's
own `rate_limit` counts tasks per worker process, not messages per tenant across all workers.
"""

from __future__ import annotations

import logging
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr

from anymail.exceptions import AnymailError, AnymailRequestsAPIError
from anymail.message import AnymailMessage
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from mailing import esp, ratelimit
from mailing.events import message_status_changed
from mailing.gate import GateDecision, send_gate, tracking_decisions
from mailing.models import (
    Message,
    MessageAttachment,
    MessageStatus,
    Suppression,
    SuppressionReason,
    email_hash,
)

log = logging.getLogger(__name__)

FAILED_RECIPIENT_STATUSES = {"rejected", "invalid", "failed"}


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    retrying: int = 0
    esp_calls: int = 0
    more: bool = False
    wait: float = 0.0


def _now() -> datetime:
    return timezone.now()


def message_claim(*, limit: int) -> list[Message]:
    """Claim up to `limit` due messages for this worker (committed before returning)."""
    now = _now()
    with transaction.atomic():
        ids = list(
            Message.objects.due()
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Message.objects.filter(pk__in=ids).update(
            status=MessageStatus.SENDING,
            lease_until=now + timedelta(seconds=settings.MAILING_LEASE_SECONDS),
            claim_token=uuid.uuid4(),
            updated_at=now,
        )
    messages = list(Message.objects.filter(pk__in=ids).select_related("candidate").order_by("id"))
    with_attachments = set(
        MessageAttachment.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
    )
    for message in messages:
        message.has_attachments = message.pk in with_attachments
    return messages


def _gate(message: Message, suppressed: dict[str, str]) -> GateDecision:
    reason = suppressed.get(email_hash(message.to_email))
    if reason is not None:
        label = SuppressionReason(reason).label.lower()
        return GateDecision(False, f"The address is on the suppression list ({label}).")
    gate = send_gate()
    if gate is None:
        if message.is_nurture:
            return GateDecision(False, "No consent gate is registered: nurture mail is refused.")
        return GateDecision(True)
    return gate(message)


def _apply(message: Message, status: str, **fields: object) -> None:
    fields.setdefault("last_error", "")
    for key, value in fields.items():
        setattr(message, key, value)
    message.status, message.lease_until, message.updated_at = status, None, _now()


def _announce(messages: list[Message]) -> None:
    """Timeline entries now (one INSERT for the whole batch), status events after commit.

    An email leaving our outbox is not the candidate's activity: it does not move their "last
    activity" (recruiters filter on it to find who engaged, and pool rules can read it; a nurture
    digest would otherwise make everyone look active)."""
    from candidates.models import Activity, ActivityKind
    from candidates.services import activity_record_many

    activity_record_many(
        activities=[
            Activity(
                candidate_id=message.candidate_id,
                kind=ActivityKind.EMAIL,
                summary=f"Email sent: {message.subject}",
                ref=message.ref,
                data={"status": message.status, "kind": message.kind},
            )
            for message in messages
            if message.status == MessageStatus.SENT and message.candidate_id
        ],
        bump_last_activity=False,
    )

    def send_events() -> None:
        for message in messages:
            message_status_changed.send(sender=Message, message=message, status=message.status)

    transaction.on_commit(send_events)


def _finish(message: Message, status: str, **fields: object) -> None:
    """Record the outcome of a send attempt for one message."""
    _apply(message, status, **fields)
    Message.objects.filter(pk=message.pk).update(
        status=status, lease_until=None, updated_at=message.updated_at, **fields
    )
    _announce([message])


def _finish_many(messages: list[Message]) -> None:
    """Record outcomes already applied in memory with `_apply`, in one UPDATE … FROM VALUES
    (Django's bulk_update builds a CASE per field and row, far slower for 500 rows)."""
    rows = [
        (
            m.pk,
            m.status,
            m.esp_message_id,
            m.attempts,
            m.sent_at,
            m.needs_reconcile,
            m.last_error,
            m.updated_at,
        )
        for m in messages
    ]
    placeholders = ", ".join(
        ["(%s::bigint, %s, %s, %s::smallint, %s::timestamptz, %s::boolean, %s, %s::timestamptz)"]
        * len(rows)
    )
    table = connection.ops.quote_name(Message._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS m SET status = v.status, esp_message_id = v.esp, "  # noqa: S608 (no user input in the SQL text)
            "attempts = v.attempts, sent_at = v.sent_at, needs_reconcile = v.reconcile, "
            "last_error = v.error, updated_at = v.updated, lease_until = NULL "
            f"FROM (VALUES {placeholders}) AS v(id, status, esp, attempts, sent_at, reconcile, "
            "error, updated) WHERE m.id = v.id",
            [value for row in rows for value in row],
        )
    _announce(messages)


def _sender() -> tuple[str, list[str]]:
    tenant = connection.tenant
    address = tenant.sender_email or settings.DEFAULT_FROM_EMAIL
    name = tenant.from_name
    for value in (name, address, tenant.reply_to):
        if "\n" in value or "\r" in value:
            raise ValueError("The tenant's sender identity contains a line break.")
    return formataddr((name, address)), [tenant.reply_to] if tenant.reply_to else []


def _metadata(message: Message) -> dict[str, str]:
    return {
        "schema": connection.schema_name,
        "message_id": str(message.pk),
        "mailing_key": esp.mailing_key(message),
    }


def _single(message: Message) -> AnymailMessage:
    from_email, reply_to = _sender()
    email = AnymailMessage(
        subject=message.subject,
        body=message.text,
        from_email=from_email,
        to=[message.to_email],
        reply_to=reply_to,
        headers=message.headers,
    )
    email.attach_alternative(message.html, "text/html")
    email.metadata = _metadata(message)
    _set_tracking(email, message.track_engagement)
    for attachment in message.attachments.all() if message.has_attachments else ():
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


def _batch(messages: list[Message]) -> AnymailMessage:
    """One ESP call for many personalised messages: the ESP-side template
    (MAILING_BATCH_TEMPLATE) only places each recipient's pre-rendered subject/HTML/text, so
    what leaves is exactly what the outbox row shows. On Postmark it is a template (alias in
    MAILING_BATCH_TEMPLATE) with subject `{{subject}}`, HTML body `{{{html_body}}}` and text
    body `{{{text_body}}}`; anymail then uses /email/batchWithTemplates, 500 per call."""
    from_email, reply_to = _sender()
    email = AnymailMessage(
        from_email=from_email, to=[m.to_email for m in messages], reply_to=reply_to
    )
    email.template_id = settings.MAILING_BATCH_TEMPLATE
    email.merge_data = {
        m.to_email: {"subject": m.subject, "html_body": m.html, "text_body": m.text}
        for m in messages
    }
    email.merge_headers = {m.to_email: dict(m.headers) for m in messages}
    email.merge_metadata = {m.to_email: _metadata(m) for m in messages}
    # track_opens is per ESP call: `_batches` never mixes tracked and untracked messages.
    _set_tracking(email, messages[0].track_engagement)
    return email


def _set_tracking(email: AnymailMessage, allowed: bool) -> None:
    """Tell the ESP, per message, whether to add its open pixel and rewrite links (consent to
    tracking; off when unknown), instead of relying on the account's default."""
    email.track_opens = allowed
    email.track_clicks = allowed


def _transient(exc: Exception) -> bool:
    """Worth retrying: timeouts, connection errors, 5xx and 429 from an HTTP ESP; 4xx SMTP
    replies and lost connections from an SMTP server (Mailpit in docker compose)."""
    if isinstance(exc, AnymailRequestsAPIError):
        status = exc.status_code
        return status is None or status >= 500 or status == 429
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    return isinstance(exc, OSError | smtplib.SMTPException)


def _retry_or_fail(message: Message, error: str) -> bool:
    """Schedule a retry with exponential backoff; fail after MAILING_MAX_ATTEMPTS. True = retry."""
    attempts = message.attempts + 1
    if attempts >= settings.MAILING_MAX_ATTEMPTS:
        _finish(message, MessageStatus.FAILED, attempts=attempts, last_error=f"Gave up: {error}")
        return False
    delay = min(settings.MAILING_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 3600)
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.QUEUED,
        attempts=attempts,
        send_after=_now() + timedelta(seconds=delay),
        lease_until=None,
        needs_reconcile=True,
        last_error=error[:2000],
        updated_at=_now(),
    )
    return True


def _sent_fields(message: Message, status: object) -> dict[str, object]:
    return {
        "esp_message_id": getattr(status, "message_id", None) or "",
        "attempts": message.attempts + 1,
        "sent_at": _now(),
        "needs_reconcile": False,
    }


def _still_ours(messages: list[Message]) -> list[Message]:
    """Renew the lease right before an ESP call and keep only the messages this worker still
    holds. A claim of many messages can take longer than one lease to work through; once a
    lease has expired the sweeper may hand the row to another worker, and the claim token
    tells the two apart."""
    now = _now()
    lease = now + timedelta(seconds=settings.MAILING_LEASE_SECONDS)
    token = messages[0].claim_token
    ids = [m.pk for m in messages]
    held = Message.objects.filter(
        pk__in=ids, status=MessageStatus.SENDING, claim_token=token, lease_until__gt=now
    )
    if held.update(lease_until=lease) == len(ids):
        return messages
    kept = set(
        Message.objects.filter(pk__in=ids, claim_token=token, lease_until=lease).values_list(
            "pk", flat=True
        )
    )
    return [m for m in messages if m.pk in kept]


def messages_send(messages: list[Message], result: DispatchResult) -> None:
    """One ESP call for `messages` (one message, or a batch) and record each outcome."""
    messages = _still_ours(messages)
    if not messages:
        return
    try:
        email = _batch(messages) if len(messages) > 1 else _single(messages[0])
    except ValueError as exc:
        # A sender identity or header that cannot be put in an email: retrying cannot help.
        with transaction.atomic():
            for message in messages:
                _finish(message, MessageStatus.FAILED, last_error=str(exc))
        result.failed += len(messages)
        return
    result.esp_calls += 1
    try:
        email.send()
    except (AnymailError, OSError, smtplib.SMTPException) as exc:
        error = str(exc).splitlines()[0][:2000] if str(exc) else type(exc).__name__
        with transaction.atomic():
            for message in messages:
                if _transient(exc) and _retry_or_fail(message, error):
                    result.retrying += 1
                else:
                    if not _transient(exc):
                        _finish(
                            message,
                            MessageStatus.FAILED,
                            attempts=message.attempts + 1,
                            last_error=error,
                        )
                    result.failed += 1
        return
    statuses = email.anymail_status.recipients
    for message in messages:
        status = statuses.get(message.to_email)
        if status is not None and status.status in FAILED_RECIPIENT_STATUSES:
            _apply(
                message,
                MessageStatus.FAILED,
                attempts=message.attempts + 1,
                last_error=f"The ESP refused the recipient ({status.status}).",
            )
            result.failed += 1
        else:
            _apply(message, MessageStatus.SENT, **_sent_fields(message, status))
            result.sent += 1
    with transaction.atomic():
        _finish_many(messages)


def _batches(messages: list[Message]) -> tuple[list[list[Message]], list[Message]]:
    """Split claimed messages into ESP calls; a batch never holds one address twice (merge
    data is keyed by address), repeats go out on their own; tracked and untracked messages
    never share a call (the ESP's tracking switch is per call)."""
    limit = esp.batch_limit()
    singles = [m for m in messages if not m.is_nurture or limit <= 1 or m.has_attachments]
    single_ids = {m.pk for m in singles}
    batches: list[list[Message]] = []
    for tracked in (False, True):
        current: list[Message] = []
        seen: set[str] = set()
        for message in messages:
            if message.pk in single_ids or message.track_engagement is not tracked:
                continue
            if message.to_email.lower() in seen:
                singles.append(message)
                continue
            seen.add(message.to_email.lower())
            current.append(message)
            if len(current) >= limit:
                batches.append(current)
                current, seen = [], set()
        if current:
            batches.append(current)
    return batches, singles


def outbox_dispatch(*, budget_seconds: float | None = None) -> DispatchResult:
    """Send due messages of the current tenant until none is left or the time budget is used."""
    result = DispatchResult()
    budget = settings.MAILING_DISPATCH_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    while True:
        if time.monotonic() - started > budget:
            result.more = Message.objects.due().exists()
            return result
        size = max(esp.batch_limit(), settings.MAILING_CLAIM_SIZE)
        granted, wait = ratelimit.acquire(connection.schema_name, size)
        if granted == 0:
            result.more, result.wait = Message.objects.due().exists(), wait
            return result
        claimed = message_claim(limit=granted)
        if len(claimed) < granted:
            ratelimit.refund(connection.schema_name, granted - len(claimed))
        if not claimed:
            return result
        _process(claimed, result)


def _process(claimed: list[Message], result: DispatchResult) -> None:
    ready: list[Message] = []
    suppressed = dict(
        Suppression.objects.filter(
            email_hash__in=[email_hash(m.to_email) for m in claimed]
        ).values_list("email_hash", "reason")
    )
    for message in claimed:
        decision = _gate(message, suppressed)
        if not decision.allowed:
            with transaction.atomic():
                _finish(message, MessageStatus.SUPPRESSED, last_error=decision.reason)
            result.suppressed += 1
            continue
        if message.needs_reconcile:
            try:
                found = esp.lookup(message)
            except esp.LookupFailed as exc:
                with transaction.atomic():
                    _retry_or_fail(
                        message, f"Could not ask the ESP about an earlier attempt: {exc}"
                    )
                result.retrying += 1
                continue
            if found:
                with transaction.atomic():
                    fields = _sent_fields(message, None) | {"esp_message_id": found}
                    _finish(message, MessageStatus.SENT, **fields)
                result.sent += 1
                continue
        ready.append(message)
    tracking = tracking_decisions(ready)
    for message in ready:
        message.track_engagement = tracking[message.pk]
    batches, singles = _batches(ready)
    for batch in batches:
        messages_send(batch, result)
    for message in singles:
        messages_send([message], result)


def next_retry_at() -> datetime | None:
    """When the earliest postponed message becomes due (for scheduling the next run)."""
    return (
        Message.objects.filter(status=MessageStatus.QUEUED, send_after__gt=_now())
        .order_by("send_after")
        .values_list("send_after", flat=True)
        .first()
    )


@transaction.atomic
def outbox_sweep(*, now: datetime | None = None) -> int:
    """Put messages whose worker died (lease expired while `sending`) back in the queue,
    flagged so the ESP is asked before they are sent again. Returns how many are due."""
    now = now or _now()
    Message.objects.filter(status=MessageStatus.SENDING, lease_until__lt=now).update(
        status=MessageStatus.QUEUED, lease_until=None, needs_reconcile=True, updated_at=now
    )
    return Message.objects.due().count()
