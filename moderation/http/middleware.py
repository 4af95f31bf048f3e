"""The base of the service's own middleware (request log, security headers).

Pure ASGI rather than Starlette's BaseHTTPMiddleware: they run on every request, accepting a
comment among them, and BaseHTTPMiddleware costs a task and a body stream per request.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """Passes what is not an HTTP request (lifespan, websockets) straight through; a subclass
    handles HTTP requests in `handle`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
