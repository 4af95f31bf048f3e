"""Fixtures for the moderation tests: the real app over real databases and a real Redis."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from moderation.app import create_app
from moderation.config import Settings
from moderation.storage.migrate import upgrade
from tests.conftest import ROOMY_RATE_LIMITS, RedisServer, require

VALID: dict[str, Any] = {
    "article_id": "story-1",
    "author_name": "Ann Reader",
    "author_email": "ann@example.com",
    "body": "A thoughtful comment.",
}


def settings_for(database_url: str, redis_url: str, **settings: Any) -> Settings:
    """The app's settings for a test: the roomy rate limits unless it sets its own."""
    return Settings(
        database_url=database_url, redis_url=redis_url, **{**ROOMY_RATE_LIMITS, **settings}
    )


def make_client(database_url: str, redis_url: str, **settings: Any) -> TestClient:
    """The real app; server errors come back as responses so a test can assert on them."""
    app = create_app(settings_for(database_url, redis_url, **settings))
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    require(shutil.which("redis-server") is not None, "redis-server is not on PATH")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shared_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite file for a module of tests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'moderation.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def shared_client(shared_database_url: str, shared_redis: RedisServer) -> Iterator[TestClient]:
    """One app over one SQLite file for a module of stateless validation tests (fast)."""
    with make_client(shared_database_url, shared_redis.url) as client:
        yield client


@pytest.fixture
def client(database_url: str, redis_server: RedisServer) -> Iterator[TestClient]:
    """The app over a fresh database of each kind (SQLite, and PostgreSQL where configured)."""
    with make_client(database_url, redis_server.url) as client:
        yield client


@pytest.fixture
def api(database_url: str, redis_server: RedisServer) -> Iterator[TestClient]:
    """The app over a fresh database, reached over https as a browser reaches the workspace
    (its session cookie is Secure)."""
    with make_client(database_url, redis_server.url) as client:
        client.base_url = client.base_url.copy_with(scheme="https")
        yield client
