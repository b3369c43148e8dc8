"""API keys: created by HR admins (or an operator's command), shown once, stored as a hash,
recognised by their visible prefix, scoped, revocable; and the per-key rate limit.

A key is `tcrm_` + 43 url-safe characters (256 random bits). The first 12 characters are its
prefix (stored, unique, shown in lists); SHA-256 of the whole key is what is compared. Keys live
in the tenant's schema, so a key presented on another tenant's host is simply unknown there.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_log_record
from integrations.models import ApiKey, ApiScope
from tenants.context import current_schema

log = logging.getLogger(__name__)

KEY_PREFIX = "tcrm_"
PREFIX_LENGTH = 12
# last_used_at is written at most this often per key (not on every request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(Exception):
    """An API key action was refused; the message is shown to the user."""


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the full key: shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scopes_clean(scopes: Iterable[str]) -> list[str]:
    wanted = [s.strip().lower() for s in scopes if s.strip()]
    unknown = sorted(set(wanted) - set(ApiScope.values))
    if unknown:
        raise ApiKeyError(
            f"Unknown scope {', '.join(unknown)}; choose from {', '.join(ApiScope.values)}."
        )
    if not wanted:
        raise ApiKeyError(_("Choose at least one scope."))
    return [s for s in ApiScope.values if s in wanted]


@transaction.atomic
def api_key_create(*, name: str, scopes: Iterable[str], actor: User | None) -> CreatedKey:
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise ApiKeyError(_("Give the key a name of 1 to 100 characters (what uses it)."))
    cleaned = scopes_clean(scopes)
    for _attempt in range(5):
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    name=name,
                    prefix=secret[:PREFIX_LENGTH],
                    key_hash=_hash(secret),
                    scopes=cleaned,
                    created_by=actor if actor and actor.pk else None,
                )
            break
        except IntegrityError:  # a prefix collision: 1 in 2^42, try another key
            continue
    else:
        raise ApiKeyError(_("Could not create a unique key; try again."))
    audit_log_record(
        actor=actor, action="integrations.api_key_create", target=key.prefix, details={"name": name}
    )
    return CreatedKey(key=key, secret=secret)


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: User | None) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.revoked_by = actor if actor and actor.pk else None
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_log_record(actor=actor, action="integrations.api_key_revoke", target=key.prefix)
    return key


class KeyProblem(Exception):
    """Why a presented key is not accepted (the message is safe to show to the caller)."""


def api_key_authenticate(secret: str) -> ApiKey:
    """The active key `secret` is, in the current tenant; raises KeyProblem otherwise."""
    secret = secret.strip()
    if not secret.startswith(KEY_PREFIX) or len(secret) < PREFIX_LENGTH + 8 or len(secret) > 200:
        raise KeyProblem("The API key is malformed.")
    key = ApiKey.objects.filter(prefix=secret[:PREFIX_LENGTH]).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(secret)):
        raise KeyProblem("The API key is not valid for this company's site.")
    if key.revoked_at is not None:
        raise KeyProblem(f"The API key {key.prefix}… was revoked.")
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- Rate limit -----------------------------------------------------------------------------------

# Token bucket: take one token from KEYS[1] (rate ARGV[1]/s, capacity ARGV[2]); returns
# {1, tokens left} or {0, seconds until one token is back (x1000)}.
_TAKE = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local ok = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
if ok == 1 then
  return {1, math.floor(tokens)}
end
return {0, math.ceil((1 - tokens) / rate * 1000)}
"""


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds; 0 when allowed


def rate_limit_take(key: ApiKey) -> RateDecision:
    """One request of `key` against its bucket (API_RATE_LIMIT_PER_MINUTE, shared by every web
    process through Redis; bursts up to API_RATE_LIMIT_BURST)."""
    per_minute = int(settings.API_RATE_LIMIT_PER_MINUTE)
    if per_minute <= 0:
        return RateDecision(True, 0, 0, 0)
    burst = max(int(settings.API_RATE_LIMIT_BURST), 1)
    script = _client().register_script(_TAKE)
    try:
        ok, value = script(
            keys=[f"integrations:api-rate:{current_schema()}:{key.pk}"],
            args=[per_minute / 60.0, burst, time.time()],
        )
    except redis.RedisError:
        # Redis down: serve the request unlimited rather than failing every API call.
        log.warning("rate limit unavailable (Redis); request allowed")
        return RateDecision(True, 0, 0, 0)
    if int(ok):
        return RateDecision(True, per_minute, int(value), 0)
    return RateDecision(False, per_minute, 0, max(1, -(-int(value) // 1000)))
