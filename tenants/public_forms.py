"""Protection for every public form (no login: registration, newsletter, apply, referral): a
honeypot field, a signed time stamp, and limits per client address and per email address
counted in the cache. One implementation, used by each app's public form.

- The honeypot (`website`) is hidden from people by CSS and aria-hidden; bots fill every field.
- The stamp is the signed time the form was served: a form posted back sooner than a person
  could fill it, or a day later, is asked to be sent again; a forged one is a bot.
- The limits count submissions in the cache, whose key function prefixes the tenant's schema,
  so a tenant's visitors never use up another tenant's allowance. Email addresses are counted
  by their SHA-256, so the cache never holds an address.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django import forms
from django.core import signing
from django.core.cache import cache
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The salt of the first form that had a stamp (registration): forms already open keep working.
FORM_STAMP_SALT = "consent.form-stamp"
MIN_FILL_SECONDS = 3
MAX_FORM_AGE = 24 * 3600
HOUR = 3600
DAY = 24 * 3600


class RateLimited(Exception):
    """Too many submissions; the message (translated) asks to try again later."""


def form_stamp() -> str:
    return signing.dumps(int(time.time()), salt=FORM_STAMP_SALT)


def _count(key: str, window: int) -> int:
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def submission_limit(
    *, form: str, ip: str | None, email: str, per_ip_per_hour: int, per_email_per_day: int
) -> None:
    """Count one submission of `form`; raise RateLimited past either limit. Nobody's inbox or
    candidate record can be flooded from one network, nor one address from many."""
    if _count(f"public-form:{form}:ip:{ip or 'unknown'}", HOUR) > per_ip_per_hour:
        raise RateLimited(
            gettext("Too many submissions from your network. Please try again in an hour.")
        )
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    if _count(f"public-form:{form}:email:{digest}", DAY) > per_email_per_day:
        raise RateLimited(
            gettext("This email address was used too often today. Please try again tomorrow.")
        )


class GuardedForm(forms.Form):
    """A public form with the honeypot and the stamp; call `bot_reason()` before acting."""

    website = forms.CharField(required=False, label="Leave this empty")
    stamp = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stamp"].initial = form_stamp()

    def bot_reason(self) -> str | None:
        """ "honeypot" or "stamp" (a bot: answer as if it worked and keep nothing),
        "too_fast" or "stale" (perhaps a person: ask to send again), None (looks human)."""
        if self.data.get("website"):
            return "honeypot"
        try:
            issued = signing.loads(self.data.get("stamp", ""), salt=FORM_STAMP_SALT)
        except signing.BadSignature:
            return "stamp"
        age = time.time() - int(issued)
        if age < MIN_FILL_SECONDS:
            return "too_fast"
        if age > MAX_FORM_AGE:
            return "stale"
        return None

    def check_human(self) -> bool:
        """False for a bot. A person who was too quick or too slow gets a form error and a
        fresh stamp, and the form is then invalid."""
        reason = self.bot_reason()
        if reason in ("honeypot", "stamp"):
            return False
        if reason == "too_fast":
            self.add_error(None, _("That was quick! Please check your details and send again."))
        elif reason == "stale":
            self.add_error(None, _("This form was open for too long. Please send it again."))
        if reason:
            fresh = QueryDict(mutable=True)
            fresh.update(self.data)
            fresh["stamp"] = form_stamp()
            self.data = fresh
        return True
