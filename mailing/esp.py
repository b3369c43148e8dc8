"""What the dispatcher needs to know about the configured ESP: its batch limit, and how to ask
it whether it already accepted a message (reconciliation after a crash or a timeout)."""

from __future__ import annotations

import requests
from django.conf import settings
from django.db import connection

from mailing.models import Message


class LookupFailed(Exception):
    """The ESP could not be asked; try again later."""


def _esp_name() -> str:
    backend = settings.EMAIL_BACKEND
    if backend.startswith("anymail.backends."):
        return backend.split(".")[2]
    return ""


def batch_limit() -> int:
    """Most recipients per ESP call (1 = no batching: no pass-through template configured, or
    an ESP without batch sending)."""
    if not settings.MAILING_BATCH_TEMPLATE:
        return 1
    return int(settings.MAILING_BATCH_LIMITS.get(_esp_name(), 1))


def mailing_key(message: Message) -> str:
    """Metadata carried by every sent message; unique across tenants."""
    return f"{connection.schema_name}:{message.pk}"


def lookup(message: Message) -> str | None:
    """The ESP's id for this message if the ESP already has it, None if it does not or if the
    ESP offers no way to ask (then the message is sent again: at-least-once)."""
    if _esp_name() != "postmark":
        return None
    api_url = settings.ANYMAIL.get("POSTMARK_API_URL") or "https://api.postmarkapp.com/"
    try:
        response = requests.get(
            api_url.rstrip("/") + "/messages/outbound",
            params={
                "count": 1,
                "offset": 0,
                "recipient": message.to_email,
                "metadata_mailing_key": mailing_key(message),
            },
            headers={
                "Accept": "application/json",
                "X-Postmark-Server-Token": settings.ANYMAIL.get("POSTMARK_SERVER_TOKEN", ""),
            },
            timeout=10,
        )
    except requests.RequestException as exc:
        raise LookupFailed(str(exc)) from exc
    if response.status_code != 200:
        raise LookupFailed(f"message search answered HTTP {response.status_code}")
    found = response.json().get("Messages") or []
    return (found[0].get("MessageID") or "found") if found else None
