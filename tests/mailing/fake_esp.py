"""A local HTTP server speaking the parts of Postmark's API anymail and the dispatcher use.

This is the only fake in the mailing tests: the real anymail Postmark backend, running in the
test process or in a real Celery worker process, posts to it over HTTP. It counts every message
it accepts per `mailing_key` metadata, which is how the tests prove "exactly once".
"""

from __future__ import annotations

import email
import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many concurrent senders (benchmarks) must not be refused


class FakePostmark:
    def __init__(self, *, keep_alive: bool = False) -> None:
        self.lock = threading.Lock()
        self.accepted: list[dict] = []  # one entry per message the ESP accepted
        self.calls: list[str] = []  # one entry per send API call (path)
        self.fail_next: list[int] = []  # HTTP statuses to answer the next send calls with
        self.hang_next = 0  # next N send calls: accept, then never answer in time
        self.delay = 0.0  # seconds each send call takes (accepted before the delay)
        handler = self._handler()
        if keep_alive:  # as a real ESP: clients reuse their connection between calls
            handler.protocol_version = "HTTP/1.1"
        self.server = _Server(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> FakePostmark:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(m["Metadata"].get("mailing_key") for m in self.accepted)

    def headers_of(self, key: str) -> dict[str, str]:
        with self.lock:
            for m in self.accepted:
                if m["Metadata"].get("mailing_key") == key:
                    return {h["Name"]: h["Value"] for h in m.get("Headers", [])}
        raise KeyError(key)

    def _accept(self, message: dict) -> dict:
        message_id = str(uuid.uuid4())
        with self.lock:
            self.accepted.append(message | {"MessageID": message_id})
        return {
            "To": message.get("To", ""),
            "SubmittedAt": "2026-11-25T19:00:00Z",
            "MessageID": message_id,
            "ErrorCode": 0,
            "Message": "OK",
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        esp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _reply(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                if parsed.path == "/_stats":  # for benchmarks running it in another process
                    counts = esp.counts()
                    self._reply(
                        200,
                        {
                            "accepted": sum(counts.values()),
                            "distinct": len(counts),
                            "calls": len(esp.calls),
                        },
                    )
                    return
                if parsed.path.rstrip("/") != "/messages/outbound":
                    self._reply(404, {"ErrorCode": 404, "Message": "not found"})
                    return
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                key = query.get("metadata_mailing_key")
                with esp.lock:
                    found = [
                        {"MessageID": m["MessageID"]}
                        for m in esp.accepted
                        if m["Metadata"].get("mailing_key") == key
                    ]
                self._reply(200, {"TotalCount": len(found), "Messages": found})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                path = urlparse(self.path).path.strip("/")
                with esp.lock:
                    esp.calls.append(path)
                    failure = esp.fail_next.pop(0) if esp.fail_next else None
                    hang = esp.hang_next > 0
                    if hang:
                        esp.hang_next -= 1
                if failure:
                    self._reply(
                        failure,
                        {
                            "ErrorCode": 300 if failure < 500 else 500,
                            "Message": f"Simulated HTTP {failure}",
                        },
                    )
                    return
                if path == "email":
                    results: object = esp._accept(payload)
                elif path == "email/batchWithTemplates":
                    results = [esp._accept(m) for m in payload["Messages"]]
                else:
                    self._reply(404, {"ErrorCode": 404, "Message": f"no endpoint {path}"})
                    return
                # Accepted first, answered later: a client killed or timing out in between
                # leaves a message the ESP has but the outbox does not know about.
                if hang:
                    time.sleep(5)
                elif esp.delay:
                    time.sleep(esp.delay)
                try:
                    self._reply(200, results)
                except (BrokenPipeError, ConnectionResetError):
                    return

        return Handler


class FakeMailgun:
    """Mailgun's send endpoint (`POST /v3/<domain>/messages`, multipart form), recording each
    call's form fields, for anymail's real Mailgun backend."""

    def __init__(self) -> None:
        self.calls: list[dict[str, list[str]]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v3"

    def start(self) -> FakeMailgun:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        esp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                content_type = self.headers["Content-Type"]
                fields: dict[str, list[str]] = {}
                if content_type.startswith("application/x-www-form-urlencoded"):
                    fields = parse_qs(body.decode(), keep_blank_values=True)
                else:  # multipart/form-data (with attachments)
                    form = email.message_from_bytes(
                        f"Content-Type: {content_type}\r\n\r\n".encode() + body
                    )
                    for part in form.get_payload():
                        name = part.get_param("name", header="content-disposition")
                        payload = part.get_payload(decode=True).decode()
                        fields.setdefault(name, []).append(payload)
                esp.calls.append(fields)
                data = json.dumps(
                    {"id": f"<{uuid.uuid4()}@mg.example>", "message": "Queued. Thank you."}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
