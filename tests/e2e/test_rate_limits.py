"""Rate limits and believed addresses on the real stack: the API served by uvicorn, a Celery
worker process and redis-server, with the product's default limits."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from typing import Any

import pytest
from sqlalchemy import select

from moderation.config import Settings
from moderation.domain.statuses import CommentStatus
from moderation.storage.db import session_scope
from moderation.storage.models import Comment
from tests.conftest import RedisServer
from tests.support.stack import Stack, http
from tests.support.staff import decided

# The product's defaults, not the roomy ones other end-to-end tests run with.
DEFAULTS = {
    name: str(Settings.model_fields[name].default)
    for name in ("rate_per_address", "rate_per_site", "rate_auth_failures_per_address")
}


def post(
    stack: Stack,
    path: str,
    body: dict[str, Any],
    source: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """POST JSON from a loopback address of our choosing (127.0.0.0/8 is all this machine)."""
    connection = HTTPConnection("127.0.0.1", stack.port, 10, (source, 0))
    try:
        connection.request(
            "POST",
            path,
            json.dumps(body),
            {"Content-Type": "application/json", **(headers or {})},
        )
        answer = connection.getresponse()
        headers = {name.lower(): value for name, value in answer.getheaders()}
        return answer.status, headers, json.loads(answer.read())
    finally:
        connection.close()


def distinct(number: int) -> dict[str, Any]:
    return {
        "article_id": "flooded-story",
        "author_name": f"Flooder {number}",
        "author_email": f"flooder{number}@example.org",
        "body": f"Buy now, offer number {number} of many, do not miss it.",
    }


def test_a_flood_of_2000_comments_from_one_address_is_refused_and_none_accepted_is_lost(
    database_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    stack = stack_factory(database_url, redis_server, **DEFAULTS)
    stack.start()

    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda n: post(stack, "/api/v1/comments", distinct(n)), range(2000))
        )
    reader = post(stack, "/api/v1/comments", distinct(2000), source="127.0.0.2")

    accepted = [body["id"] for status, _, body in answers if status == 202]
    refused = [(headers, body) for status, headers, body in answers if status == 429]
    # The default allows 10 a minute from one address; the rest are refused, saying when to
    # come back, and another address is still accepted.
    assert len(accepted) == 10
    assert len(refused) == 1990
    assert {body["error"] for _, body in refused} == {"rate_limited"}
    assert all(1 <= int(headers["retry-after"]) <= 3600 for headers, _ in refused)
    assert reader[0] == 202
    # Every comment that was accepted is decided; nothing refused was stored.
    stack.wait_until_decided(11, timeout=60)
    with session_scope(database_url) as session:
        stored = {row.id: row.status for row in session.execute(select(Comment.id, Comment.status))}
    assert sorted(stored) == sorted([*accepted, reader[2]["id"]])
    assert CommentStatus.QUEUED not in stored.values()


def published(stack: Stack) -> int:
    comment_id = stack.submit("reported-story", "Ann Reader", "A perfectly fine comment.")
    decided(stack.database_url, comment_id, CommentStatus.APPROVED, {"spam": 0.01})
    return comment_id


def reported_three_times(stack: Stack, comment_id: int) -> list[bool]:
    """Three reports from one client, each claiming another address in X-Forwarded-For."""
    hidden = []
    for n in (1, 2, 3):
        status, _, body = post(
            stack,
            f"/api/v1/comments/{comment_id}/reports",
            {"reason": "abuse"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
        assert status == 202, body
        hidden.append(body["hidden"])
    return hidden


@pytest.mark.parametrize(
    ("trusted_proxies", "hidden"),
    [
        # One client, one address: its reports count once and the comment stays on the page.
        ("", [False, False, False]),
        # Three readers behind a trusted proxy: the third report hides the comment.
        ("127.0.0.1", [False, False, True]),
    ],
)
def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    database_url: str,
    redis_server: RedisServer,
    stack_factory: Any,
    trusted_proxies: str,
    hidden: list[bool],
) -> None:
    stack = stack_factory(
        database_url, redis_server, reports_to_hide="3", trusted_proxies=trusted_proxies
    )
    stack.start_api()
    comment_id = published(stack)

    assert reported_three_times(stack, comment_id) == hidden
    status, thread = http("GET", f"{stack.base}/api/v1/articles/reported-story/comments")
    assert status == 200
    shown = [c["id"] for c in thread["comments"]]
    assert shown == ([] if hidden[-1] else [comment_id])
