"""`django.core.signing.dumps` for many small tokens: the same tokens, a fraction of the cost.

A nurture digest signs eight links per person. Django's `dumps` builds a `TimestampSigner` per
call (reading settings), derives the HMAC key with an extra SHA-256 on every call
(`salted_hmac`) and tries zlib on payloads of a few dozen bytes; that was a fifth of rendering a
digest. Here the derived key's HMAC states are kept per (secret, salt) and copied for each
token, and flat payloads of strings and ints are written as JSON without the encoder.

Why HMAC by hand (RFC 2104: two SHA-256 states), not `hmac.new(key).copy()` per token: issue #15
allowed the standard library's `copy()` if it stayed within 10% of this; bench/bench_signing.py
measures both in one process and `copy()` costs 1.11-1.25x per token (its HMAC step 1.7x: a
Python-level wrapper object per copy). tests/tenants/test_signing.py fences it against Django's
signer with a property test (any payload, salt, secret).

Tokens are Django's `TimestampSigner` format (JSON serialiser, same salt, sha256), so
`signing.loads(token, salt=..., max_age=...)` reads them unchanged. They are byte-identical to
`signing.dumps(obj, salt=salt, compress=True)` whenever Django's zlib attempt would not shrink the
payload, which is always the case below COMPRESS_FROM bytes of JSON in practice; shorter payloads
are not compressed at all (`loads` accepts both forms).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import zlib
from typing import Any

from django.conf import settings
from django.core.signing import b62_encode
from django.utils.encoding import force_bytes

# Payloads shorter than this skip the zlib attempt: ids, a schema name and a link key never
# compress by the two bytes Django asks for.
COMPRESS_FROM = 200
_ENCODER = json.JSONEncoder(separators=(",", ":"))
# What the encoder uses for strings with ensure_ascii (the default).
_quote = json.encoder.encode_basestring_ascii
# HMAC state keyed by (secret, salt); a changed SECRET_KEY (rotation, override_settings) gets
# its own entry. A handful of salts exist: the bound only guards against a caller passing
# unbounded salts.
_HMACS: dict[tuple[str | bytes, str], tuple[Any, Any]] = {}
_MAX_HMACS = 256
_stamp: tuple[int, str] = (-1, "")
_DEFAULT_SALT = "django.core.signing.TimestampSigner"


def _hmac_for(secret: str | bytes, salt: str) -> tuple[Any, Any]:
    """The inner and outer SHA-256 states of HMAC (RFC 2104) keyed like
    django.utils.crypto.salted_hmac(salt + "signer", value, secret, algorithm="sha256"); a token
    copies both (hmac.HMAC.copy() costs twice as much)."""
    states = _HMACS.get((secret, salt))
    if states is None:
        key = hashlib.sha256(force_bytes(salt + "signer") + force_bytes(secret)).digest()
        block = key.ljust(hashlib.sha256().block_size, b"\0")
        states = (
            hashlib.sha256(bytes(b ^ 0x36 for b in block)),
            hashlib.sha256(bytes(b ^ 0x5C for b in block)),
        )
        if len(_HMACS) >= _MAX_HMACS:
            _HMACS.clear()
        _HMACS[(secret, salt)] = states
    return states


def _timestamp() -> str:
    global _stamp
    now = int(time.time())
    if _stamp[0] != now:
        _stamp = (now, b62_encode(now))
    return _stamp[1]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(obj: Any) -> str:
    """`json.dumps(obj, separators=(",", ":"))`. Link payloads are flat dicts of str and int;
    those are written directly (the encoder's set-up cost more than the writing)."""
    if type(obj) is dict:
        items = []
        for key, value in obj.items():
            kind = type(value)
            if type(key) is not str or (kind is not str and kind is not int):
                return _ENCODER.encode(obj)
            items.append(
                _quote(key) + ":" + (_quote(value) if kind is str else int.__repr__(value))
            )
        return "{" + ",".join(items) + "}"
    return _ENCODER.encode(obj)


def dumps(obj: Any, *, salt: str, compress: bool = True) -> str:
    """What `django.core.signing.dumps(obj, salt=salt, compress=compress)` returns (with
    SECRET_KEY as the key), for tokens made in bulk."""
    data = _json(obj).encode("latin-1")
    value = None
    if compress and len(data) >= COMPRESS_FROM:
        compressed = zlib.compress(data)
        if len(compressed) < len(data) - 1:
            value = "." + _b64(compressed)
    if value is None:
        value = _b64(data)
    value = f"{value}:{_timestamp()}"
    # Django's Signer salts an empty salt with its own class path.
    inner_state, outer_state = _hmac_for(settings.SECRET_KEY, salt or _DEFAULT_SALT)
    inner = inner_state.copy()
    inner.update(value.encode())
    outer = outer_state.copy()
    outer.update(inner.digest())
    return f"{value}:{_b64(outer.digest())}"
