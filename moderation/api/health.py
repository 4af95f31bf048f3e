"""Liveness and readiness, for load balancers and orchestrators: ready means comments are
taken (the database and Redis answer) and decided (a worker sent a heartbeat lately); ready for
intake means this process accepts comments (the database answers), whether or not anything
decides them yet, which is what an orchestrator should route traffic on."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from moderation.domain.errors import RETRY_AFTER_SECONDS
from moderation.http.deps import SettingsDep
from moderation.http.responses import RETRY_AFTER
from moderation.services import health

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
        "cannot be read). /readyz/intake checks `database` alone"
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
    return _answer(health.readiness_checks(settings))


@router.get(
    "/readyz/intake",
    summary="This process accepts comments: the database is reachable (workers or not)",
    response_model=Readiness,
    responses={
        503: {
            "model": Readiness,
            "description": "The database cannot be reached: a comment could not be stored",
            "headers": RETRY_AFTER,
        }
    },
)
def readyz_intake(settings: SettingsDep) -> JSONResponse:
    """For an orchestrator's readiness probe: with no worker, or Redis away, comments are
    still stored and decided later, so the API stays in service."""
    return _answer(health.intake_checks(settings))


def _answer(checks: dict[str, str]) -> JSONResponse:
    failing = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ok" if not failing else "unavailable", "checks": checks}
    if failing:
        body["message"] = "not ready: " + ", ".join(failing)
        # An orchestrator or load balancer asks again after this many seconds.
        return JSONResponse(
            body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    return JSONResponse(body)
