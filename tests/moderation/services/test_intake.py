"""Intake: accepted means stored; when the database cannot store, the site is told to retry."""

from __future__ import annotations

import base64
import concurrent.futures
import json

import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from moderation.app import create_app
from moderation.config import Settings
from moderation.storage.db import session_scope
from moderation.storage.models import Comment
from tests.conftest import RedisServer, free_port
from tests.moderation.conftest import settings_for

VALID = {
    "article_id": "intake",
    "author_name": "Ines",
    "author_email": "ines@example.org",
    "body": "The second phase needs a funding plan before anyone celebrates.",
}


def test_database_down_answers_503_and_stores_nothing(redis_server: RedisServer) -> None:
    closed = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
    settings = Settings(database_url=closed, redis_url=redis_server.url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.post("/api/v1/comments", json=VALID)
    assert answer.status_code == 503
    assert answer.json()["error"] == "storage_unavailable"
    assert "try again" in answer.json()["message"]


def test_many_concurrent_submissions_are_each_stored_once(
    database_url: str, redis_server: RedisServer
) -> None:
    settings = settings_for(database_url, redis_server.url)
    with TestClient(create_app(settings)) as client:

        def submit(number: int) -> int:
            answer = client.post(
                "/api/v1/comments", json={**VALID, "author_name": f"Reader {number}"}
            )
            assert answer.status_code == 202, answer.text
            return int(answer.json()["id"])

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            ids = list(pool.map(submit, range(200)))
    assert len(set(ids)) == 200
    with session_scope(database_url) as session:
        names = session.execute(select(Comment.author_name)).scalars().all()
        stored = session.execute(select(func.count()).select_from(Comment)).scalar_one()
    assert stored == 200
    assert sorted(names) == sorted(f"Reader {n}" for n in range(200))
    # Every stored comment was handed to the queue in batches, each id exactly once.
    queued: list[int] = []
    client_redis = redis.Redis.from_url(redis_server.url)
    for raw in client_redis.lrange("comments", 0, -1):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        queued.extend(body[0][0])
    assert sorted(queued) == sorted(ids)
