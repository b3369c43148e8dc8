"""Sending rate limits: a token bucket per tenant and one for the whole platform, in Redis so
that every worker process on every machine shares them. (Celery's `rate_limit` is per worker
process and counts tasks, not messages, and knows nothing of tenants.)

A rate of 0 means unlimited.
"""

from __future__ import annotations

import time
from functools import cache

import redis
from django.conf import settings

# Take up to ARGV[1] tokens from the bucket at KEYS[1] (rate ARGV[2]/s, capacity ARGV[3]);
# returns the number taken. Refill is computed from the elapsed time, atomically.
_TAKE = """
local want = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local take = math.min(want, math.floor(tokens))
tokens = tokens - take
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return take
"""


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def _take(key: str, want: int, rate: float) -> int:
    if rate <= 0 or want <= 0:
        return want
    capacity = max(rate * settings.MAILING_RATE_BURST_SECONDS, 1)
    script = _client().register_script(_TAKE)
    return int(script(keys=[key], args=[want, rate, capacity, time.time()]))


def _give_back(key: str, count: int, rate: float) -> None:
    if rate > 0 and count > 0:
        _client().hincrbyfloat(key, "tokens", count)


def acquire(schema: str, want: int) -> tuple[int, float]:
    """(tokens granted, seconds to wait before asking again if none were granted)."""
    tenant_rate = float(settings.MAILING_RATE_PER_TENANT)
    global_rate = float(settings.MAILING_RATE_GLOBAL)
    tenant_key = f"mailing:rate:tenant:{schema}"
    granted = _take(tenant_key, want, tenant_rate)
    if granted:
        global_granted = _take("mailing:rate:global", granted, global_rate)
        _give_back(tenant_key, granted - global_granted, tenant_rate)
        granted = global_granted
    if granted:
        return granted, 0.0
    slowest = min(r for r in (tenant_rate, global_rate) if r > 0)
    return 0, 1.0 / slowest


def refund(schema: str, count: int) -> None:
    _give_back(f"mailing:rate:tenant:{schema}", count, float(settings.MAILING_RATE_PER_TENANT))
    _give_back("mailing:rate:global", count, float(settings.MAILING_RATE_GLOBAL))
