"""Signed one-step re-apply links for job-offer emails (campaigns puts them in mails).

The token carries the tenant schema: a link from tenant A's email is refused on tenant B's host
even if the ids happen to exist there. Tokens expire (REAPPLY_MAX_AGE).
"""

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

REAPPLY_SALT = "candidates.reapply"
REAPPLY_MAX_AGE = 60 * 24 * 3600


class LinkError(Exception):
    """The link cannot be used; the message (`args[0]`, translated lazily: shown in the
    reader's language) is shown to the candidate."""


@dataclass
class Reapply:
    candidate: Candidate
    position: Position


def reapply_token(candidate: Candidate, position: Position) -> str:
    payload = {"s": current_schema(), "c": candidate.pk, "p": position.pk}
    return bulk_signing.dumps(payload, salt=REAPPLY_SALT)


def reapply_url_builder() -> Callable[[Candidate, Position], str]:
    """`reapply_url` for the current tenant with the schema and the view's URL resolved once: a
    batch of job digests signs thousands of these links."""
    url = tenant_signed_url_builder("candidates:reapply", REAPPLY_SALT)
    return lambda candidate, position: url({"c": candidate.pk, "p": position.pk})


def reapply_url(candidate: Candidate, position: Position) -> str:
    return reapply_url_builder()(candidate, position)


def reapply_load(token: str) -> Reapply:
    try:
        payload = signing.loads(token, salt=REAPPLY_SALT, max_age=REAPPLY_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkError(
            _("This link has expired. You can still apply from the job page.")
        ) from None
    except signing.BadSignature:
        raise LinkError(_("This link is not valid.")) from None
    if payload.get("s") != current_schema():
        raise LinkError(_("This link is not valid on this site."))
    candidate = (
        Candidate.objects.active().filter(pk=payload.get("c")).first()
        or Candidate.objects.filter(pk=payload.get("c"), merged_into__isnull=False)
        .select_related("merged_into")
        .first()
    )
    if candidate is not None and candidate.merged_into_id:
        candidate = candidate.merged_into
    position = Position.objects.filter(pk=payload.get("p")).first()
    if candidate is None or position is None:
        raise LinkError(_("This link is no longer valid."))
    if position.status != PositionStatus.OPEN:
        raise LinkError(
            lazy_format(_("“%(title)s” is no longer open for applications."), title=position.title)
        )
    return Reapply(candidate=candidate, position=position)
