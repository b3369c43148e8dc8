""" "Share with a friend" links in job-offer emails. The signed token names the tenant, the
candidate who shared (the ambassador) and the position; the landing page lets the friend apply
and records the ambassador as `Candidate.referred_by`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core import signing
from django.utils.translation import gettext_lazy as _

from candidates.models import Candidate, Position, PositionStatus
from tenants import signing as bulk_signing
from tenants.context import current_schema
from tenants.i18n import lazy_format
from tenants.links import tenant_signed_url_builder

REFERRAL_SALT = "campaigns.referral"
# Forwarded emails live long; a friend may open one months later.
REFERRAL_MAX_AGE = 180 * 24 * 3600


class ReferralError(Exception):
    """The link cannot be used; the message (`args[0]`, translated lazily) is shown to the
    visitor in their language."""


@dataclass(frozen=True)
class Referral:
    referrer: Candidate
    position: Position


def share_token(candidate: Candidate, position: Position) -> str:
    payload = {"s": current_schema(), "c": candidate.pk, "p": position.pk}
    return bulk_signing.dumps(payload, salt=REFERRAL_SALT)


def share_url_builder() -> Callable[[Candidate, Position], str]:
    """`share_url` for the current tenant with the schema and the view's URL resolved once (a
    batch of job digests signs thousands of these links)."""
    url = tenant_signed_url_builder("campaigns:referral", REFERRAL_SALT)
    return lambda candidate, position: url({"c": candidate.pk, "p": position.pk})


def share_url(candidate: Candidate, position: Position) -> str:
    return share_url_builder()(candidate, position)


def referral_load(token: str) -> Referral:
    try:
        payload = signing.loads(token, salt=REFERRAL_SALT, max_age=REFERRAL_MAX_AGE)
    except signing.SignatureExpired:
        raise ReferralError(
            _("This link has expired; the job may still be open on our site.")
        ) from None
    except signing.BadSignature:
        raise ReferralError(_("This link is not valid.")) from None
    if not isinstance(payload, dict) or payload.get("s") != current_schema():
        raise ReferralError(_("This link is not valid on this site."))
    referrer_id, position_id = payload.get("c"), payload.get("p")
    referrer = (
        Candidate.objects.active().filter(pk=referrer_id).first()
        if referrer_id is not None
        else None
    )
    position = Position.objects.filter(pk=position_id).first() if position_id is not None else None
    if referrer is None or position is None:
        raise ReferralError(_("This link is no longer valid."))
    if position.status != PositionStatus.OPEN:
        raise ReferralError(
            lazy_format(_("“%(title)s” is no longer open for applications."), title=position.title)
        )
    return Referral(referrer=referrer, position=position)
