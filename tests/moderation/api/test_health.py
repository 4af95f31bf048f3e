"""Liveness and readiness, with real Redis and real (or deliberately unreachable) databases.

Readiness also needs a worker serving the comments queue: these tests write its heartbeat as a
worker does (moderation.messaging.heartbeats); tests/e2e/test_health_and_processes.py runs real
workers and kills them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import RedisServer, free_port
from tests.moderation.conftest import make_client
from tests.support.heartbeats import beat


def assert_not_ready(response: Any, down: str, up: str) -> None:
    """/readyz's 503 names the part that is down, and only that one."""
    assert response.status_code == 503
    answer = response.json()
    assert answer["checks"][up] == "ok"
    assert answer["checks"][down].startswith("unreachable")
    assert down in answer["message"]
    assert up not in answer["message"]


def test_healthz(shared_client: TestClient) -> None:
    response = shared_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_when_everything_is_up(client: TestClient, redis_server: RedisServer) -> None:
    beat(redis_server.url)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "worker": "ok"}


@pytest.mark.parametrize(
    ("queues", "age", "said"),
    [
        (None, 0.0, "no worker serving the comments queue has sent a heartbeat"),
        (("comments", "explanations"), 20.0, "in 15 s (the last 20 s ago)"),
        (("webhooks",), 0.0, "no worker serving the comments queue has sent a heartbeat"),
    ],
    ids=["no worker ever", "the last beat is stale", "workers for webhooks only"],
)
def test_readyz_is_503_naming_the_worker_while_none_takes_comments(
    sqlite_url: str,
    redis_server: RedisServer,
    queues: tuple[str, ...] | None,
    age: float,
    said: str,
) -> None:
    if queues is not None:
        beat(redis_server.url, queues, age)
    with make_client(sqlite_url, redis_server.url) as client:
        response = client.get("/readyz")

    assert response.status_code == 503
    answer = response.json()
    assert answer["checks"]["database"] == "ok"
    assert answer["checks"]["redis"] == "ok"
    assert said in answer["checks"]["worker"]
    assert answer["message"] == "not ready: worker"
    assert response.headers["retry-after"]


def test_readyz_waits_as_long_as_the_stale_setting_says(
    sqlite_url: str, redis_server: RedisServer
) -> None:
    beat(redis_server.url, age=20.0)
    with make_client(sqlite_url, redis_server.url, worker_stale_seconds=30) as client:
        response = client.get("/readyz")

    assert response.status_code == 200, response.text


def test_readyz_is_503_naming_redis_when_redis_is_down(sqlite_url: str) -> None:
    with make_client(sqlite_url, f"redis://127.0.0.1:{free_port()}/0") as client:
        response = client.get("/readyz")

    assert_not_ready(response, down="redis", up="database")
    assert response.json()["checks"]["worker"] == "unknown: Redis cannot be read"


def test_readiness_is_503_naming_the_database_when_it_is_unreachable(
    redis_server: RedisServer,
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    beat(redis_server.url)
    with make_client(url, redis_server.url) as client:
        response = client.get("/readyz")
        intake = client.get("/readyz/intake")
        alive = client.get("/healthz")

    assert_not_ready(response, down="database", up="redis")
    assert response.json()["message"] == "not ready: database"
    assert intake.status_code == 503  # a comment could not be stored
    assert intake.json()["checks"]["database"].startswith("unreachable")
    assert intake.json()["message"] == "not ready: database"
    assert intake.headers["retry-after"]
    assert alive.status_code == 200  # alive, just not ready


def test_readyz_names_both_when_both_are_down() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    with make_client(url, f"redis://127.0.0.1:{free_port()}/0") as client:
        response = client.get("/readyz")

    assert response.status_code == 503
    assert "database" in response.json()["message"]
    assert "redis" in response.json()["message"]


def test_redis_recovering_makes_the_service_ready_again(
    sqlite_url: str, redis_server: RedisServer
) -> None:
    with make_client(sqlite_url, redis_server.url) as client:
        redis_server.stop()
        down = client.get("/readyz")
        redis_server.start()
        beat(redis_server.url)  # the workers reconnect and beat again
        up = client.get("/readyz")

    assert down.status_code == 503
    assert "redis" in down.json()["message"]
    assert up.status_code == 200


def test_intake_readiness_needs_the_database_only_neither_a_worker_nor_redis(
    sqlite_url: str, redis_server: RedisServer
) -> None:
    """What an orchestrator routes traffic on: comments are stored while workers are away."""
    with make_client(sqlite_url, redis_server.url) as client:
        no_worker = client.get("/readyz/intake")
        everything = client.get("/readyz")
        redis_server.stop()
        no_redis = client.get("/readyz/intake")
        redis_server.start()

    assert everything.status_code == 503  # nothing would decide the comments
    for answer in (no_worker, no_redis):
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"status": "ok", "checks": {"database": "ok"}}
