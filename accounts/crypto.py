"""Encryption of secrets HR admins enter (the OpenID Connect client secret).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from SECRET_KEY and the tenant schema, so a
database dump alone reveals nothing and a value copied into another tenant's row does not
decrypt. Keys from SECRET_KEY_FALLBACKS still decrypt after a rotation; the next save re-encrypts
with the current key. A secret that no key opens must be entered again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from tenants.context import current_schema


class SecretUnreadable(Exception):
    """The stored secret was encrypted under a key that is no longer configured."""


def _key(secret_key: str, schema: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"talentcrm.accounts.crypto",
        info=f"tenant-secret:{schema}".encode(),
    )
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def _fernet() -> MultiFernet:
    schema = current_schema()
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([Fernet(_key(key, schema)) for key in keys])


def secret_encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable from None
