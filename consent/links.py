"""Signed links for candidates: opt-in, preference centre, unsubscribe, data-request and
registration confirmations.

A token is `django.core.signing.dumps` of {tenant schema, candidate id, the candidate's link key,
extras} with one salt per purpose, so a token for one page never opens another (made by
`tenants.signing.dumps`, which gives the same tokens cheaper). The schema binds it to the tenant
(refused on any other host); the link key lets erasure or a rotation invalidate every link
already sent; the timestamp makes it expire.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core import signing

from candidates.models import Candidate
from tenants import signing as bulk_signing
from tenants.context import current_schema
from tenants.links import tenant_token_url_builder

DAY = 24 * 3600


@dataclass(frozen=True)
class LinkKind:
    salt: str
    max_age: int  # seconds


OPTIN = LinkKind("consent.optin", 120 * DAY)
PREFERENCES = LinkKind("consent.preferences", 400 * DAY)
# Unsubscribe links live in old emails for a long time; they must keep working.
UNSUBSCRIBE = LinkKind("consent.unsubscribe", 3 * 365 * DAY)
REQUEST_CONFIRM = LinkKind("consent.request", 7 * DAY)
REGISTRATION_CONFIRM = LinkKind("consent.registration", 7 * DAY)
DOWNLOAD = LinkKind("consent.download", 7 * DAY)


class LinkError(Exception):
    """A link that cannot be honoured. `reason` picks the page shown: invalid, expired,
    other_tenant or revoked. `candidate` is set when the link was genuine but expired, so the
    page can offer to email a fresh one."""

    def __init__(
        self,
        reason: str,
        candidate: Candidate | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.candidate = candidate
        self.extra = extra or {}


@dataclass
class LinkData:
    candidate: Candidate | None
    extra: dict[str, Any] = field(default_factory=dict)


def _link_key(candidate: Candidate) -> str:
    from consent.services import profile_ensure

    return profile_ensure(candidate=candidate).link_key


def links_prepare(candidates: Sequence[Candidate]) -> None:
    """Before signing links for many candidates: create the missing link keys (consent
    profiles) in one statement instead of one savepoint and insert per person."""
    from consent.services import profiles_ensure

    profiles_ensure(candidates=candidates)


def _signed(schema: str, kind: LinkKind, candidate: Candidate | None, extra: dict[str, Any]) -> str:
    payload: dict[str, Any] = {"t": schema, **extra}
    if candidate is not None:
        payload["c"] = candidate.pk
        payload["k"] = _link_key(candidate)
    return bulk_signing.dumps(payload, salt=kind.salt)


def sign(kind: LinkKind, *, candidate: Candidate | None, **extra: Any) -> str:
    return _signed(current_schema(), kind, candidate, extra)


def read(kind: LinkKind, token: str) -> LinkData:
    """Check a token for this tenant; raise LinkError with a reason the page can explain."""
    try:
        payload = signing.loads(token, salt=kind.salt, max_age=timedelta(seconds=kind.max_age))
        expired = False
    except signing.SignatureExpired:
        payload = signing.loads(token, salt=kind.salt)
        expired = True
    except signing.BadSignature:
        raise LinkError("invalid") from None
    if not isinstance(payload, dict) or payload.get("t") != current_schema():
        raise LinkError("other_tenant" if isinstance(payload, dict) else "invalid")
    extra = {k: v for k, v in payload.items() if k not in ("t", "c", "k")}
    candidate = None
    if "c" in payload:
        candidate = (
            Candidate.objects.filter(
                pk=payload["c"],
                consent_profile__link_key=payload.get("k"),
                anonymised_at__isnull=True,
            )
            .select_related("consent_profile")
            .first()
        )
        if candidate is None:
            raise LinkError("revoked")
        if candidate.merged_into_id:
            # A merged duplicate forwards to the record that was kept.
            candidate = Candidate.objects.select_related("consent_profile").get(
                pk=candidate.merged_into_id
            )
    if expired:
        raise LinkError("expired", candidate=candidate, extra=extra)
    return LinkData(candidate=candidate, extra=extra)


class CandidateLinks:
    """The candidate links below for many people in the current tenant (a batch of digests):
    the schema, the host and each view's URL are resolved once, so a link costs one HMAC and a
    concatenation instead of a dozen context-local lookups."""

    def __init__(self) -> None:
        self._schema = current_schema()

    @functools.cached_property
    def _optin(self) -> Callable[[str], str]:
        return tenant_token_url_builder("consent:optin")

    @functools.cached_property
    def _preferences(self) -> Callable[[str], str]:
        return tenant_token_url_builder("consent:preferences")

    @functools.cached_property
    def _unsubscribe(self) -> Callable[[str], str]:
        return tenant_token_url_builder("consent:unsubscribe")

    def optin(self, candidate: Candidate, *, source: str) -> str:
        return self._optin(_signed(self._schema, OPTIN, candidate, {"s": source[:40]}))

    def preferences(self, candidate: Candidate) -> str:
        return self._preferences(_signed(self._schema, PREFERENCES, candidate, {}))

    def unsubscribe(self, candidate: Candidate, topic: str | None = None) -> str:
        extra = {"o": topic} if topic else {}
        return self._unsubscribe(_signed(self._schema, UNSUBSCRIBE, candidate, extra))


def optin_url(candidate: Candidate, *, source: str) -> str:
    """Link for the rejection email: one page to join the talent pool with chosen topics."""
    return CandidateLinks().optin(candidate, source=source)


def preferences_url(candidate: Candidate) -> str:
    return CandidateLinks().preferences(candidate)


def unsubscribe_url(candidate: Candidate, topic: str | None = None) -> str:
    """Target of List-Unsubscribe (RFC 8058 one-click POST) and of the visible link. Without a
    topic it unsubscribes from everything."""
    return CandidateLinks().unsubscribe(candidate, topic)
