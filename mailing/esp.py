"""What the dispatcher needs to know about the configured ESP: its batch limit, and how to ask
it whether it already accepted a message (reconciliation after a crash or a timeout)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import requests
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

from mailing.models import Message

T = TypeVar("T")


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


def lookup(to_email: str, key: str) -> str | None:
    """The ESP's id for the message sent to `to_email` with `mailing_key` metadata `key` if the
    ESP already has it, None if it does not or if the ESP offers no way to ask (then the
    message is sent again: at-least-once). Safe to call from any thread."""
    if _esp_name() != "postmark":
        return None
    api_url = settings.ANYMAIL.get("POSTMARK_API_URL") or "https://api.postmarkapp.com/"
    try:
        response = requests.get(
            api_url.rstrip("/") + "/messages/outbound",
            params={
                "count": 1,
                "offset": 0,
                "recipient": to_email,
                "metadata_mailing_key": key,
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
