"""Request bodies over settings.MAX_REQUEST_BYTES are refused with 413 before they are read.

Django reads a multipart body in full (to a temporary file) as soon as a view touches
`request.POST` or `request.FILES`, and only then can a form say the file is too big: a 40 MB
anonymous upload would cost 40 MB of bandwidth, disk and time first. Two layers stop that:

- `BodyLimitWSGI` wraps the WSGI application in config/wsgi.py (gunicorn, runserver). A declared
  Content-Length over the limit is answered at once, nothing read. A body without one
  (`Transfer-Encoding: chunked`, which gunicorn passes on de-chunked) is read in pieces and
  counted: past the limit the answer is 413 and reading stops; within it, the body is handed to
  Django as a spooled file with its length (Django would otherwise see an empty body).
- `BodyLimitASGI` does the same for ASGI (config/asgi.py): Django's ASGI handler reads the whole
  body before any middleware runs, so the count happens on the way in.
- `RequestBodyLimitMiddleware`, the first Django middleware, makes the same Content-Length check
  for servers that call Django without either (the test client, the live test server).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

READ_CHUNK = 64 * 1024
_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.0f} MB"


def too_large_html(limit: int) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too large</title>'
        "</head><body><h1>This upload is too large</h1>"
        f"<p>The limit is {_mb(limit)} per request. Go back and choose a smaller file.</p>"
        "</body></html>"
    ).encode()


def declared_length(environ: dict[str, Any]) -> int | None:
    """The Content-Length as an int; None when absent; ValueError when malformed."""
    raw = (environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return None
    length = int(raw)  # ValueError for "abc"
    if length < 0:
        raise ValueError(raw)
    return length


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = settings.MAX_REQUEST_BYTES
        try:
            length = declared_length(request.META)
        except ValueError:
            return HttpResponse("Malformed Content-Length.", status=400, content_type="text/plain")
        if length is not None and length > limit:
            response = HttpResponse(too_large_html(limit), status=413)
            response["Content-Security-Policy"] = _CSP
            return response
        return self.get_response(request)


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _Closing:
    """The application's response iterable, also closing the spooled body afterwards."""

    def __init__(self, iterable: Iterable[bytes], spool: Any) -> None:
        self.iterable = iterable
        self.spool = spool

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.iterable)

    def close(self) -> None:
        try:
            close = getattr(self.iterable, "close", None)
            if close is not None:
                close()
        finally:
            self.spool.close()


class BodyLimitWSGI:
    def __init__(self, app: WSGIApp, limit: int | None = None) -> None:
        self.app = app
        self._limit = limit

    @property
    def limit(self) -> int:
        return self._limit if self._limit is not None else settings.MAX_REQUEST_BYTES

    def _answer(self, start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
        start_response(
            status,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Content-Security-Policy", _CSP),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        limit = self.limit
        try:
            length = declared_length(environ)
        except ValueError:
            return self._answer(start_response, "400 Bad Request", b"Malformed Content-Length.")
        if length is not None:
            if length > limit:
                return self._answer(
                    start_response, "413 Request Entity Too Large", too_large_html(limit)
                )
            return self.app(environ, start_response)
        if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self.app(environ, start_response)
        # Closed on refusal, else by _Closing once the response is done.
        spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
        stream = environ["wsgi.input"]
        total = 0
        while True:
            chunk = stream.read(min(READ_CHUNK, limit + 1 - total))
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                spool.close()
                return self._answer(
                    start_response, "413 Request Entity Too Large", too_large_html(limit)
                )
            spool.write(chunk)
        spool.seek(0)
        environ["wsgi.input"] = spool
        environ["CONTENT_LENGTH"] = str(total)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return _Closing(self.app(environ, start_response), spool)


class _TooLarge(Exception):
    pass


class BodyLimitASGI:
    def __init__(self, app: Any, limit: int | None = None) -> None:
        self.app = app
        self._limit = limit

    async def _answer(self, send: Any, status: int, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"content-security-policy", _CSP.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit if self._limit is not None else settings.MAX_REQUEST_BYTES
        headers = {k.lower(): v for k, v in scope.get("headers") or []}
        try:
            length = declared_length(
                {"CONTENT_LENGTH": headers.get(b"content-length", b"").decode()}
            )
        except ValueError:
            await self._answer(send, 400, b"Malformed Content-Length.")
            return
        if length is not None and length > limit:
            await self._answer(send, 413, too_large_html(limit))
            return
        received = 0

        async def counted() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._answer(send, 413, too_large_html(limit))
