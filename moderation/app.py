"""create_app(): the FastAPI application with its routers, error handlers and lifespan."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from moderation import __version__
from moderation.api import (
    akismet,
    appeals,
    comments,
    health,
    metrics,
    moderation,
    notices,
    perspective,
    privacy,
    statements,
    transparency,
)
from moderation.config import Settings, get_settings
from moderation.domain.errors import FieldProblem, ServiceError, ServiceUnavailable
from moderation.http import metrics as serving_metrics
from moderation.http.auth import SignInRequired
from moderation.http.cors import SiteCORS
from moderation.http.ratelimits import RateLimits
from moderation.http.request_log import RequestLog
from moderation.http.responses import unreadable_json
from moderation.http.security_headers import NOSNIFF, SecurityHeaders
from moderation.messaging.dispatcher import Dispatcher
from moderation.messaging.queues import producer_app
from moderation.services.akismet import decision_feed_for
from moderation.services.intake import Intake
from moderation.services.sites import directory_for
from moderation.web import appeals as appeal_pages
from moderation.web import docs, views, workspace
from moderation.web import notices as notice_pages

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _error_body(
    status: int,
    code: str,
    message: str,
    problems: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {
            "error": code,
            "message": message,
            "fields": [p.as_dict() for p in problems or []],
        },
        status_code=status,
        headers=headers,
    )


def _unreadable_json(error: BaseException) -> JSONResponse:
    problem = unreadable_json(error)
    return _error_body(400, "invalid_request", problem.message, [problem])


class BodySizeLimit:
    """Refuses bodies over the limit with 413 before they are read into memory."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        def too_large() -> JSONResponse:
            if perspective.speaks_perspective(scope.get("path", "")):
                return perspective.body_too_large()
            return _error_body(
                413,
                "payload_too_large",
                f"request body is over {self.limit // 1024} KiB",
                [
                    FieldProblem(
                        "request", "max_size", f"request must be at most {self.limit} bytes"
                    )
                ],
            )

        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await too_large()(scope, receive, send)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await too_large()(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Comment moderation",
        version=__version__,
        summary="Validate, store, queue, score and decide the comments of a news site.",
        lifespan=_lifespan(settings),
        # Served by moderation.web.docs, with a Content-Security-Policy of their own.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.form_error_page = views.article_with_errors
    # Every site in memory, read again every few seconds: a request costs no query for it.
    app.state.sites = directory_for(settings.database_url, settings.sites_refresh_seconds)
    app.state.rate_limits = RateLimits(settings)
    for router in ROUTERS:
        app.include_router(router)
    # What /metrics reads when scraped (queues, backlog), beside what the processes store.
    app.state.metrics_registry = serving_metrics.scrape_registry(settings)
    if settings.metrics_port is None:  # else on a port of their own (the lifespan's)
        app.include_router(metrics.router)
    app.mount("/static", views.static_files(), name="static")
    app.mount(docs.ASSETS, docs.assets(), name="docs-assets")
    for error, handler in ERROR_HANDLERS:
        app.add_exception_handler(error, handler)
    _add_middleware(app, settings)
    return app


ROUTERS = (
    health.router,
    comments.router,
    notices.router,
    moderation.router,
    notices.moderation_router,
    appeals.router,
    appeals.moderation_router,
    moderation.admin_router,
    statements.router,
    statements.admin_router,
    transparency.router,
    privacy.router,
    akismet.router,
    perspective.router,
    views.router,
    notice_pages.router,
    appeal_pages.router,
    workspace.router,
    docs.router,
)


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What runs beside the requests: the intake that stores comments in groups, the dispatcher
    that queues them, the decision feed and the Perspective analyser, stopped in order."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        dispatcher = Dispatcher(
            producer_app(settings),
            max_batch=settings.dispatch_max_batch,
            window_seconds=settings.dispatch_window_ms / 1000,
        )
        intake = Intake(settings.database_url, dispatcher)
        dispatcher.start()
        intake.start()
        app.state.intake = intake
        # Wakes the Akismet-compatible checks waiting for a worker's decision (lazily started).
        app.state.decision_feed = decision_feed_for(settings)
        # Has the Perspective-compatible API's texts scored by the workers and awaits them.
        app.state.analyzer = perspective.analyzer_for(settings)
        metrics_server = _metrics_server(app, settings)
        try:
            yield
        finally:
            if metrics_server is not None:
                metrics_server.stop()
            await app.state.analyzer.close()
            await app.state.decision_feed.stop()
            await app.state.rate_limits.close()
            # Store what is waiting, then send what was stored.
            intake.stop()
            dispatcher.stop()

    return lifespan


def _metrics_server(app: FastAPI, settings: Settings) -> serving_metrics.MetricsServer | None:
    """The metrics on `MODERATION_METRICS_PORT`, when the operator chose a port of their own."""
    if settings.metrics_port is None:
        return None
    registry = app.state.metrics_registry
    page = serving_metrics.wsgi_app(settings, lambda: serving_metrics.render(settings, registry))
    return serving_metrics.MetricsServer(settings.host, settings.metrics_port, page).start()


async def _sign_in_required(_request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    return workspace.sign_in_redirect(error.next_path)


async def _service_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ServiceError)
    if request.url.path.startswith("/moderation"):
        # A person in the workspace gets a page, not JSON.
        return HTMLResponse(
            workspace.error_page(error.status_code, error.message),
            status_code=error.status_code,
            headers=error.headers,
        )
    return _error_body(error.status_code, error.code, error.message, error.problems, error.headers)


async def _database_unavailable(request: Request, error: Exception) -> Response:
    # The unit of work was rolled back, so the client may simply try again later.
    if isinstance(error, OperationalError | InterfaceError | SQLAlchemyTimeoutError):
        log.warning("the database is unavailable (answered 503): %s", error)
    else:  # the database refused what we sent it: more likely a bug of ours than an outage
        log.exception("the database refused a request (answered 503): %s", error)
    return await _service_error(
        request,
        ServiceUnavailable(
            "the database cannot be reached right now; nothing was changed, please try again"
        ),
    )


async def _request_validation(_request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if isinstance(error.__cause__, json.JSONDecodeError):  # FastAPI read no JSON body
        return _unreadable_json(error.__cause__)
    problems = []
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ()) if part not in ("path", "query")]
        field = ".".join(loc) or "request"
        problems.append(
            FieldProblem(field, item.get("type", "invalid"), f"{field}: {item.get('msg', '')}")
        )
    return _error_body(422, "invalid_request", "; ".join(p.message for p in problems), problems)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    # FastAPI answers a JSON body its reader refused with anything but a JSONDecodeError
    # (a number of more than 4,300 digits, deep nesting, bytes not UTF-8) with a bare 400.
    cause = error.__cause__
    if (
        error.status_code == 400
        and isinstance(cause, ValueError | RecursionError)
        and "json" in request.headers.get("content-type", "").lower()
    ):
        return _unreadable_json(cause)
    return _error_body(error.status_code, "http_error", str(error.detail))


async def _unexpected(_request: Request, error: Exception) -> Response:
    log.exception("unhandled error (a bug): %s", error)
    # Answered by Starlette's outermost middleware, around SecurityHeaders: nosniff here.
    return _error_body(500, "internal_error", "internal error; it has been logged", headers=NOSNIFF)


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]

# Every way a request can fail, and the answer it gets: nothing anyone sends gives a 5xx
# unless the service itself is at fault (503: the database is away; 500: a bug, logged).
ERROR_HANDLERS: tuple[tuple[type[Exception], ErrorHandler], ...] = (
    (SignInRequired, _sign_in_required),
    (ServiceError, _service_error),
    (DBAPIError, _database_unavailable),  # OperationalError and the driver's other errors
    (SQLAlchemyTimeoutError, _database_unavailable),  # no connection free in the pool in time
    (RequestValidationError, _request_validation),
    (StarletteHTTPException, _http_error),
    (Exception, _unexpected),
)


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Added inside out: the last one added is the outermost."""
    app.add_middleware(SiteCORS, sites=lambda: app.state.sites)
    app.add_middleware(BodySizeLimit)
    if settings.trusted_proxies:
        # Around the rest, so everything inside (rate limits, reports, sign-in, the stored
        # address) sees the address the trusted proxy forwarded; anyone else's X-Forwarded-For
        # is not believed. Here rather than in uvicorn's options, so it holds under any server.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    # Outermost of ours, so every answer gets them, refusals of the two above included.
    app.add_middleware(SecurityHeaders)
    # Around everything: each answer's request id, access log line and metrics.
    app.add_middleware(RequestLog)
