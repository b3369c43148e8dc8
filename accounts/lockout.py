"""Failed password sign-ins: lock per (account, address), limit per address, slow an account down.

Three rules, all counted over a sliding window of SIGNIN_LOCK_MINUTES in the tenant's schema:

1. An (account, address) pair is locked after SIGNIN_FAILURE_LIMIT failures: the guesser is
   stopped, the same person elsewhere is not.
2. An address is locked after SIGNIN_ADDRESS_LIMIT failures across accounts (password spraying
   from one place). The limit is higher than the pair's because an office shares one address.
3. Past SIGNIN_SLOWDOWN_AFTER failures an account is slowed down, not locked: each further
   attempt must wait a doubling delay after the previous failure, at most
   SIGNIN_SLOWDOWN_MAX_SECONDS. Browsers the person has signed in from before (a signed device
   cookie, set at each sign-in) skip the slow-down and are not counted towards it, so even a
   botnet guessing from thousands of addresses cannot keep a colleague out.

Attempts refused by a rule are not checked and not counted, so hammering a lock never prolongs
it. A locked person gets back in by waiting, by resetting their password (which clears the
account's failures) or by an HR admin's "Unlock sign-in" (`signin_failures_clear`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import ngettext
from ipware.ip import get_client_ip

from accounts.models import SignInFailure
from tenants.context import current_schema

DEVICE_COOKIE = "signin_device"
DEVICE_COOKIE_MAX_AGE = 180 * 24 * 3600
PURGE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused without checking the password, and for how long."""

    rule: str  # "pair" | "address" | "slowdown"
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        if self.rule == "slowdown":
            return ngettext(
                "This account has had many failed sign-in attempts. Please wait %(n)d second "
                "and try again.",
                "This account has had many failed sign-in attempts. Please wait %(n)d seconds "
                "and try again.",
                self.retry_after,
            ) % {"n": self.retry_after}
        minutes = max(1, -(-self.retry_after // 60))
        if self.rule == "address":
            text = ngettext(
                "Too many failed sign-in attempts from your network. Try again in %(n)d minute.",
                "Too many failed sign-in attempts from your network. Try again in %(n)d minutes.",
                minutes,
            )
        else:
            text = ngettext(
                "Too many failed sign-in attempts for this account from your network. Try again "
                "in %(n)d minute, reset your password, or ask an HR admin to unlock your account.",
                "Too many failed sign-in attempts for this account from your network. Try again "
                "in %(n)d minutes, reset your password, or ask an HR admin to unlock your account.",
                minutes,
            )
        return text % {"n": minutes}


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: X-Forwarded-For only behind TRUSTED_PROXY_COUNT proxies."""
    if request is None:
        return None
    ip, _routable = get_client_ip(
        request,
        proxy_count=settings.TRUSTED_PROXY_COUNT or None,
        request_header_order=settings.CLIENT_IP_HEADERS,
    )
    return ip or None


def account_key(email: str) -> str:
    """A keyed hash of the typed address, per tenant: what was typed is never stored."""
    normalised = email.strip().lower().encode()
    key = f"{settings.SECRET_KEY}:signin:{current_schema()}".encode()
    return hmac.new(key, normalised, hashlib.sha256).hexdigest()


def _window_start() -> datetime:
    return timezone.now() - timedelta(minutes=settings.SIGNIN_LOCK_MINUTES)


def _device_salt() -> str:
    return f"accounts.signin_device:{current_schema()}"


def device_trusted(request: HttpRequest, email: str) -> bool:
    """Whether this browser carries our signed cookie from a sign-in to that account."""
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return False
    try:
        accounts = signing.loads(value, salt=_device_salt(), max_age=DEVICE_COOKIE_MAX_AGE)
    except signing.BadSignature:
        return False
    return isinstance(accounts, list) and account_key(email) in accounts


def device_cookie_set(request: HttpRequest, response: HttpResponse, email: str) -> None:
    """Remember that this browser signed in to the account (several accounts per browser)."""
    accounts: list[str] = []
    value = request.COOKIES.get(DEVICE_COOKIE)
    if value:
        try:
            loaded = signing.loads(value, salt=_device_salt(), max_age=DEVICE_COOKIE_MAX_AGE)
            accounts = [a for a in loaded if isinstance(a, str)] if isinstance(loaded, list) else []
        except signing.BadSignature:
            accounts = []
    key = account_key(email)
    accounts = [key, *[a for a in accounts if a != key]][:5]
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(accounts, salt=_device_salt()),
        max_age=DEVICE_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _seconds_until(moment: datetime) -> int:
    return max(1, int((moment - timezone.now()).total_seconds() + 0.999))


def signin_refusal(*, request: HttpRequest, email: str) -> Refusal | None:
    """The rule that refuses this attempt before the password is checked, if any."""
    since = _window_start()
    window = timedelta(minutes=settings.SIGNIN_LOCK_MINUTES)
    ip = client_ip(request) or "0.0.0.0"  # noqa: S104 (a placeholder key, never bound)
    account = account_key(email)
    recent = SignInFailure.objects.filter(at__gte=since)

    pair = list(
        recent.filter(account=account, ip_address=ip)
        .order_by("-at")
        .values_list("at", flat=True)[: settings.SIGNIN_FAILURE_LIMIT]
    )
    if len(pair) >= settings.SIGNIN_FAILURE_LIMIT:
        return Refusal("pair", _seconds_until(pair[-1] + window))

    by_address = list(
        recent.filter(ip_address=ip)
        .order_by("-at")
        .values_list("at", flat=True)[: settings.SIGNIN_ADDRESS_LIMIT]
    )
    if len(by_address) >= settings.SIGNIN_ADDRESS_LIMIT:
        return Refusal("address", _seconds_until(by_address[-1] + window))

    if device_trusted(request, email):
        return None
    untrusted = recent.filter(account=account, trusted_device=False)
    count = untrusted.count()
    if count >= settings.SIGNIN_SLOWDOWN_AFTER:
        last = untrusted.order_by("-at").values_list("at", flat=True).first()
        exponent = min(count - settings.SIGNIN_SLOWDOWN_AFTER, 16)
        delay = min(2**exponent, settings.SIGNIN_SLOWDOWN_MAX_SECONDS)
        allowed_at = last + timedelta(seconds=delay) if last else timezone.now()
        if timezone.now() < allowed_at:
            return Refusal("slowdown", _seconds_until(allowed_at))
    return None


def signin_failure_record(*, request: HttpRequest, email: str) -> None:
    """Count a wrong password (or a wrong second factor) for this account and address."""
    SignInFailure.objects.filter(at__lt=timezone.now() - PURGE_AFTER).delete()
    SignInFailure.objects.create(
        account=account_key(email),
        ip_address=client_ip(request) or "0.0.0.0",  # noqa: S104
        trusted_device=device_trusted(request, email),
    )


def signin_success_record(*, request: HttpRequest, email: str) -> None:
    """A correct password clears this pair's failures (not the account's: the slow-down against
    strangers elsewhere stays until it runs out)."""
    SignInFailure.objects.filter(
        account=account_key(email),
        ip_address=client_ip(request) or "0.0.0.0",  # noqa: S104
    ).delete()


def signin_failures_clear(*, email: str) -> int:
    """Lift every lock and slow-down on an account (HR admin unlock, password reset)."""
    deleted, _ = SignInFailure.objects.filter(account=account_key(email)).delete()
    return deleted


@dataclass(frozen=True)
class LockStatus:
    failures: int
    locked_addresses: tuple[str, ...]


def signin_lock_status(*, emails: list[str]) -> dict[str, LockStatus]:
    """Recent failures per account, with the addresses it is locked from (for HR admins); one
    query for the whole list. Accounts without failures are left out."""
    keys = {account_key(email): email for email in emails}
    rows = SignInFailure.objects.filter(account__in=keys, at__gte=_window_start()).values_list(
        "account", "ip_address"
    )
    per_account: dict[str, dict[str, int]] = {}
    for account, ip in rows:
        by_ip = per_account.setdefault(account, {})
        by_ip[ip] = by_ip.get(ip, 0) + 1
    return {
        keys[account]: LockStatus(
            failures=sum(by_ip.values()),
            locked_addresses=tuple(
                sorted(ip for ip, n in by_ip.items() if n >= settings.SIGNIN_FAILURE_LIMIT)
            ),
        )
        for account, by_ip in per_account.items()
    }
