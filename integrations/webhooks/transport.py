"""The HTTP POST of a webhook, safe against server-side request forgery.

A subscription URL must be http(s). Outside development its host must resolve only to public
addresses: private, loopback, link-local, multicast, reserved and unspecified ones are refused,
when the subscription is saved and again at every delivery (DNS can change meanwhile). The
connection goes to the address that was checked (no second lookup an attacker could answer
differently), redirects are not followed, and the whole exchange is bounded by a timeout.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_RESPONSE_BYTES = 4096


class WebhookUrlError(Exception):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def url_target(url: str) -> Target:
    """Check `url` and resolve its host; raises WebhookUrlError."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlError(_("This is not a valid URL.")) from None
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlError(_("Only http:// and https:// URLs can receive webhooks."))
    host = parts.hostname
    if not host:
        raise WebhookUrlError(_("The URL has no host name."))
    if parts.username or parts.password:
        raise WebhookUrlError(_("Put credentials in the receiver, not in the URL."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise WebhookUrlError(
            _("The host name %(host)s does not resolve.") % {"host": host}
        ) from None
    addresses = [str(info[4][0]) for info in infos]  # an IP address (AF_INET/AF_INET6)
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            if _forbidden(ipaddress.ip_address(address.split("%", 1)[0])):
                raise WebhookUrlError(
                    f"{host} resolves to {address}, a private or local address: webhooks only "
                    "go to public addresses."
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, addresses[0])


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the checked address, with SNI and certificate checks for the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


@dataclass(frozen=True)
class PostResult:
    status: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, *, body: bytes, headers: dict[str, str]) -> PostResult:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = url_target(url)
    except WebhookUrlError as exc:
        return PostResult(None, f"refused: {exc}", elapsed())
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target, timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": "TalentCRM-Webhooks/1",
            },
        )
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        status = response.status
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return PostResult(None, f"{type(exc).__name__}: {exc}"[:500], elapsed())
    finally:
        connection.close()
    error = "" if 200 <= status < 300 else f"HTTP {status}"
    if 300 <= status < 400:
        error = f"HTTP {status}: redirects are not followed; give the final URL"
    return PostResult(status, error, elapsed())
