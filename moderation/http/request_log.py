"""Every request's id, access log line and metrics, in one outermost middleware.

The id is the caller's `X-Request-ID` when it is sane (moderation.logs), else a new one; it is
returned in the answer's header, set for the request's log lines, and handed with each comment
to the workers (moderation.services.intake), so one id follows a comment to its decision.

The metrics are labelled by route template (`/api/v1/comments/{comment_id}`), never the raw
path, and by a method from a closed set: nobody can make a series per URL they invent. The log
line names the template too: a path can carry what a reader typed (an article id).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from moderation.http.middleware import HttpMiddleware
from moderation.logs import current_request_id, request_id_from
from moderation.metrics import HTTP_REQUEST_SECONDS, HTTP_REQUESTS

log = logging.getLogger("moderation.access")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"

# The labelled children, looked up once per (method, route[, status]): .labels() takes a lock.
_counters: dict[tuple[str, str, int], Any] = {}
_timers: dict[tuple[str, str], Any] = {}


def route_template(scope: Scope, root_path: str) -> str:
    """The template of the route that answered: an endpoint's path, a mount's prefix, or
    `unmatched` (a 404 for a path nobody routes)."""
    path = getattr(scope.get("route"), "path", None)
    if path:
        return str(path)
    mounted = str(scope.get("root_path", ""))
    if len(mounted) > len(root_path):  # a mount (/static) set its prefix for its app
        return mounted[len(root_path) :] + "/{path}"
    return UNMATCHED


def _observe(method: str, route: str, status: int, seconds: float) -> None:
    counter = _counters.get((method, route, status))
    if counter is None:
        counter = _counters[(method, route, status)] = HTTP_REQUESTS.labels(
            method, route, str(status)
        )
    timer = _timers.get((method, route))
    if timer is None:
        timer = _timers[(method, route)] = HTTP_REQUEST_SECONDS.labels(method, route)
    counter.inc()
    timer.observe(seconds)


class RequestLog(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = request_id_from(incoming)
        header = (b"x-request-id", request_id.encode("ascii"))
        root_path = str(scope.get("root_path", ""))
        status = 500  # unless an answer starts: an exception escaped every handler

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        reset = current_request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(reset)
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "other"
            route = route_template(scope, root_path)
            _observe(method, route, status, seconds)
            log.info(
                "%s %s %d %.1f ms request_id=%s",
                method,
                route,
                status,
                seconds * 1000,
                request_id,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "request_id": request_id,
                },
            )
