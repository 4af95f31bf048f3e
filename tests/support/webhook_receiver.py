"""A small real webhook receiver for the tests: an HTTP server in a thread that checks each
event's signature and timestamp the way docs/webhooks.md tells a site to (written here from that
description, not from our code), and answers 500 to the first tries of a path if told to."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE_SECONDS = 300


def verify(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """A receiver's check: the signature header's t= and v1=, HMAC-SHA256 of "t." + the raw
    body under the site's secret, compared in constant time; a timestamp older than five
    minutes (or from the future) is a replay."""
    try:
        fields = dict(part.split("=", 1) for part in headers["moderation-signature"].split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    if headers.get("moderation-timestamp") != str(timestamp):
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), given)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int

    @property
    def event(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Serves http://127.0.0.1:<port>/<path>. `fail_first[path] = n` answers 500 to the first n
    requests of that path; `failing` paths answer 500 until taken out of the set. A request
    whose signature does not verify under `secret` (or `secrets[path]`) gets 401."""

    secret: str
    secrets: dict[str, str] = field(default_factory=dict)
    fail_first: dict[str, int] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                secret = receiver.secrets.get(self.path, receiver.secret)
                ok = verify(secret, headers, body, time.time())
                with receiver._lock:
                    seen = sum(1 for r in receiver.received if r.path == self.path)
                    fail = self.path in receiver.failing or seen < receiver.fail_first.get(
                        self.path, 0
                    )
                    status = 401 if not ok else 500 if fail else 200
                    receiver.received.append(Received(self.path, headers, body, ok, status))
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"not now")

            def log_message(self, *_args: Any) -> None:
                pass

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def of(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
