"""CORS for the public API, per site: a browser on a site's page (the widget) may call the
comment endpoints only from an origin that site registered (`moderation sites update SITE
--add-origin ORIGIN`). The site is named by `?site=` (the widget always sends it); without it,
the default site. Other paths get no CORS headers at all, so no other page can script them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.responses import JSONResponse

from moderation.http.responses import ErrorBody
from moderation.services.sites import DEFAULT_SITE, SiteDirectory, SitesUnavailable

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The endpoints a page on a site's own origin may call: submit, read a status, list, report.
PUBLIC_PREFIXES = ("/api/v1/comments", "/api/v1/articles/")
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, X-Reader-Token, If-None-Match"
EXPOSED_HEADERS = "ETag, Last-Modified, Location"
PREFLIGHT_MAX_AGE = "600"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class SiteCORS:
    def __init__(self, app: ASGIApp, sites: Callable[[], SiteDirectory]) -> None:
        self.app = app
        self.sites = sites

    def _allowed(self, scope: Scope, origin: str) -> bool:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        slug = (query.get("site") or [DEFAULT_SITE])[0]
        site = self.sites().by_slug(slug)
        return site is not None and site.allows_origin(origin)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        preflight = (
            scope["method"] == "OPTIONS"
            and _header(scope, b"access-control-request-method") is not None
        )
        try:
            allowed = self._allowed(scope, origin)
        except SitesUnavailable as error:
            # The database is away and no site was read before: a preflight cannot be answered
            # yet; any other request goes on to its route, which answers the same 503.
            if preflight:
                body = ErrorBody(error=error.code, message=error.message, fields=[])
                answer = JSONResponse(
                    body.model_dump(), 503, headers={"Vary": "Origin", **error.headers}
                )
                await answer(scope, receive, send)
                return
            allowed = False
        if preflight:
            headers = [(b"vary", b"Origin")]
            if allowed:
                headers += [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
                    (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
                    (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
                ]
            status = 204 if allowed else 403
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"vary", b"Origin"))
                if allowed:
                    headers += [
                        (b"access-control-allow-origin", origin.encode("latin-1")),
                        (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
                    ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_cors)
