"""Email to staff (invitations, password resets): composed here, in the recipient's language,
and handed to the outbox that a later app registers (DESIGN §2: accounts may not import
mailing). `mailing` registers its sender in `ready()`; it renders the message in the tenant's
branded layout (HTML and text) and queues it as transactional mail, so it leaves with the
tenant's sender identity, retries and rate limits like every other email.

Contract of the sender: `sender(email: StaffEmail) -> None`, called inside the caller's
transaction; the message leaves after commit, once per `send_key` however often it is called.
Without a registered sender, staff mail is refused (ImproperlyConfigured), never dropped.

Wording: `subject` and `body` are in the recipient's language and may hold merge tags
(`{{ link_url }}`) filled from `context`; values are escaped by the renderer, so a name typed
by a person is never markup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.i18n import staff_language
from accounts.models import Role, User
from tenants.context import current_tenant_or_none


@dataclass(frozen=True)
class StaffEmail:
    send_key: str
    to_email: str
    language: str
    subject: str
    body: str  # Markdown with merge tags
    context: dict[str, str] = field(default_factory=dict)


StaffMailSender = Callable[[StaffEmail], None]
_sender: list[StaffMailSender] = []


def register_staff_mail_sender(sender: StaffMailSender) -> None:
    _sender[:] = [sender]


def staff_mail_send(email: StaffEmail) -> None:
    if not _sender:
        raise ImproperlyConfigured("No staff mail sender is registered (mailing's ready()).")
    _sender[0](email)


def _company() -> str:
    tenant = current_tenant_or_none()
    return tenant.from_name if tenant is not None else ""


def invitation_send(*, user: User, inviter: User | None, link: str) -> None:
    """ "X invited you": the link to choose a password, in the new user's language (the
    company's, since nobody has chosen one for them yet)."""
    language = staff_language(user)
    with translation.override(language):
        inviter_name = inviter.get_full_name() if inviter else _("Your HR team")
        subject = _("You are invited to {{ company_name }}'s talent CRM")
        body = _(
            "Hello,\n\n"
            "{{ inviter }} invited you to {{ company_name }}'s talent CRM as {{ role }}.\n\n"
            "[Choose your password]({{ link_url }})\n\n"
            "The link is valid for 3 hours; after that, ask for a new one on the sign-in page."
        )
        role = str(Role(user.role).label)
    staff_mail_send(
        StaffEmail(
            send_key=f"accounts.invitation:{user.pk}",
            to_email=user.email,
            language=language,
            subject=subject,
            body=body,
            context={
                "company_name": _company(),
                "inviter": inviter_name,
                "role": role,
                "link_url": link,
            },
        )
    )


def password_reset_send(*, user: User, link: str, token: str) -> None:
    """The link to choose a new password, in the person's language."""
    language = staff_language(user)
    with translation.override(language):
        subject = _("Reset your password for {{ company_name }}")
        body = _(
            "Hello,\n\n"
            "Someone asked to reset the password of {{ email }}.\n\n"
            "[Choose a new password]({{ link_url }})\n\n"
            "If it was not you, ignore this email; your password stays the same."
        )
    staff_mail_send(
        StaffEmail(
            send_key=f"accounts.password-reset:{user.pk}:{token}"[:200],
            to_email=user.email,
            language=language,
            subject=subject,
            body=body,
            context={"company_name": _company(), "email": user.email, "link_url": link},
        )
    )
