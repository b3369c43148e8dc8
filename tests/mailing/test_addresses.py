"""Recipient addresses: bare addresses only (no display names, no line breaks, valid syntax)."""

from __future__ import annotations

from email.utils import parseaddr

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from mailing.services import clean_address

ADDRESSES = [
    "ada@example.com",
    " Ada.Lovelace+jobs@mail.example.co.uk ",
    "o'brien@example.ie",
    "x{y}|z~!#$%&*/=?^`@ex-ample.com",
    "Ada <ada@example.com>",
    "<ada@example.com>",
    "ada@example.com (work)",
    '"Ada L"@example.com',
    "ada..l@example.com",
    ".ada@example.com",
    "ada.@example.com",
    "ada@example",
    "ada@-example.com",
    "ada@@example.com",
    "ada@example.com, bob@example.com",
    "ada@example.com\nBcc: eve@example.com",
    "",
    "not-an-address",
]


def _reference(address: str) -> str:
    """The checks spelled out: parseaddr must give the address back with no name, then Django's
    validator must accept it."""
    address = address.strip()
    if "\n" in address or "\r" in address or "\x00" in address:
        raise ValidationError("line breaks")
    name, addr = parseaddr(address)
    if name or addr != address:
        raise ValidationError("plain address")
    validate_email(address)
    return address


@pytest.mark.parametrize("address", ADDRESSES)
def test_an_address_is_accepted_exactly_when_the_plain_checks_accept_it(address):
    try:
        expected = _reference(address)
    except ValidationError:
        with pytest.raises(ValidationError):
            clean_address(address)
    else:
        assert clean_address(address) == expected


def test_display_names_are_refused_with_a_clear_message():
    with pytest.raises(ValidationError, match=r"plain address like name@example\.com"):
        clean_address("Ada <ada@example.com>")
    with pytest.raises(ValidationError, match="not a valid email address"):
        clean_address("ada@example")
