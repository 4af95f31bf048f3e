"""/metrics: the service's metrics in the Prometheus text format, for Prometheus only (who may
read them: moderation.http.metrics). Not part of the public API's schema."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from moderation.config import Settings
from moderation.domain.errors import ServiceError
from moderation.http import metrics

router = APIRouter(include_in_schema=False)


def _refusal(request: Request, settings: Settings) -> ServiceError | None:
    if settings.metrics_token is not None:
        if metrics.token_matches(settings, request.headers.get("authorization")):
            return None
        return ServiceError(
            401,
            "unauthorized",
            "the metrics need Authorization: Bearer and the metrics token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    host = request.client.host if request.client else None
    if metrics.is_local(host, request.headers.keys()):
        return None
    return ServiceError(
        403,
        "forbidden",
        "the metrics are served to local clients only; set MODERATION_METRICS_TOKEN or "
        "MODERATION_METRICS_PORT to scrape them from elsewhere",
    )


@router.get("/metrics")
async def read_metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    refusal = _refusal(request, settings)
    if refusal is not None:
        raise refusal
    # Reading Redis and the database (and the shared files) blocks: not on the event loop.
    body = await run_in_threadpool(metrics.render, settings, request.app.state.metrics_registry)
    return Response(body, media_type=metrics.CONTENT_TYPE)
