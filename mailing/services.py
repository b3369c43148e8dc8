"""Writes of the mailing app: the outbox, suppression list and HR-editable templates.

Sending itself (claiming, the gate, the ESP call) lives in `mailing.dispatch`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from accounts.models import User
from accounts.services import audit_log_record
from mailing.catalog import get_template_kind
from mailing.kinds import MessageKind, is_nurture
from mailing.merge import validate_merge_tags
from mailing.models import (
    EmailTemplate,
    Message,
    MessageAttachment,
    MessageStatus,
    Suppression,
    SuppressionReason,
    email_hash,
)
from mailing.rendering import RenderedEmail, render_email
from mailing.replies import reply_address
from tenants.context import current_schema, current_tenant_or_none
from tenants.db import Column, Each, Same, rows_insert
from tenants.i18n import pick_language

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


log = logging.getLogger(__name__)

# Checked for every message of a bulk enqueue (MessageKind.values walks the enum each time).
_KINDS = frozenset(MessageKind.values)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,76}$")
# Headers the dispatcher owns; callers may not override them.
_RESERVED_HEADERS = {"from", "to", "cc", "bcc", "subject", "reply-to", "message-id", "sender"}


def _refuse_newlines(label: str, value: str) -> None:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValidationError(f"{label} must not contain line breaks (header injection refused).")


# A dot-atom address (what nearly every address is) is one parseaddr() gives back unchanged
# with no display name; parsing it costs more than the rest of queueing a message.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def clean_address(address: str, label: str = "Recipient address") -> str:
    """Validate one bare address; refuses display names, line breaks and invalid syntax."""
    address = (address or "").strip()
    _refuse_newlines(label, address)
    if not _PLAIN_ADDRESS.fullmatch(address):
        name, addr = parseaddr(address)
        if name or addr != address:
            raise ValidationError(f"{label} must be a plain address like name@example.com.")
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(f"{label} {address!r} is not a valid email address.") from None
    return address


def sender_domain(tenant: Any = None) -> str:
    tenant = tenant or current_tenant_or_none()
    address = getattr(tenant, "sender_email", "") or settings.DEFAULT_FROM_EMAIL
    return address.rpartition("@")[2] or "localhost"


def message_headers(
    *,
    send_key: str,
    unsubscribe_url: str | None,
    extra: dict[str, str] | None,
    schema: str | None = None,
    domain: str | None = None,
) -> dict[str, str]:
    """The headers a message is sent with: a stable Message-ID (derived from the tenant and the
    send key, so identical on every retry and known before the row exists) and, for nurture
    mail, RFC 8058 one-click unsubscribe. `schema` and `domain` default to the current
    tenant's (a bulk enqueue passes them once for all its messages)."""
    schema = schema or current_schema()
    domain = domain or sender_domain()
    headers: dict[str, str] = {}
    for name, value in (extra or {}).items():
        name, value = str(name), str(value)
        if not _HEADER_NAME.match(name):
            raise ValidationError(f"Header name {name!r} is not allowed.")
        if name.lower() in _RESERVED_HEADERS:
            raise ValidationError(f"The header {name} is set by the mailing app itself.")
        _refuse_newlines(f"Header {name}", value)
        headers[name] = value
    digest = hashlib.sha256(f"{schema}:{send_key}".encode()).hexdigest()[:32]
    headers["Message-ID"] = f"<{digest}.{schema}@{domain}>"
    reply_to = reply_address(schema=schema, send_key=send_key)
    if reply_to:
        # Replies reach the registered address and, as before, the tenant's own Reply-To.
        tenant = current_tenant_or_none()
        own = tenant.reply_to if tenant is not None else ""
        headers["Reply-To"] = ", ".join(
            [clean_address(reply_to, "Reply-To address"), *([own] if own else [])]
        )
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def _kick_dispatch() -> None:
    from mailing.tasks import outbox_dispatch_task

    try:
        outbox_dispatch_task.delay()
    except (OperationalError, OSError):
        # The message is committed; with the broker down the sweeper sends it later. The
        # business action that wrote it must not fail for that.
        log.warning("broker unavailable; the outbox sweeper will dispatch the message")


class _DispatchKick:
    """The dispatcher enqueue shared by every `dispatch_on_commit` of one transaction: the
    first of its on_commit callbacks that runs enqueues, the others find it done."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        _kick_dispatch()


# The current kick of each database connection (Django keeps one per thread), until one of its
# callbacks ran; kept here rather than on Django's connection object.
_kicks: weakref.WeakKeyDictionary[Any, _DispatchKick] = weakref.WeakKeyDictionary()


def dispatch_on_commit() -> None:
    """Enqueue one dispatcher run after commit, however many messages the transaction wrote.

    Every call registers a callback with `transaction.on_commit` (public API, so a savepoint
    rolled back takes its own callbacks with it and the others still run); the callbacks of one
    transaction share a `_DispatchKick`, so only the first to run enqueues. A kick whose
    transaction rolled back never ran: the next transaction reuses it, still one enqueue.
    """
    wrapper = transaction.get_connection()
    kick = _kicks.get(wrapper)
    if kick is None or kick.done:
        kick = _kicks[wrapper] = _DispatchKick()
    transaction.on_commit(kick)


@dataclass(frozen=True)
class OutgoingEmail:
    """One message for `message_enqueue_many`: the arguments of `message_enqueue`."""

    send_key: str
    kind: str
    to_email: str
    subject: str
    html: str
    text: str
    candidate: Any = None
    topic: str = ""
    attachments: Sequence[tuple[str, bytes, str]] = ()
    send_after: datetime | None = None
    headers: dict[str, str] | None = None
    unsubscribe_url: str | None = None


def _validated(
    *,
    send_key: str,
    kind: str,
    to_email: str,
    subject: str,
    html: str,
    text: str,
    candidate: Any = None,
    topic: str = "",
    send_after: datetime | None = None,
    headers: dict[str, str] | None = None,
    unsubscribe_url: str | None = None,
    attachments: Iterable[tuple[str, bytes, str]] = (),
    schema: str | None = None,
    domain: str | None = None,
) -> tuple[Message, list[tuple[str, bytes, str]]]:
    """The unsaved outbox row (and its attachments) after every check a message must pass."""
    if not send_key or len(send_key) > 200:
        raise ValidationError("A send key of 1 to 200 characters is required.")
    if kind not in _KINDS:
        raise ValidationError(f"Unknown message kind {kind!r}.")
    to_email = clean_address(to_email)
    _refuse_newlines("Subject", subject)
    if not subject.strip():
        raise ValidationError("A subject is required.")
    if is_nurture(kind) and not unsubscribe_url:
        raise ValidationError("Nurture mail needs an unsubscribe link (List-Unsubscribe).")
    if unsubscribe_url:
        _refuse_newlines("Unsubscribe link", unsubscribe_url)
        # https in production; development sites (SITE_SCHEME=http) link over http.
        if not unsubscribe_url.startswith(("https://", f"{settings.SITE_SCHEME}://")):
            raise ValidationError("The unsubscribe link must be an https:// URL.")
    attachments = list(attachments)
    for filename, _content, mimetype in attachments:
        _refuse_newlines("Attachment name", filename)
        _refuse_newlines("Attachment type", mimetype)
    message = Message(
        send_key=send_key,
        kind=kind,
        topic=topic or (kind if is_nurture(kind) else ""),
        to_email=to_email,
        subject=subject.strip(),
        html=html,
        text=text,
        candidate=candidate,
        send_after=send_after,
        unsubscribe_url=unsubscribe_url or "",
        headers=message_headers(
            send_key=send_key,
            unsubscribe_url=unsubscribe_url,
            extra=headers,
            schema=schema,
            domain=domain,
        ),
    )
    return message, attachments


def message_enqueue(
    *,
    send_key: str,
    kind: str,
    to_email: str,
    subject: str,
    html: str,
    text: str,
    candidate: Any = None,
    topic: str = "",
    attachments: Iterable[tuple[str, bytes, str]] = (),
    send_after: datetime | None = None,
    headers: dict[str, str] | None = None,
    unsubscribe_url: str | None = None,
) -> Message:
    """Write a message to the outbox (inside the caller's transaction) and dispatch on commit.

    The same `send_key` returns the message already written for it: a retried business action
    can never produce a second email.
    """
    message, attachments = _validated(
        send_key=send_key,
        kind=kind,
        to_email=to_email,
        subject=subject,
        html=html,
        text=text,
        candidate=candidate,
        topic=topic,
        send_after=send_after,
        headers=headers,
        unsubscribe_url=unsubscribe_url,
        attachments=attachments,
    )
    # Everything is validated before the first write; one savepoint keeps a concurrent
    # duplicate from breaking the caller's transaction.
    try:
        with transaction.atomic():
            message.save(force_insert=True)
            if attachments:
                MessageAttachment.objects.bulk_create(
                    MessageAttachment(message=message, filename=f, content=c, mimetype=m)
                    for f, c, m in attachments
                )
    except IntegrityError:
        # Written before (a retried business action) or by a concurrent transaction.
        existing = Message.objects.filter(send_key=send_key).first()
        if existing is None:
            raise
        return existing
    dispatch_on_commit()
    return message


def _insert_ignoring_duplicates(messages: list[Message]) -> dict[str, int]:
    """INSERT … SELECT FROM unnest(arrays) ON CONFLICT (send_key) DO NOTHING RETURNING id,
    send_key: {send_key: id} of the rows this statement wrote (a key already in the outbox, or
    written by a concurrent transaction that committed meanwhile, is skipped without an error).

    One array parameter per column that differs between the messages (one value for the
    others), sent in binary by `tenants.db.rows_insert`: Django's client-side binding quoted
    every rendered body into one multi-megabyte statement, a quarter of queueing a nurture
    batch."""
    columns: dict[str, Column] = {}
    for f in Message._meta.concrete_fields:
        if f.primary_key:
            continue
        values = [f.pre_save(m, add=True) for m in messages]
        # Without the length: an explicit cast to varchar(n) would truncate silently where the
        # INSERT's own assignment raises.
        sql_type = f.db_type(connection)
        assert sql_type is not None  # every concrete column of Message has a database type
        sql_type = "text" if sql_type.startswith("varchar") else sql_type
        first = values[0]
        if sql_type == "jsonb":
            prepared = values  # rows_insert encodes a JSON column once for all rows
        elif isinstance(f, (models.CharField, models.TextField)) and all(
            type(v) is str for v in values
        ):
            prepared = values  # what get_db_prep_save returns for a str; the bodies are most
        else:
            prepared = [f.get_db_prep_save(v, connection) for v in values]
        column = f.column
        assert column is not None  # concrete fields have a column
        # send_key differs between the messages (they are deduplicated): one array at least.
        if f.attname != "send_key" and all(v == first for v in values):
            columns[column] = Same(sql_type, prepared[0])
        else:
            columns[column] = Each(sql_type, prepared)
    inserted = rows_insert(
        Message._meta.db_table,
        columns,
        on_conflict="(send_key) DO NOTHING",
        returning="id, send_key",
    )
    return {key: pk for pk, key in inserted}


# Rows per INSERT: big enough to amortise the round trip, small enough for one statement's
# memory with rendered HTML bodies (the parameters are one array per column, whatever the count).
ENQUEUE_BATCH = 500


def message_enqueue_many(*, emails: Sequence[OutgoingEmail]) -> list[Message]:
    """`message_enqueue` for many messages at once (bulk rejection, nurture digests), inside the
    caller's transaction: every message is validated first (a ValidationError writes nothing),
    then one INSERT … ON CONFLICT (send_key) DO NOTHING per batch. Returns the outbox rows in the
    order given; a send key already written (or repeated in `emails`) returns the existing row,
    as `message_enqueue` does. The dispatcher is kicked once, after commit."""
    schema, domain = current_schema(), sender_domain()
    prepared = [
        _validated(
            schema=schema,
            domain=domain,
            send_key=e.send_key,
            kind=e.kind,
            to_email=e.to_email,
            subject=e.subject,
            html=e.html,
            text=e.text,
            candidate=e.candidate,
            topic=e.topic,
            send_after=e.send_after,
            headers=e.headers,
            unsubscribe_url=e.unsubscribe_url,
            attachments=e.attachments,
        )
        for e in emails
    ]
    unique: dict[str, tuple[Message, list[tuple[str, bytes, str]]]] = {}
    for message, attachments in prepared:
        unique.setdefault(message.send_key, (message, attachments))
    pending = [m for m, _ in unique.values()]
    written: dict[str, int] = {}
    for start in range(0, len(pending), ENQUEUE_BATCH):
        written |= _insert_ignoring_duplicates(pending[start : start + ENQUEUE_BATCH])
    for key, pk in written.items():
        unique[key][0].pk = pk
        unique[key][0]._state.adding = False
    MessageAttachment.objects.bulk_create(
        MessageAttachment(message=message, filename=f, content=c, mimetype=m)
        for key, (message, attachments) in unique.items()
        if key in written
        for f, c, m in attachments
    )
    existing_keys = [key for key in unique if key not in written]
    existing = Message.objects.in_bulk(existing_keys, field_name="send_key")
    missing = [key for key in existing_keys if key not in existing]
    if missing:
        raise IntegrityError(f"Outbox rows for {missing[:3]} were neither written nor found.")
    if written:
        dispatch_on_commit()
    return [
        unique[m.send_key][0] if m.send_key in written else existing[m.send_key]
        for m, _ in prepared
    ]


@transaction.atomic
def message_cancel(*, message: Message) -> bool:
    """Cancel a message that has not left yet; True if it was cancelled."""
    updated = Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED, updated_at=timezone.now()
    )
    message.refresh_from_db(fields=["status", "updated_at"])
    return bool(updated)


@transaction.atomic
def message_send_now(*, message: Message, actor: User | None) -> bool:
    """Send a scheduled message now instead of at its `send_after`: the message stays the
    same outbox row (same send key, so still exactly once), only its time moves to now, and a
    dispatcher run is kicked after commit. False if it is no longer waiting (sent, cancelled or
    already due)."""
    now = timezone.now()
    updated = Message.objects.filter(
        pk=message.pk, status=MessageStatus.QUEUED, send_after__gt=now
    ).update(send_after=now, updated_at=now)
    message.refresh_from_db(fields=["status", "send_after", "updated_at"])
    if updated:
        audit_log_record(
            actor=actor,
            action="mailing.message_send_now",
            target=f"#{message.pk}",
            details={"message": message.pk, "kind": message.kind},
        )
        dispatch_on_commit()
    return bool(updated)


def suppression_add(*, email: str, reason: str, source: str = "") -> bool:
    """Add an address (stored hashed) to the suppression list; True if it was new."""
    _, created = Suppression.objects.get_or_create(
        email_hash=email_hash(email), defaults={"reason": reason, "source": source[:120]}
    )
    return created


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email_hash=email_hash(email)).exists()


def suppression_reason(email: str) -> StrOrPromise | None:
    row = Suppression.objects.filter(email_hash=email_hash(email)).first()
    return SuppressionReason(row.reason).label if row else None


# --- Templates HR admins edit -------------------------------------------------------------------


def email_template_validate(*, key: str, subject: str, body: str) -> None:
    kind = get_template_kind(key)
    errors: list[str] = []
    for label, source in ((_("Subject"), subject), (_("Body"), body)):
        try:
            validate_merge_tags(source, kind.allowed_tags)
        except ValidationError as exc:
            errors += [f"{label}: {m}" for m in exc.messages]
    if "\n" in subject or "\r" in subject:
        errors.append(_("Subject: must be a single line."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def email_template_save(
    *, key: str, language: str, subject: str, body: str, actor: User | None
) -> EmailTemplate:
    """Save an HR-edited template after validating its merge tags (ValidationError names the
    unknown or malformed ones)."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(f"Unknown language {language!r}.")
    email_template_validate(key=key, subject=subject, body=body)
    template, _ = EmailTemplate.objects.update_or_create(
        key=key,
        language=language,
        defaults={"subject": subject.strip(), "body": body, "updated_by": actor},
    )
    return template


def email_template_source(*, key: str, language: str | None = None) -> tuple[str, str, str]:
    """(subject, body, language used). The language is the first of `language` → the tenant's
    default → English (tenants.i18n.pick_language) that has a text: the tenant's edited one,
    else the built-in one. Built-in texts exist in every language we ship, so in practice the
    email is always in `language`: HR's words when they wrote them, ours otherwise."""
    kind = get_template_kind(key)
    edited = {row.language: row for row in EmailTemplate.objects.filter(key=key)}
    lang = pick_language([*edited, *kind.builtin_languages()], language)
    if lang in edited:
        return edited[lang].subject, edited[lang].body, lang
    builtin = kind.builtin(lang or settings.LANGUAGE_CODE)
    if builtin is None:
        return kind.default_subject, kind.default_body, settings.LANGUAGE_CODE
    return builtin[0], builtin[1], lang or settings.LANGUAGE_CODE


def email_template_render(
    *,
    key: str,
    context: dict[str, Any],
    language: str | None = None,
    unsubscribe_url: str | None = None,
    preferences_url: str | None = None,
) -> RenderedEmail:
    kind = get_template_kind(key)
    subject, body, used = email_template_source(key=key, language=language)
    tenant = current_tenant_or_none()
    values = {"company_name": tenant.from_name if tenant is not None else ""} | dict(context)
    return render_email(
        subject_source=subject,
        body_source=body,
        context=values,
        allowed_tags=kind.allowed_tags,
        unsubscribe_url=unsubscribe_url,
        preferences_url=preferences_url,
        language=used,
    )


def email_template_send_test(
    *, key: str, language: str, subject: str, body: str, actor: User
) -> Message:
    """Send the (possibly unsaved) template on sample data to the signed-in user, through the
    outbox as transactional mail."""
    email_template_validate(key=key, subject=subject, body=body)
    kind = get_template_kind(key)
    rendered = render_email(
        subject_source=subject,
        body_source=body,
        context=kind.sample,
        allowed_tags=kind.allowed_tags,
        language=language,
    )
    return message_enqueue(
        send_key=f"template-test:{key}:{language}:{actor.pk}:{timezone.now().timestamp()}",
        kind=MessageKind.TRANSACTIONAL,
        to_email=actor.email,
        subject=f"[Test] {rendered.subject}",
        html=rendered.html,
        text=rendered.text,
    )
