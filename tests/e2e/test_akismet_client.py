"""The real PyPI `akismet` client against the Akismet-compatible API served by uvicorn, with a
real Celery worker deciding what comment-check waits for: what a Python site sees when it
points its Akismet integration at this service."""

from __future__ import annotations

from typing import Any

import akismet
import httpx
import pytest
from sqlalchemy import select

from moderation.domain.statuses import CommentStatus
from moderation.services import sites
from moderation.storage.db import session_scope
from moderation.storage.models import Comment, ModeratorLabel
from tests.conftest import RedisServer

BLOG = "https://news.example"
READER = {
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    "permalink": "https://news.example/2026/05/rail-yard-park/",
    "comment_type": "comment",
}
CLEAN = {
    **READER,
    "comment_author": "Jane Reader",
    "comment_author_email": "jane@example.org",
    "comment_content": "I grew up near the rail yard. Glad something useful is finally happening.",
}
SPAM = {
    **READER,
    "comment_author": "Cheap Pills",
    "comment_author_email": "deals@pharma-online.example",
    "comment_author_url": "http://cheap-pills.example",
    "comment_content": "Buy cheap viagra cialis online without prescription!!! Best casino "
    "bonus http://cheap-pills.example http://casino-bonus.example click here now",
}


class ToServer(httpx.BaseTransport):
    """Sends every request to the test server, whatever host the client addressed: the client's
    base URL (rest.akismet.com) is a private constant, its `http_client` is public."""

    def __init__(self, base: str) -> None:
        self.target = httpx.URL(base)
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self.target.scheme, host=self.target.host, port=self.target.port
        )
        request.headers["Host"] = f"{self.target.host}:{self.target.port}"
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def client_for(base: str, key: str) -> akismet.SyncClient:
    http_client = httpx.Client(
        transport=ToServer(base), headers={"User-Agent": akismet.USER_AGENT}, timeout=15
    )
    return akismet.SyncClient(config=akismet.Config(key=key, url=BLOG), http_client=http_client)


def _status(database_url: str, comment_id: int) -> CommentStatus:
    with session_scope(database_url) as session:
        return session.execute(select(Comment.status).where(Comment.id == comment_id)).scalar_one()


def _comments(database_url: str) -> list[tuple[int, str, CommentStatus]]:
    with session_scope(database_url) as session:
        rows = session.execute(
            select(Comment.id, Comment.body, Comment.status).order_by(Comment.id)
        ).all()
    return [(row.id, row.body, row.status) for row in rows]


def test_the_pypi_client_checks_and_submits_through_the_worker(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    with session_scope(sqlite_url) as session:
        key = sites.add_site(session, "news", "News", BLOG, [], {}).secret_key
    stack = stack_factory(sqlite_url, redis_server, akismet_timeout_seconds="2")
    stack.start_api()
    worker = stack.start_worker(beat=False)
    # The worker is ready once it has decided one comment.
    stack.submit("warm-up", "Olu", "Good to see the park plans moving.")
    stack.wait_until_decided(1, timeout=90)
    client = client_for(stack.base, key)

    assert client.verify_key() is True
    assert client_for(stack.base, "sk_not-a-key").verify_key() is False

    ham = client.comment_check(user_ip="203.0.113.7", **CLEAN)
    spam = client.comment_check(user_ip="198.51.100.23", **SPAM)

    assert ham is akismet.CheckResponse.HAM
    assert spam in (akismet.CheckResponse.SPAM, akismet.CheckResponse.DISCARD)
    stored = {body: (comment_id, status) for comment_id, body, status in _comments(sqlite_url)}
    ham_id, ham_status = stored[CLEAN["comment_content"]]
    spam_id, spam_status = stored[SPAM["comment_content"]]
    assert (ham_status, spam_status) == (CommentStatus.APPROVED, CommentStatus.SPAM)
    assert client.usage_limit()["usage"] == 2

    # The site's moderators disagree with both: submissions become statuses and labels.
    assert client.submit_spam(user_ip="203.0.113.7", **CLEAN) is True
    assert client.submit_ham(user_ip="198.51.100.23", **SPAM) is True
    assert _status(sqlite_url, ham_id) is CommentStatus.SPAM
    assert _status(sqlite_url, spam_id) is CommentStatus.APPROVED
    with session_scope(sqlite_url) as session:
        labels = {
            (label.comment_id, label.spam, label.actor)
            for label in session.execute(select(ModeratorLabel)).scalars()
        }
    assert labels == {(ham_id, True, "akismet:news"), (spam_id, False, "akismet:news")}

    # No worker: within the timeout the client gets Akismet's error signal, never a verdict.
    stack.kill(worker)
    late = {**CLEAN, "comment_content": "Will the January session be streamed online?"}
    with pytest.raises(akismet.ProtocolError) as raised:
        client.comment_check(user_ip="203.0.113.8", **late)
    assert "no decision within 2 s" in str(raised.value)
    (late_id, _, late_status) = _comments(sqlite_url)[-1]
    assert late_status is CommentStatus.QUEUED

    # A worker comes back and decides it from the queue; the re-check answers from that comment.
    stack.start_worker(beat=False)
    stack.wait_until_decided(4, timeout=90)
    again = client.comment_check(user_ip="203.0.113.8", recheck_reason="recheck_queue", **late)
    assert again is akismet.CheckResponse.HAM
    assert _comments(sqlite_url)[-1][0] == late_id
    assert _status(sqlite_url, late_id) is CommentStatus.APPROVED
