"""The outbox side of staff mail (accounts.staffmail): a staff email becomes a transactional
`Message`, rendered in the tenant's branded layout (HTML and text) in the recipient's language,
so it leaves with the tenant's sender identity and gets the outbox's retries and rate limits."""

from __future__ import annotations

from accounts.staffmail import StaffEmail
from mailing.kinds import MessageKind
from mailing.rendering import render_email
from mailing.services import message_enqueue
from tenants.context import current_tenant_or_none
from tenants.i18n import localised, tenant_zone


def staff_email_enqueue(email: StaffEmail) -> None:
    with localised(language=email.language, zone=tenant_zone()):
        rendered = render_email(
            subject_source=email.subject,
            body_source=email.body,
            context=email.context,
            allowed_tags=tuple(email.context),
            tenant=current_tenant_or_none(),
            language=email.language,
        )
    message_enqueue(
        send_key=email.send_key,
        kind=MessageKind.TRANSACTIONAL,
        to_email=email.to_email,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
    )
