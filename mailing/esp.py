"""What the dispatcher needs to know about the configured ESP: its batch limit, and how to ask
it whether it already accepted a message (reconciliation after a crash or a timeout)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar

import requests
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

from mailing.models import Message
from tenants.context import current_schema

T = TypeVar("T")


class LookupFailed(Exception):
    """The ESP could not be asked; try again later."""


def _esp_name() -> str:
    backend = settings.EMAIL_BACKEND
    if backend.startswith("anymail.backends."):
        return backend.split(".")[2]
    return ""


@dataclass(frozen=True)
class BatchStyle:
    """How an ESP sends many personalised messages in one API call (anymail's `merge_data`).

    Every style only *places* each recipient's pre-rendered subject, HTML and text (our merge
    tags were filled in already), so what leaves is exactly what the outbox row shows.
    `inline`: the pass-through placeholders for the ESP's on-the-fly substitution in the
    message itself (subject, HTML, text) — batch sending needs no setup there. None: the ESP
    substitutes only into a template stored on its side, named by MAILING_BATCH_TEMPLATE
    (without it each message is its own call)."""

    limit: int  # recipients per call
    inline: tuple[str, str, str] | None = None
    # Largest per-recipient data and whole call the ESP accepts (bytes; 0 = no known limit).
    recipient_bytes: int = 0
    call_bytes: int = 0


# Limits from each ESP's API reference. Postmark: /email/batchWithTemplates, 500 messages,
# 50 MB. Mailgun: recipient variables (%recipient.x%), 1,000 recipients, 25 MB. SparkPost:
# substitution_data ({{{x}}} = unescaped), transmissions of any size, 1,000 per call here to
# keep calls short. SendGrid: a dynamic template ({{{x}}}), 1,000 personalizations, 30 MB
# (its inline legacy substitutions would cap a message's data at 50 kB: not used). Amazon SES:
# SendBulkEmail with a stored template, 50 destinations.
BATCH_STYLES = {
    "postmark": BatchStyle(500, call_bytes=50_000_000),
    "mailgun": BatchStyle(
        1000,
        ("%recipient.subject%", "%recipient.html_body%", "%recipient.text_body%"),
        call_bytes=25_000_000,
    ),
    "sparkpost": BatchStyle(1000, ("{{{subject}}}", "{{{html_body}}}", "{{{text_body}}}")),
    "sendgrid": BatchStyle(1000, call_bytes=30_000_000),
    "amazon_ses": BatchStyle(50, recipient_bytes=262_144),
    # anymail's in-memory test backend, as a template ESP (tests read each message's text).
    "test": BatchStyle(500),
}


def batch_style() -> BatchStyle | None:
    """The configured ESP's batch sending, None when every message is its own call (an ESP
    without batch sending, or one that needs a stored template and none is configured)."""
    style = BATCH_STYLES.get(_esp_name())
    if style is None or (style.inline is None and not settings.MAILING_BATCH_TEMPLATE):
        return None
    limit = int(settings.MAILING_BATCH_LIMITS.get(_esp_name(), style.limit))
    return replace(style, limit=min(limit, style.limit)) if limit > 1 else None


def batch_limit() -> int:
    """Most recipients per ESP call (1 = no batching)."""
    style = batch_style()
    return style.limit if style else 1


def mailing_key(message: Message) -> str:
    """Metadata carried by every sent message; unique across tenants."""
    return f"{current_schema()}:{message.pk}"


def lookup(to_email: str, key: str) -> str | None:
    """The ESP's id for the message sent to `to_email` with `mailing_key` metadata `key` if the
    ESP already has it, None if it does not or if the ESP offers no way to ask (then the
    message is sent again: at-least-once). Safe to call from any thread."""
    if _esp_name() != "postmark":
        return None
    api_url = settings.ANYMAIL.get("POSTMARK_API_URL") or "https://api.postmarkapp.com/"
    params: dict[str, str | int] = {
        "count": 1,
        "offset": 0,
        "recipient": to_email,
        "metadata_mailing_key": key,
    }
    try:
        response = requests.get(
            api_url.rstrip("/") + "/messages/outbound",
            params=params,
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


class EspPool:
    """ESP calls run on a few threads, so one slow HTTP answer does not hold up the others
    (one call per message would otherwise serialise the whole send on the ESP's latency).
    Each thread keeps its own open backend (anymail's HTTP session is not shared between
    threads, and keeping it open reuses the connection). Only the HTTP calls run on the threads:
    the database is touched by the dispatcher's own thread alone."""

    def __init__(self, size: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max(size, 1), thread_name_prefix="esp")
        self._local = threading.local()
        self._opened: list[BaseEmailBackend] = []
        self._lock = threading.Lock()

    def _backend(self) -> BaseEmailBackend:
        backend = getattr(self._local, "backend", None)
        if backend is None:
            backend = get_connection()
            backend.open()
            self._local.backend = backend
            with self._lock:
                self._opened.append(backend)
        return backend

    def run(self, fn: Callable[[BaseEmailBackend], T]) -> Future[T]:
        """`fn(backend)` on a pool thread, with that thread's open backend."""
        return self._executor.submit(lambda: fn(self._backend()))

    def call(self, fn: Callable[[], T]) -> Future[T]:
        """`fn()` on a pool thread (ESP calls that are not sends, e.g. `lookup`)."""
        return self._executor.submit(fn)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for backend in self._opened:
            backend.close()
