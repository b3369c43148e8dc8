"""A request body over MAX_REQUEST_BYTES is refused with 413 before it is read (config/limits.py):
at the WSGI level (gunicorn and runserver run config.wsgi.application), in a live server over a
raw socket, and by the first Django middleware."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.core import signing
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from candidates.models import Candidate, Position, PositionStatus
from config.limits import BodyLimitASGI, BodyLimitWSGI
from tenants.public_forms import FORM_STAMP_SALT

FORTY_MB = 40 * 1024 * 1024


class RecordingInput(io.RawIOBase):
    """A request body that counts what the application reads from it."""

    def __init__(self, data: bytes) -> None:
        self.stream = io.BytesIO(data)
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.stream.readline(size)
        self.bytes_read += len(data)
        return data


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, dict(headers)

    # As Django's test client does: a request must not close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = app(environ, start_response)
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return captured["status"], captured["headers"], body


def _environ(path: str, body: RecordingInput, **extra: str) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "HTTP_HOST": "alpha.localhost",
        "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        "wsgi.input": body,
    }
    setup_testing_defaults(environ)
    environ.update(extra)
    return environ


def _multipart(fields: dict[str, str], file_size: int = 0) -> bytes:
    parts = [
        f'--xyz\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    if file_size:
        parts.append(
            b'--xyz\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF-" + b"x" * file_size + b"\r\n"
        )
    return b"".join(parts) + b"--xyz--\r\n"


def test_a_declared_40_mb_anonymous_upload_gets_413_and_not_one_byte_is_read(tenant_a):
    body = RecordingInput(b"x" * 1024)  # what a client would start sending
    environ = _environ("/candidates/jobs/1/", body, CONTENT_LENGTH=str(FORTY_MB))
    status, headers, content = _call(BodyLimitWSGI(WSGIHandler()), environ)
    assert status.startswith("413")
    assert body.bytes_read == 0
    assert b"The limit is 21 MB per request" in content
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_a_chunked_body_without_length_is_counted_and_cut_off_past_the_limit(tenant_a):
    limit = 64 * 1024
    body = RecordingInput(b"x" * (10 * limit))
    environ = _environ("/candidates/jobs/1/", body, HTTP_TRANSFER_ENCODING="chunked")
    status, _, _ = _call(BodyLimitWSGI(WSGIHandler(), limit=limit), environ)
    assert status.startswith("413")
    # Reading stopped one byte past the limit, not at the end of the 640 KB.
    assert body.bytes_read == limit + 1


def test_a_chunked_body_within_the_limit_reaches_the_view_whole(tenant_a):
    position = Position.objects.create(title="Data engineer", status=PositionStatus.OPEN)
    secret = "a" * 32  # a CSRF secret, as the cookie and the form would both carry it
    fields = {"first_name": "Chunk", "last_name": "Ed", "email": "chunked@example.com"}
    # The apply form's signed stamp, as served a minute ago (tenants.public_forms).
    stamp = signing.dumps(int(time.time()) - 60, salt=FORM_STAMP_SALT)
    form = {**fields, "phone": "", "stamp": stamp, "csrfmiddlewaretoken": secret}
    data = _multipart(form, file_size=2000)
    body = RecordingInput(data)
    environ = _environ(
        f"/candidates/jobs/{position.pk}/",
        body,
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_COOKIE=f"csrftoken={secret}",
    )
    status, _, content = _call(BodyLimitWSGI(WSGIHandler()), environ)
    assert status.startswith("200"), content[:500]
    assert body.bytes_read == len(data)
    candidate = Candidate.objects.get(email="chunked@example.com")
    assert candidate.applications.get().cv.size == len("%PDF-") + 2000


def test_a_body_within_the_limit_is_served_as_usual(tenant_a):
    body = RecordingInput(b"")
    environ = _environ("/accounts/login/", body, REQUEST_METHOD="GET", CONTENT_LENGTH="")
    status, _, _ = _call(BodyLimitWSGI(WSGIHandler()), environ)
    assert status.startswith("200")


def test_a_malformed_content_length_is_a_bad_request(tenant_a):
    body = RecordingInput(b"abc")
    environ = _environ("/candidates/jobs/1/", body, CONTENT_LENGTH="12abc")
    status, _, _ = _call(BodyLimitWSGI(WSGIHandler()), environ)
    assert status.startswith("400")
    assert body.bytes_read == 0


def test_the_first_django_middleware_refuses_too_when_config_wsgi_is_not_in_front(tenant_a):
    """The test client calls Django without config.wsgi: the middleware makes the same check.
    The client's FakePayload raises if anything reads past its 9 real bytes."""
    response = tenant_a.client().generic(
        "POST",
        "/candidates/jobs/1/",
        b"truncated",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(FORTY_MB),
    )
    assert response.status_code == 413
    with override_settings(MAX_REQUEST_BYTES=settings.MAX_UPLOAD_BYTES * 10):
        response = tenant_a.client().get("/accounts/login/")
        assert response.status_code == 200


@pytest.fixture
def production_server(django_db_setup, django_db_blocker) -> Iterator[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """config.wsgi.application (what gunicorn runs) in a threaded HTTP server on a free port."""
    from config.wsgi import application

    with django_db_blocker.unblock():
        server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler, allow_reuse_address=True)
        server.set_app(application)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.server_address[:2]
        finally:
            server.shutdown()
            server.server_close()


def test_raw_socket_the_server_answers_413_before_the_body_is_sent(production_server):
    """Only the headers and the first 64 KB of a declared 40 MB body are ever sent: the answer
    comes anyway, so the application cannot have waited for (or read) the rest."""
    host, port = production_server
    with socket.create_connection((host, port), timeout=30) as connection:
        connection.sendall(
            b"POST /candidates/jobs/1/ HTTP/1.1\r\n"
            b"Host: alpha.localhost\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\n"
            + f"Content-Length: {FORTY_MB}\r\n\r\n".encode()
            + b"x" * 65536
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), answer[:300]


def test_raw_socket_a_normal_request_still_gets_its_page(production_server):
    host, port = production_server
    with socket.create_connection((host, port), timeout=30) as connection:
        connection.sendall(
            b"GET /accounts/login/ HTTP/1.1\r\nHost: alpha.localhost\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert b"nonce-" in answer.split(b"\r\n\r\n", 1)[0]


def _asgi_call(app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    sent: list[dict[str, Any]] = []
    pieces = iter(chunks)
    consumed = []

    async def receive() -> dict[str, Any]:
        piece = next(pieces, None)
        if piece is None:
            return {"type": "http.disconnect"}
        consumed.append(len(piece))
        return {"type": "http.request", "body": piece, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/candidates/jobs/1/",
        "headers": [(b"host", b"alpha.localhost"), *headers],
        "query_string": b"",
    }
    # In a thread of its own: a browser test may have left an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent[0]["status"], sum(consumed)


def test_asgi_refuses_a_declared_oversized_body_without_receiving_it():
    from django.core.asgi import get_asgi_application

    app = BodyLimitASGI(get_asgi_application(), limit=1000)
    status, received = _asgi_call(app, [(b"content-length", b"5000")], [b"x" * 1000] * 5)
    assert (status, received) == (413, 0)


def test_asgi_counts_a_body_without_length_and_stops_past_the_limit():
    from django.core.asgi import get_asgi_application

    app = BodyLimitASGI(get_asgi_application(), limit=1000)
    status, received = _asgi_call(app, [], [b"x" * 400] * 50)
    assert status == 413
    assert received == 1200  # three pieces: the third went past the limit, no more was taken
