"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from moderation.domain.errors import RETRY_AFTER_SECONDS
from moderation.http.deps import SettingsDep
from moderation.http.responses import RETRY_AFTER
from moderation.messaging.queues import redis_client_url
from moderation.storage.db import engine_for

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Readiness(BaseModel):
    status: str = Field(description="`ok`, or `unavailable`")
    checks: dict[str, str] = Field(description="`database` and `redis`: `ok` or why not")
    message: str | None = Field(default=None, description="what is not ready")


@router.get(
    "/readyz",
    summary="The database and Redis are reachable",
    response_model=Readiness,
    responses={
        503: {
            "model": Readiness,
            "description": "The database or Redis cannot be reached; the answer names which",
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
    try:
        import redis

        if settings.redis_url is None:
            raise RuntimeError("MODERATION_REDIS_URL is not set")
        client = redis.Redis.from_url(
            redis_client_url(settings.redis_url), socket_connect_timeout=1, socket_timeout=1
        )
        try:
            client.ping()
        finally:
            client.close()
        checks["redis"] = "ok"
    except Exception as error:
        checks["redis"] = f"unreachable: {type(error).__name__}"
    failing = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ok" if not failing else "unavailable", "checks": checks}
    if failing:
        body["message"] = "not ready: " + ", ".join(failing)
    if failing:
        # An orchestrator or load balancer asks again after this many seconds.
        return JSONResponse(
            body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    return JSONResponse(body)
