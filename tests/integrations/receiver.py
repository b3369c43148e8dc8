"""A real HTTP webhook receiver on loopback for tests: records every request, and answers from
a script of behaviours (500, hang, then 204...)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    # Behaviours for the first requests, in order: an HTTP status, or "hang" (sleeps longer than
    # the sender's timeout). After them every request gets 204.
    script: list[int | str] = field(default_factory=list)
    hang_seconds: float = 3.0
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    step = receiver.script.pop(0) if receiver.script else 204
                headers = {k.lower(): v for k, v in self.headers.items()}
                if step == "hang":
                    # The sender gives up before this answer: it never counts as accepted.
                    with receiver._lock:
                        receiver.requests.append(Received(headers, body, 0))
                    time.sleep(receiver.hang_seconds)
                    return
                with receiver._lock:
                    receiver.requests.append(Received(headers, body, int(step)))
                self.send_response(int(step))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if 200 <= r.answered < 300]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
