"""Bulk token signing: the tokens Django's signing.dumps makes, read by signing.loads as before."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core import signing
from django.test import override_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tenants import signing as bulk_signing

PAYLOADS = [
    {"s": "alpha", "c": 12, "p": 875},
    {"t": "alpha", "o": "job_offers", "c": 100000, "k": "14ee22eaba297944c96afdbe5b16c65b"},
    {"t": "beta", "c": 3, "k": "x", "s": "rejection é"},
    [1, 2, "three"],
    {"t": "alpha", "e": 'é "quoted" \\ \n line \u2028 😀', "n": -5},
    {"flag": True, "ratio": 1.5, "none": None, "nested": {"a": [1]}},
    {1: "int key"},
    {},
]


@time_machine.travel(dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_tokens_are_byte_identical_to_django(payload):
    for salt in ("candidates.reapply", "consent.unsubscribe"):
        expected = signing.dumps(payload, salt=salt, compress=True)
        assert bulk_signing.dumps(payload, salt=salt) == expected
        assert bulk_signing.dumps(payload, salt=salt, compress=False) == signing.dumps(
            payload, salt=salt
        )


def test_tokens_are_read_by_signing_loads_and_only_with_their_salt():
    token = bulk_signing.dumps(PAYLOADS[1], salt="consent.preferences")
    assert signing.loads(token, salt="consent.preferences", max_age=60) == PAYLOADS[1]
    with pytest.raises(signing.BadSignature):
        signing.loads(token, salt="consent.unsubscribe")
    with pytest.raises(signing.BadSignature):
        signing.loads(
            token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), salt="consent.preferences"
        )


def test_tokens_expire_like_django_tokens():
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
        token = bulk_signing.dumps(PAYLOADS[0], salt="campaigns.referral")
    with time_machine.travel(dt.datetime(2026, 1, 2, tzinfo=dt.UTC), tick=False):
        assert signing.loads(token, salt="campaigns.referral", max_age=2 * 86400) == PAYLOADS[0]
        with pytest.raises(signing.SignatureExpired):
            signing.loads(token, salt="campaigns.referral", max_age=3600)


def test_a_new_secret_key_signs_with_the_new_key():
    before = bulk_signing.dumps(PAYLOADS[0], salt="s")
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40):
        after = bulk_signing.dumps(PAYLOADS[0], salt="s")
        assert signing.loads(after, salt="s") == PAYLOADS[0]
        with pytest.raises(signing.BadSignature):
            signing.loads(before, salt="s")
    with pytest.raises(signing.BadSignature):
        signing.loads(after, salt="s")
    assert signing.loads(before, salt="s") == PAYLOADS[0]


@time_machine.travel(dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC), tick=False)
def test_large_payloads_are_compressed_and_still_read():
    payload = {"ids": list(range(200)), "note": "a" * 300}
    token = bulk_signing.dumps(payload, salt="s")
    assert token.startswith(".")
    assert token == signing.dumps(payload, salt="s", compress=True)
    assert signing.loads(token, salt="s") == payload


_flat = st.dictionaries(
    st.text(max_size=8),
    st.one_of(st.text(max_size=40), st.integers(-(2**63), 2**63)),
    max_size=6,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    payload=st.one_of(_flat, st.lists(st.integers(), max_size=5), _flat.map(lambda d: {"x": d})),
    salt=st.text(max_size=20),
    secret=st.text(min_size=1, max_size=60),
)
def test_any_payload_salt_and_secret_sign_like_django(payload, salt, secret):
    """The HMAC written by hand (RFC 2104, see the module) and the JSON written by hand against
    Django's own signer, for payloads, salts (even empty) and keys nobody picked. Uncompressed
    tokens are always Django's; below COMPRESS_FROM Django may zlib a payload of repeated
    escapes that ours leaves plain, which signing.loads reads the same."""
    with (
        time_machine.travel(dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC), tick=False),
        override_settings(SECRET_KEY=secret),
    ):
        assert bulk_signing.dumps(payload, salt=salt, compress=False) == signing.dumps(
            payload, salt=salt
        )
        token = bulk_signing.dumps(payload, salt=salt)
        assert signing.loads(token, salt=salt) == payload
        djangos = signing.dumps(payload, salt=salt, compress=True)
        size = len(json.dumps(payload, separators=(",", ":")))
        if size >= bulk_signing.COMPRESS_FROM or not djangos.startswith("."):
            assert token == djangos
