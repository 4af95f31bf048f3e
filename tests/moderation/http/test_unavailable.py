"""When the database is away, every answer is a 503 that says when to try again (Retry-After),
never a 500: a submission, a read, the sites directory, /readyz and /readyz/intake, the
moderation API, the workspace and the Perspective- and Akismet-compatible APIs.

Two real outages: a PostgreSQL server that is not there (nothing listens on its port) from the
start, so no site was ever read; and a database dropped while the service runs, so the sites are
known and the submission reaches the intake, whose commit fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from moderation.domain.errors import RETRY_AFTER_SECONDS
from moderation.services.accounts import Role
from tests.conftest import RedisServer, free_port
from tests.moderation.conftest import VALID, make_client
from tests.support.staff import add_account
from tests.support.tables import cases

TOKEN = {"Authorization": "Bearer mod_unknown-while-the-database-is-away"}
SITE_KEY = "sk_unknown-while-the-database-is-away"
ORIGIN = {"Origin": "https://news.example"}

# (name, method, path, request arguments)
REQUESTS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("submit JSON", "POST", "/api/v1/comments", {"json": VALID}),
    ("submit form", "POST", "/api/v1/comments", {"data": VALID}),
    ("submit from a site's page", "POST", "/api/v1/comments", {"json": VALID, "headers": ORIGIN}),
    (
        "CORS preflight",
        "OPTIONS",
        "/api/v1/comments",
        {"headers": {**ORIGIN, "Access-Control-Request-Method": "POST"}},
    ),
    ("status", "GET", "/api/v1/comments/1", {}),
    ("article list", "GET", "/api/v1/articles/story-1/comments", {}),
    ("report", "POST", "/api/v1/comments/1/reports", {"json": {"reason": "spam"}}),
    ("readiness", "GET", "/readyz", {}),
    ("intake readiness", "GET", "/readyz/intake", {}),
    ("moderation queue", "GET", "/api/v1/moderation/queue", {"headers": TOKEN}),
    (
        "moderation decision",
        "POST",
        "/api/v1/moderation/comments/1/decision",
        {"headers": TOKEN, "json": {"action": "approve"}},
    ),
    ("audit export", "GET", "/api/v1/moderation/audit.csv", {"headers": TOKEN}),
    ("admin word rules", "GET", "/api/v1/admin/word-rules", {"headers": TOKEN}),
    ("workspace page", "GET", "/moderation", {"headers": {"Cookie": "moderation_session=s"}}),
    ("article page", "GET", "/articles/story-1", {}),
    (
        "Perspective analyze",
        "POST",
        f"/v1alpha1/comments:analyze?key={SITE_KEY}",
        {"json": {"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}}},
    ),
    (
        "Akismet comment-check",
        "POST",
        "/1.1/comment-check",
        {"data": {"api_key": SITE_KEY, "blog": "https://news.example", "user_ip": "192.0.2.1"}},
    ),
]


def assert_unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == str(RETRY_AFTER_SECONDS), answer.headers


@pytest.fixture(scope="module")
def nowhere(shared_redis: RedisServer) -> Iterator[TestClient]:
    """The service over a PostgreSQL server that is not there: connections are refused."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    with make_client(url, shared_redis.url) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "arguments"),
    cases(REQUESTS),
)
def test_with_the_database_server_away_every_request_is_503_with_retry_after(
    nowhere: TestClient, method: str, path: str, arguments: dict[str, Any]
) -> None:
    nowhere.cookies.clear()

    answer = nowhere.request(method, path, follow_redirects=False, **arguments)

    assert_unavailable(answer)
    if path.startswith("/api/"):
        body = answer.json()
        assert body["error"] == "storage_unavailable"
        assert "try again" in body["message"]
        assert body["fields"] == []


def test_perspectives_unavailable_is_in_googles_shape(nowhere: TestClient) -> None:
    answer = nowhere.post(
        f"/v1alpha1/comments:suggestscore?key={SITE_KEY}",
        json={"comment": {"text": "hi"}, "attributeScores": {"TOXICITY": {}}},
    )

    assert_unavailable(answer)
    assert answer.json()["error"]["status"] == "UNAVAILABLE"


def _drop(database_url: str) -> None:
    """DROP DATABASE ... WITH (FORCE): PostgreSQL ends the service's open connections too."""
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_database_dropped_while_serving_gives_503_with_retry_after(
    database_url: str, redis_server: RedisServer
) -> None:
    moderator = add_account(database_url, "outage-mod", Role.MODERATOR)
    with make_client(database_url, redis_server.url) as client:
        stored = client.post("/api/v1/comments", json=VALID)  # the sites are read now
        assert stored.status_code == 202, stored.text
        comment = stored.json()["id"]

        _drop(database_url)
        submitted = client.post("/api/v1/comments", json={**VALID, "body": "Once more."})
        read = client.get(f"/api/v1/comments/{comment}")
        listed = client.get("/api/v1/articles/story-1/comments")
        queue = client.get("/api/v1/moderation/queue", headers=moderator.headers)
        ready = client.get("/readyz")

    for answer in (submitted, read, listed, queue, ready):
        assert_unavailable(answer)
    # The intake's own refusal: the comment was not stored.
    assert "could not be stored" in submitted.json()["message"]
