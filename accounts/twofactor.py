"""Two-factor sign-in: authenticator apps (TOTP), recovery codes and passkeys, on django-otp.

Why django-otp (with django-otp-webauthn for passkeys) and not django-allauth's MFA: allauth's
MFA only runs inside allauth's own login flow, which would replace our login, password reset and
lockout; django-otp adds devices to Django's plain auth, so the sign-in flow stays ours. Its
devices throttle wrong codes (each failure doubles the wait) and a TOTP code is accepted once.

Recovery codes are django-otp static tokens, stored as a keyed hash (the code itself is shown
once and never stored); a code works once. Passkeys are accounts.passkeys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import User
from accounts.selectors import signin_policy_get
from accounts.services import AccountError, audit_log_record
from tenants.context import current_schema

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_TOTP_CODE = re.compile(r"^\d{6}$")


def has_second_factor(user: User) -> bool:
    """Whether the user can pass the second step: an authenticator app or a passkey (recovery
    codes alone do not count: they are the way back, not a factor to live with)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def users_with_second_factor(users: list[User]) -> set[int]:
    """Ids of those users who have an authenticator app or a passkey (two queries)."""
    ids = [u.pk for u in users]
    return set(
        TOTPDevice.objects.filter(user_id__in=ids, confirmed=True).values_list("user_id", flat=True)
    ) | set(
        WebAuthnCredential.objects.filter(user_id__in=ids, confirmed=True).values_list(
            "user_id", flat=True
        )
    )


def has_passkey(user: User) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def totp_device_for(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _recovery_hash(code: str) -> str:
    """The stored form of a recovery code (StaticToken.token holds 16 characters)."""
    normalised = re.sub(r"[\s-]", "", code.strip().lower())
    key = f"{settings.SECRET_KEY}:recovery:{current_schema()}".encode()
    digest = hmac.new(key, normalised.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:16].lower()


class CodeRefused(Exception):
    """A second-factor code was refused; the message says why (wrong, or wait)."""


def _throttled(device: Device) -> str | None:
    """django-otp doubles the wait after each wrong code; say so rather than "wrong code"."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    wait = (info or {}).get("locked_until")
    seconds = max(1, math.ceil((wait - timezone.now()).total_seconds())) if wait else 1
    return ngettext(
        "Too many wrong codes. Wait %(n)d second and try again.",
        "Too many wrong codes. Wait %(n)d seconds and try again.",
        seconds,
    ) % {"n": seconds}


# --- Authenticator app ---------------------------------------------------------------------------


def totp_setup_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for the user (any earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_provisioning_uri(device: TOTPDevice, *, issuer: str) -> str:
    """The otpauth:// URI authenticator apps read from the QR code."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    label = quote(f"{issuer}:{device.user.email}")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "digits": device.digits, "period": device.step}
    )
    return f"otpauth://totp/{label}?{query}"


def totp_secret_display(device: TOTPDevice) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(data: str) -> str:
    """An inline SVG QR code (no style attributes, so it needs no CSP exception)."""
    return segno.make(data, error="m").svg_inline(scale=5, border=2, omitsize=True)


def totp_setup_confirm(*, user: User, device_id: int, code: str) -> list[str]:
    """Confirm a new authenticator with a code it shows. Replaces the user's previous one.

    Returns fresh recovery codes when the user has none left (shown once), else an empty list;
    raises CodeRefused for a wrong code (after committing the throttle's count of it)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(pk=device_id, user=user, confirmed=False)
            .first()
        )
        if device is None:
            raise AccountError(_("This setup has expired; start again."))
        refusal = _throttled(device)
        if refusal is None and not (
            _TOTP_CODE.match(code.strip()) and device.verify_token(code.strip())
        ):
            refusal = _("That code is not valid. Check the time on your phone.")
        if refusal is None:
            first = not has_second_factor(user)
            TOTPDevice.objects.filter(user=user, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_log_record(actor=user, action="two_factor.app_added", target=user.email)
            if first or recovery_codes_left(user) == 0:
                return recovery_codes_generate(user=user)
            return []
    raise CodeRefused(refusal)


@transaction.atomic
def recovery_codes_generate(*, user: User) -> list[str]:
    """New recovery codes, replacing any old ones; the plain codes are returned once only."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=_recovery_hash(code)) for code in codes
    )
    audit_log_record(actor=user, action="two_factor.recovery_codes_created", target=user.email)
    return codes


def second_factor_verify(*, user: User, code: str) -> Device:
    """Check an authenticator code or a recovery code; returns the device that accepted it.

    Devices lock their rows while checking, so two requests cannot both use one code; a wrong
    code is refused after the transaction commits, so the throttle keeps its count."""
    code = code.strip()
    refusal = _("That code is not valid. Check your authenticator app and try again.")
    with transaction.atomic():
        devices: list[Device]
        if _TOTP_CODE.match(code):
            devices = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
            token = code
        else:
            devices = list(
                StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
            )
            token = _recovery_hash(code)
        for device in devices:
            throttled = _throttled(device)
            if throttled:
                refusal = throttled
                break
            if device.verify_token(token):
                if isinstance(device, StaticDevice):
                    audit_log_record(
                        actor=user,
                        action="two_factor.recovery_code_used",
                        target=user.email,
                        details={"left": recovery_codes_left(user)},
                    )
                return device
    raise CodeRefused(refusal)


@transaction.atomic
def two_factor_remove(*, actor: User, user: User) -> None:
    """Remove every second factor of a user: by themselves (not when the tenant requires two
    factors) or by an HR admin for someone who lost their phone and their codes."""
    if actor.pk == user.pk and signin_policy_get().require_two_factor:
        raise AccountError(
            _("Your company requires two-factor sign-in: set up a new authenticator instead.")
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    action = "two_factor.removed" if actor.pk == user.pk else "two_factor.reset"
    audit_log_record(actor=actor, action=action, target=user.email)
