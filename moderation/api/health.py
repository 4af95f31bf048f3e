"""Liveness and readiness, for load balancers and orchestrators: ready means comments are
taken (the database and Redis answer) and decided (a worker sent a heartbeat lately)."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from moderation.config import Settings
from moderation.domain.errors import RETRY_AFTER_SECONDS
from moderation.http.deps import SettingsDep
from moderation.http.responses import RETRY_AFTER
from moderation.messaging.heartbeats import newest_beat, redis_client, worker_check
from moderation.messaging.queues import COMMENTS_QUEUE
from moderation.storage.db import engine_for

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Readiness(BaseModel):
    status: str = Field(description="`ok`, or `unavailable`")
    checks: dict[str, str] = Field(
        description="`database` and `redis`: `ok` or why not (unreachable); `worker`: `ok` "
        "when a worker serving the comments queue sent a heartbeat within "
        "MODERATION_WORKER_STALE_SECONDS, else since when none has (or `unknown` while Redis "
        "cannot be read)"
    )
    message: str | None = Field(default=None, description="what is not ready")


@router.get(
    "/readyz",
    summary="The database and Redis are reachable, and a worker is deciding comments",
    response_model=Readiness,
    responses={
        503: {
            "model": Readiness,
            "description": "The database or Redis cannot be reached, or no worker serving the "
            "comments queue has sent a heartbeat lately; the answer names which",
            "headers": RETRY_AFTER,
        }
    },
)
def readyz(settings: SettingsDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with engine_for(settings.database_url).connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
    checks.update(_broker_checks(settings))
    failing = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ok" if not failing else "unavailable", "checks": checks}
    if failing:
        body["message"] = "not ready: " + ", ".join(failing)
        # An orchestrator or load balancer asks again after this many seconds.
        return JSONResponse(
            body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    return JSONResponse(body)


def _broker_checks(settings: Settings) -> dict[str, str]:
    """`redis` and `worker` from one read: the newest heartbeat of a worker serving the comments
    queue (which also proves Redis answers)."""
    try:
        if settings.redis_url is None:
            raise RuntimeError("MODERATION_REDIS_URL is not set")
        client = redis_client(settings.redis_url)
        try:
            newest = newest_beat(client, COMMENTS_QUEUE)
        finally:
            client.close()
    except Exception as error:
        return {
            "redis": f"unreachable: {type(error).__name__}",
            "worker": "unknown: Redis cannot be read",
        }
    return {
        "redis": "ok",
        "worker": worker_check(newest, time.time(), settings.worker_stale_seconds),
    }
