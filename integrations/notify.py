"""Emails to staff (HR admins, recruiters) about integration events, through mailing's outbox as
transactional mail: a reply came in, a webhook was disabled. Values are merge tags, escaped by
mailing's renderer (a webhook URL or a reply's subject is never markup)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accounts.models import User
from mailing.kinds import MessageKind
from mailing.rendering import render_email
from mailing.services import OutgoingEmail, message_enqueue_many
from tenants.context import current_tenant_or_none


def staff_notify(
    *,
    key: str,
    recipients: Iterable[User],
    subject: str,
    body: str,
    context: dict[str, Any],
) -> int:
    """Queue one email per recipient (send key `<key>:<user id>`: never twice); returns how many."""
    rendered = render_email(
        subject_source=subject,
        body_source=body,
        context=context,
        allowed_tags=tuple(context),
        tenant=current_tenant_or_none(),
    )
    emails = [
        OutgoingEmail(
            send_key=f"integrations:{key}:{user.pk}"[:200],
            kind=MessageKind.TRANSACTIONAL,
            to_email=user.email,
            subject=rendered.subject,
            html=rendered.html,
            text=rendered.text,
        )
        for user in recipients
        if user.email
    ]
    if emails:
        message_enqueue_many(emails=emails)
    return len(emails)
