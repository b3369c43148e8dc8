"""One ESP call per job (one message, or a batch of them): build the email, call the ESP on
the pool's threads, record every outcome. `mailing.dispatch` decides what goes into the jobs.

While calls are in flight, the dispatcher's thread beats: it renews the claim's leases (one
UPDATE) every quarter lease, and a call only starts if the lease it runs under was renewed less
than half a lease ago, so a worker that lost its lease (database unreachable, process frozen)
never starts a call for a message another worker may have taken over. Outcomes are written as
the calls answer (one UPDATE per tenth of a second at most), not after the whole claim.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formataddr

from anymail.exceptions import AnymailError, AnymailRequestsAPIError
from anymail.message import AnymailMessage
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from mailing import esp
from mailing.events import message_status_changed
from mailing.models import Message, MessageStatus
from tenants.context import current_schema, current_tenant
from tenants.db import Each, Sql, rows_update

FAILED_RECIPIENT_STATUSES = {"rejected", "invalid", "failed"}
# How long finished calls may wait before their outcomes are written together.
RECORD_EVERY = 0.1


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    retrying: int = 0
    esp_calls: int = 0
    helpers: int = 0
    more: bool = False
    wait: float = 0.0


def _now() -> datetime:
    return timezone.now()


def apply(message: Message, status: str, **fields: object) -> None:
    fields.setdefault("last_error", "")
    for key, value in fields.items():
        setattr(message, key, value)
    message.status, message.lease_until, message.updated_at = status, None, _now()


def _announce(messages: list[Message]) -> None:
    """Timeline entries now (one INSERT for the whole batch), status events after commit.

    An email leaving our outbox is not the candidate's activity: it does not move their "last
    activity" (recruiters filter on it to find who engaged, and pool rules can read it; a nurture
    digest would otherwise make everyone look active)."""
    from candidates.models import ActivityKind
    from candidates.services import activity_record_many
    from candidates.timeline import timeline_entry

    activity_record_many(
        activities=[
            timeline_entry(
                code="email.sent",
                params={"subject": message.subject},
                candidate_id=message.candidate_id,
                kind=ActivityKind.EMAIL,
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


def finish(message: Message, status: str, **fields: object) -> None:
    """Record the outcome of a send attempt for one message."""
    apply(message, status, **fields)
    Message.objects.filter(pk=message.pk).update(
        status=status, lease_until=None, updated_at=message.updated_at, **fields
    )
    _announce([message])


def finish_many(messages: list[Message]) -> None:
    """Record outcomes already applied in memory with `apply`, in one UPDATE from arrays bound
    on the server by `tenants.db.rows_update` (Django's bulk_update builds a CASE per field and
    row, and eight client-side parameters per row cost more to bind than the statement takes
    to run)."""
    rows_update(
        Message._meta.db_table,
        "id",
        {
            "id": Each("bigint", [m.pk for m in messages]),
            "status": Each("text", [str(m.status) for m in messages]),
            "esp_message_id": Each("text", [str(m.esp_message_id) for m in messages]),
            "attempts": Each("smallint", [m.attempts for m in messages]),
            "sent_at": Each("timestamptz", [m.sent_at for m in messages]),
            "needs_reconcile": Each("boolean", [m.needs_reconcile for m in messages]),
            "last_error": Each("text", [str(m.last_error) for m in messages]),
            "updated_at": Each("timestamptz", [m.updated_at for m in messages]),
            "lease_until": Sql("NULL"),
        },
    )
    _announce(messages)


def _sender() -> tuple[str, list[str]]:
    tenant = current_tenant()
    address = tenant.sender_email or settings.DEFAULT_FROM_EMAIL
    name = tenant.from_name
    for value in (name, address, tenant.reply_to):
        if "\n" in value or "\r" in value:
            raise ValueError("The tenant's sender identity contains a line break.")
    return formataddr((name, address)), [tenant.reply_to] if tenant.reply_to else []


def _metadata(message: Message) -> dict[str, str]:
    return {
        "schema": current_schema(),
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


def _batch(messages: list[Message], style: esp.BatchStyle) -> AnymailMessage:
    """One ESP call for many personalised messages (see `esp.BatchStyle`): each recipient's
    pre-rendered subject, HTML and text are its merge data, placed by the ESP's on-the-fly
    substitution or by the stored pass-through template (MAILING_BATCH_TEMPLATE; on Postmark
    subject `{{subject}}`, HTML body `{{{html_body}}}`, text body `{{{text_body}}}`)."""
    from_email, reply_to = _sender()
    email = AnymailMessage(
        from_email=from_email, to=[m.to_email for m in messages], reply_to=reply_to
    )
    if style.inline is None:
        email.template_id = settings.MAILING_BATCH_TEMPLATE
    else:
        email.subject, html, email.body = style.inline
        email.attach_alternative(html, "text/html")
    email.merge_data = {
        m.to_email: {"subject": m.subject, "html_body": m.html, "text_body": m.text}
        for m in messages
    }
    email.merge_headers = {m.to_email: dict(m.headers) for m in messages}
    email.merge_metadata = {m.to_email: _metadata(m) for m in messages}
    # track_opens is per ESP call: a batch never mixes tracked and untracked messages
    # (`mailing.dispatch._batch_key`).
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


def retry_or_fail(message: Message, error: str) -> bool:
    """Schedule a retry with exponential backoff; fail after MAILING_MAX_ATTEMPTS. True = retry."""
    attempts = message.attempts + 1
    if attempts >= settings.MAILING_MAX_ATTEMPTS:
        finish(message, MessageStatus.FAILED, attempts=attempts, last_error=f"Gave up: {error}")
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


def sent_fields(message: Message, status: object) -> dict[str, object]:
    return {
        "esp_message_id": getattr(status, "message_id", None) or "",
        "attempts": message.attempts + 1,
        "sent_at": _now(),
        "needs_reconcile": False,
    }


def _still_ours(messages: list[Message]) -> list[Message]:
    """Renew the lease of `messages` and keep only those this worker still holds (same claim
    token, lease not lapsed): once a lease has lapsed another worker may have the message."""
    if not messages:
        return []
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


class Holder:
    """The messages of one claim that are not finished yet, and their lease."""

    def __init__(self, messages: list[Message], on_beat: Callable[[], None] | None = None) -> None:
        self.lease = float(settings.MAILING_LEASE_SECONDS)
        self.pending = {m.pk: m for m in messages}
        self.renewed_at = time.monotonic()
        self.on_beat = on_beat

    def renew(self) -> list[Message]:
        """Renew now; the pending messages still held (the others are forgotten)."""
        kept = _still_ours(list(self.pending.values()))
        self.pending = {m.pk: m for m in kept}
        self.renewed_at = time.monotonic()
        if self.on_beat is not None:
            self.on_beat()
        return kept

    def beat(self) -> None:
        if time.monotonic() - self.renewed_at >= self.lease / 4:
            self.renew()

    def may_send(self, ids: list[int]) -> bool:
        """Called on the ESP threads right before a call."""
        fresh = time.monotonic() - self.renewed_at < self.lease / 2
        return fresh and all(pk in self.pending for pk in ids)

    def done(self, messages: list[Message]) -> None:
        for message in messages:
            self.pending.pop(message.pk, None)


@dataclass
class Job:
    """One ESP call."""

    messages: list[Message]
    email: AnymailMessage | None = None
    error: str = ""  # could not be built (retrying cannot help)
    future: Future[AnymailMessage | None] | None = field(default=None, repr=False)


def build_job(messages: list[Message], style: esp.BatchStyle | None = None) -> Job:
    """The ESP call for one message, or for a batch in the ESP's `style`."""
    try:
        email = _batch(messages, style) if style else _single(messages[0])
    except ValueError as exc:
        # A sender identity or header that cannot be put in an email.
        return Job(messages, error=str(exc))
    return Job(messages, email)


def _guarded(holder: Holder, job: Job) -> Callable[[BaseEmailBackend], AnymailMessage | None]:
    ids = [m.pk for m in job.messages]
    email = job.email
    assert email is not None  # only jobs with an email are sent (send_jobs)

    def call(backend: BaseEmailBackend) -> AnymailMessage | None:
        if not holder.may_send(ids):
            return None  # the lease is not certainly ours any more: leave it to the sweep
        email.connection = backend
        email.send()
        return email

    return call


def send_jobs(jobs: list[Job], holder: Holder, pool: esp.EspPool, result: DispatchResult) -> None:
    """Run the jobs' ESP calls concurrently on the pool and record outcomes as they arrive."""
    ready: list[Message] = []
    with transaction.atomic():
        for job in jobs:
            if job.email is None:
                for message in job.messages:
                    finish(message, MessageStatus.FAILED, last_error=job.error)
                result.failed += len(job.messages)
                holder.done(job.messages)
            else:
                ready += job.messages
    if not ready:
        return
    kept = {m.pk for m in holder.renew()}
    running = {}
    for job in jobs:
        if job.email is not None and all(m.pk in kept for m in job.messages):
            job.future = pool.run(_guarded(holder, job))
            running[job.future] = job
            result.esp_calls += 1
    while running:
        done, _ = wait(running, timeout=RECORD_EVERY, return_when=FIRST_COMPLETED)
        if done:
            time.sleep(min(RECORD_EVERY, 0.02))  # let calls answering together share a write
            done = {f for f in running if f.done()}
            _record([running.pop(f) for f in done], holder, result)
        holder.beat()


def _record(jobs: list[Job], holder: Holder, result: DispatchResult) -> None:
    answered: list[Message] = []
    with transaction.atomic():
        for job in jobs:
            holder.done(job.messages)
            assert job.future is not None  # only jobs that were started are recorded
            try:
                email = job.future.result()
            except (AnymailError, OSError, smtplib.SMTPException) as exc:
                _failed_call(job.messages, exc, result)
                continue
            if email is None:
                continue
            answered += _outcomes(job.messages, email, result)
        if answered:
            finish_many(answered)


def _failed_call(messages: list[Message], exc: Exception, result: DispatchResult) -> None:
    error = str(exc).splitlines()[0][:2000] if str(exc) else type(exc).__name__
    for message in messages:
        if _transient(exc) and retry_or_fail(message, error):
            result.retrying += 1
        else:
            if not _transient(exc):
                finish(
                    message, MessageStatus.FAILED, attempts=message.attempts + 1, last_error=error
                )
            result.failed += 1


def _outcomes(
    messages: list[Message], email: AnymailMessage, result: DispatchResult
) -> list[Message]:
    statuses = email.anymail_status.recipients
    for message in messages:
        status = statuses.get(message.to_email)
        if status is not None and status.status in FAILED_RECIPIENT_STATUSES:
            apply(
                message,
                MessageStatus.FAILED,
                attempts=message.attempts + 1,
                last_error=f"The ESP refused the recipient ({status.status}).",
            )
            result.failed += 1
        else:
            apply(message, MessageStatus.SENT, **sent_fields(message, status))
            result.sent += 1
    return messages


def messages_send(messages: list[Message], result: DispatchResult) -> None:
    """One ESP call for `messages` (one message, or a batch), on its own pool."""
    pool = esp.EspPool(1)
    style = esp.batch_style() if len(messages) > 1 else None
    try:
        send_jobs([build_job(messages, style)], Holder(messages), pool, result)
    finally:
        pool.close()
