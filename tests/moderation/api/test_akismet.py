"""The Akismet-compatible API over the real app: its wire format (answers, errors with HTTP 200
and their headers), the test triggers and the honeypot, submissions as labels and audit events,
and comment-check waiting for a real worker's decision through the decision feed.

The worker here is the real decide task (workers.tasks.decide_comments) run in a thread of this
process on the comments the API queued, publishing on the real Redis the API subscribes to;
tests/e2e/test_akismet_client.py runs the same path with worker processes, uvicorn and the PyPI
client.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from classifiers import DEFAULT_MODEL_DIR
from moderation.app import create_app
from moderation.config import get_settings
from moderation.domain.policy import Thresholds
from moderation.domain.statuses import CommentStatus
from moderation.messaging.decision_feed import Decided, DecisionFeed, publish_decisions
from moderation.services import akismet, sites
from moderation.storage.db import session_scope
from moderation.storage.models import (
    Article,
    Comment,
    Decision,
    ModerationEvent,
    ModeratorLabel,
)
from tests.conftest import RedisServer
from tests.moderation.conftest import settings_for

THANKS = "Thanks for making the web a better place."
BLOG = "https://news.example"
CLEAN = (
    "Thanks for the clear reporting on the council budget. "
    "I hadn't realised the library cuts were this large."
)
SPAM = (
    "Buy cheap viagra cialis online without prescription!!! Best casino bonus "
    "http://cheap-pills.example http://casino-bonus.example click here now"
)


def _site(database_url: str, slug: str = "news") -> sites.SiteInfo:
    with session_scope(database_url) as session:
        return sites.SiteInfo.of(sites.add_site(session, slug, "News", BLOG, [], {}))


def _app(database_url: str, redis_url: str, **settings: Any) -> TestClient:
    app = create_app(settings_for(database_url, redis_url, **settings))
    return TestClient(app, raise_server_exceptions=False)


def _check(key: str, **fields: str) -> dict[str, str]:
    return {
        "api_key": key,
        "blog": BLOG,
        "user_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        "referrer": "https://news.example/2026/05/budget/",
        "permalink": "https://news.example/2026/05/budget/",
        "comment_type": "comment",
        "comment_author": "Jane Reader",
        "comment_author_email": "jane@example.org",
        "comment_content": CLEAN,
        **fields,
    }


class InProcessWorker:
    """The real decide task, run in a thread on whatever the API queued."""

    def __init__(self, database_url: str, tasks: ModuleType) -> None:
        self.database_url = database_url
        self.tasks = tasks
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.errors: list[BaseException] = []

    def _run(self) -> None:
        while not self.stopping.wait(0.02):
            try:
                with session_scope(self.database_url) as session:
                    ids = list(
                        session.execute(
                            select(Comment.id).where(Comment.status == CommentStatus.QUEUED)
                        ).scalars()
                    )
                if ids:
                    self.tasks.decide_comments.run(ids)
            except BaseException as error:  # shown by the test that owns the worker
                self.errors.append(error)

    def __enter__(self) -> InProcessWorker:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join(10)
        assert not self.errors, self.errors


@pytest.fixture
def worker_tasks(
    shared_redis: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A factory of in-process workers for a database, with the worker's settings (that
    database, the real Redis the API subscribes to, the shipped model)."""
    for name in [n for n in os.environ if n.startswith("MODERATION_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MODERATION_REDIS_URL", shared_redis.url)
    monkeypatch.setenv("MODERATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MODERATION_MODEL_DIR", str(DEFAULT_MODEL_DIR))

    def worker_for(database_url: str) -> InProcessWorker:
        monkeypatch.setenv("MODERATION_DATABASE_URL", database_url)
        get_settings.cache_clear()
        return InProcessWorker(database_url, importlib.import_module("workers.tasks"))

    try:
        yield worker_for
    finally:
        get_settings.cache_clear()


def _rows(database_url: str, model: Any, **where: Any) -> list[Any]:
    with session_scope(database_url) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(session.execute(query.order_by(model.id)).scalars())


# --- wire details, on one SQLite database ----------------------------------------------------


@pytest.fixture(scope="module")
def wire(shared_database_url: str, shared_redis: RedisServer) -> Iterator[tuple[TestClient, str]]:

    url = shared_database_url
    site = _site(url)
    with _app(url, shared_redis.url) as client:
        yield client, site.secret_key


def test_verify_key_says_valid_for_a_sites_key_and_invalid_otherwise(
    wire: tuple[TestClient, str],
) -> None:
    client, key = wire

    good = client.post("/1.1/verify-key", data={"key": key, "blog": BLOG})
    elsewhere = client.post("/1.1/verify-key", data={"key": key, "blog": "https://other.example"})
    wrong = client.post("/1.1/verify-key", data={"key": "sk_not-a-key", "blog": BLOG})
    empty = client.post("/1.1/verify-key", data={"blog": BLOG})

    assert (good.status_code, good.text) == (200, "valid")
    assert good.headers["content-type"].startswith("text/plain")
    assert elsewhere.text == "valid"  # Akismet does not tie a key to one blog either
    assert (wrong.status_code, wrong.text) == (200, "invalid")
    assert wrong.headers["x-akismet-debug-help"] == "Invalid key"
    assert (empty.text, empty.headers["x-akismet-debug-help"]) == ("invalid", 'Empty "key" value')


@pytest.mark.parametrize(
    ("path", "change", "help_text"),
    [
        ("/1.1/comment-check", {"api_key": ""}, 'Empty "api_key" value'),
        ("/1.1/comment-check", {"api_key": "sk_unknown"}, "Invalid key"),
        ("/1.1/comment-check", {"blog": ""}, 'Empty "blog" value'),
        ("/1.1/comment-check", {"user_ip": ""}, 'Empty "user_ip" value'),
        ("/1.1/submit-spam", {"api_key": ""}, 'Empty "api_key" value'),
        ("/1.1/submit-ham", {"user_ip": ""}, 'Empty "user_ip" value'),
    ],
)
def test_a_bad_request_is_answered_invalid_with_http_200_and_the_reason(
    wire: tuple[TestClient, str], path: str, change: dict[str, str], help_text: str
) -> None:
    client, key = wire

    answer = client.post(path, data=_check(key, **change))

    assert (answer.status_code, answer.text) == (200, "invalid")
    assert answer.headers["x-akismet-debug-help"] == help_text
    assert answer.headers["content-type"].startswith("text/plain")


def test_only_a_form_is_read(wire: tuple[TestClient, str]) -> None:
    client, key = wire

    answer = client.post("/1.1/comment-check", json=_check(key))

    assert (answer.status_code, answer.text) == (200, "invalid")
    assert "application/x-www-form-urlencoded" in answer.headers["x-akismet-debug-help"]


def test_the_test_triggers_and_the_honeypot_are_decided_at_once(
    wire: tuple[TestClient, str],
) -> None:
    """No worker runs for this client: these answers come from the request itself."""
    client, key = wire
    # WordPress sends its server variables and form fields too: tolerated, ignored.
    noise = {"POST_ak_js": "123", "HTTP_ACCEPT": "text/html", "comment_post_ID": "12"}

    guaranteed = client.post(
        "/1.1/comment-check",
        data=_check(key, comment_author="akismet-guaranteed-spam", **noise),
    )
    by_email = client.post(
        "/1.1/comment-check",
        data=_check(key, comment_author_email="akismet-guaranteed-spam@example.com"),
    )
    admin = client.post(
        "/1.1/comment-check",
        data=_check(key, user_role="editor,administrator", comment_content=SPAM, **noise),
    )
    honeypot = client.post(
        "/1.1/comment-check",
        data=_check(key, honeypot_field_name="hidden_website", hidden_website="http://x.example"),
    )
    for spam in (guaranteed, by_email, honeypot):
        assert (spam.status_code, spam.text) == (200, "true")
        assert spam.headers["x-akismet-pro-tip"] == "discard"
        assert spam.headers["x-moderation-status"] == "spam"
    assert (admin.text, admin.headers["x-moderation-status"]) == ("false", "approved")
    assert "x-akismet-pro-tip" not in admin.headers
    guids = {a.headers["x-akismet-guid"] for a in (guaranteed, by_email, admin, honeypot)}
    assert len(guids) == 4
    # Stored as the site's comments with their reasons, decided in the audit log by the API.
    comment_id = int(honeypot.headers["x-moderation-comment-id"])
    database_url = client.app.state.settings.database_url  # type: ignore[attr-defined]
    (decision,) = _rows(database_url, Decision, comment_id=comment_id)
    assert decision.reasons == [
        {"rule": "honeypot", "value": "hidden_website", "threshold": None, "op": None}
    ]
    (event,) = _rows(database_url, ModerationEvent, comment_id=comment_id)
    assert (event.actor, event.to_status) == ("akismet:news", CommentStatus.SPAM)
    (comment,) = _rows(database_url, Comment, id=comment_id)
    assert (comment.channel, comment.client_ip) == ("akismet", "203.0.113.7")


# Thresholds() holds from a spam score of 0.5 and removes from 0.98.
@pytest.mark.parametrize(
    ("status", "spam", "thresholds", "body", "discard"),
    [
        (CommentStatus.APPROVED, 0.1, Thresholds(), "false", False),
        # Held on its spam score: filed under spam, where a person can still rescue it.
        (CommentStatus.PENDING, 0.6, Thresholds(), "true", False),
        (CommentStatus.PENDING, 0.97, Thresholds(), "true", False),
        # Held for anything else (toxicity, links, a new author): ham to Akismet.
        (CommentStatus.PENDING, 0.2, Thresholds(), "false", False),
        (CommentStatus.PENDING, None, Thresholds(), "false", False),
        # A site that holds from 0.7 only: a 0.6 was held for another reason.
        (CommentStatus.PENDING, 0.6, Thresholds(spam_hold=0.7), "false", False),
        (CommentStatus.SPAM, 0.7, Thresholds(), "true", False),
        (CommentStatus.SPAM, 0.99, Thresholds(), "true", True),
        (CommentStatus.REJECTED, 0.1, Thresholds(), "true", False),
    ],
)
def test_each_decision_is_answered_as_akismet_words_it(
    status: CommentStatus, spam: float | None, thresholds: Thresholds, body: str, discard: bool
) -> None:
    answer = akismet.answer(Decided(7, status, spam), thresholds)
    assert answer.body == body
    assert ("X-akismet-pro-tip" in answer.headers) == discard
    assert answer.headers["X-Moderation-Status"] == status.value
    assert answer.headers["X-akismet-guid"] == "moderation-7"


def test_usage_limit_counts_the_sites_checks_this_month(wire: tuple[TestClient, str]) -> None:
    client, key = wire
    before = client.get("/1.2/usage-limit", params={"api_key": key}).json()
    client.post("/1.1/comment-check", data=_check(key, user_role="administrator"))

    after = client.get("/1.2/usage-limit", params={"api_key": key})
    refused = client.get("/1.2/usage-limit", params={"api_key": "sk_nope"})

    assert after.json() == {
        "limit": "none",
        "usage": before["usage"] + 1,
        "percentage": "0",
        "throttled": False,
    }
    assert (refused.text, refused.headers["x-akismet-debug-help"]) == ("invalid", "Invalid key")


# --- comment-check with a real worker, submissions, on SQLite and PostgreSQL -------------------


def test_comment_check_answers_with_the_workers_decision_and_submissions_teach(
    database_url: str, shared_redis: RedisServer, worker_tasks: Any
) -> None:
    site = _site(database_url)
    key = site.secret_key
    with (
        _app(database_url, shared_redis.url, akismet_timeout_seconds=30) as client,
        worker_tasks(database_url),
    ):
        # A honeypot left empty, as a reader leaves it: no sign of spam.
        ham = client.post(
            "/1.1/comment-check",
            data=_check(key, is_test="true", honeypot_field_name="hidden_url", hidden_url=""),
        )
        spam = client.post(
            "/1.1/comment-check",
            data=_check(
                key,
                comment_author="Cheap Pills",
                comment_author_email="deals@pharma-online.example",
                comment_author_url="http://cheap-pills.example",
                comment_content=SPAM,
            ),
        )
        feed: DecisionFeed = client.app.state.decision_feed  # type: ignore[attr-defined]
        woken_by_messages = feed.messages

        assert (ham.status_code, ham.text) == (200, "false")
        assert ham.headers["x-moderation-status"] == "approved"
        assert (spam.text, spam.headers["x-akismet-pro-tip"]) == ("true", "discard")
        assert ham.headers["x-akismet-guid"] != spam.headers["x-akismet-guid"]
        assert woken_by_messages >= 1  # the worker's announcement, not only the poll

        # The reader's details became the comment's; the permalink its article.
        ham_id = int(ham.headers["x-moderation-comment-id"])
        spam_id = int(spam.headers["x-moderation-comment-id"])
        (stored,) = _rows(database_url, Comment, id=ham_id)
        # is_test: a moderator's decision on it will teach nothing.
        assert stored.is_test and not _rows(database_url, Comment, id=spam_id)[0].is_test
        assert (stored.client_ip, stored.user_agent, stored.channel, stored.author_name) == (
            "203.0.113.7",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
            "akismet",
            "Jane Reader",
        )
        (article,) = _rows(database_url, Article, id=stored.article_id)
        assert (article.site_id, article.external_id, article.url) == (
            site.id,
            "/2026/05/budget/",
            "https://news.example/2026/05/budget/",
        )

        # The site says the ham was spam (found by author and text), and the spam was ham
        # (found by the guid we gave out).
        missed = client.post("/1.1/submit-spam", data=_check(key))
        wrong = client.post(
            "/1.1/submit-ham",
            data=_check(key, guid=spam.headers["x-akismet-guid"], comment_content="edited"),
        )
        tested = client.post("/1.1/submit-spam", data=_check(key, is_test="1"))
        unknown = client.post(
            "/1.1/submit-spam",
            data=_check(key, comment_content="Never checked: cheap watches www.w.example"),
        )

    assert [a.text for a in (missed, wrong, tested, unknown)] == [THANKS] * 4
    assert int(missed.headers["x-moderation-comment-id"]) == ham_id
    assert int(wrong.headers["x-moderation-comment-id"]) == spam_id
    statuses = {c.id: c.status for c in _rows(database_url, Comment)}
    assert statuses[ham_id] == CommentStatus.SPAM
    assert statuses[spam_id] == CommentStatus.APPROVED
    unknown_id = int(unknown.headers["x-moderation-comment-id"])
    assert statuses[unknown_id] == CommentStatus.SPAM
    labels = {(label.comment_id, label.action, label.spam, label.toxic, label.actor)
              for label in _rows(database_url, ModeratorLabel)}  # fmt: skip
    # One label each, none for the is_test submission.
    assert labels == {
        (ham_id, "spam", True, None, "akismet:news"),
        (spam_id, "not_spam", False, False, "akismet:news"),
        (unknown_id, "spam", True, None, "akismet:news"),
    }
    events = [
        (e.actor, e.from_status, e.to_status, e.reason)
        for e in _rows(database_url, ModerationEvent, comment_id=ham_id)
    ]
    assert events == [
        ("policy", CommentStatus.QUEUED, CommentStatus.APPROVED, events[0][3]),
        ("akismet:news", CommentStatus.APPROVED, CommentStatus.SPAM, "akismet submit-spam"),
        (
            "akismet:news",
            CommentStatus.SPAM,
            CommentStatus.SPAM,
            "akismet submit-spam (is_test: not learned from)",
        ),
    ]


def test_without_a_worker_the_check_says_error_and_a_recheck_gets_the_decision(
    sqlite_url: str, shared_redis: RedisServer, worker_tasks: Any
) -> None:
    key = _site(sqlite_url).secret_key
    with _app(sqlite_url, shared_redis.url, akismet_timeout_seconds=0.3) as client:
        first = client.post("/1.1/comment-check", data=_check(key))

        assert (first.status_code, first.text) == (200, "error")
        assert "no decision within 0.3 s" in first.headers["x-akismet-error"]
        assert first.headers["x-akismet-guid"]
        assert first.headers["x-moderation-status"] == "queued"
        (held,) = _rows(sqlite_url, Comment)
        assert held.status == CommentStatus.QUEUED  # stored, and decided later as usual

        with worker_tasks(sqlite_url):
            for _ in range(500):
                (held,) = _rows(sqlite_url, Comment)
                if held.status is not CommentStatus.QUEUED:
                    break
                threading.Event().wait(0.02)
        # WordPress re-checks what it held, with a reason: the same comment answers.
        again = client.post("/1.1/comment-check", data=_check(key, recheck_reason="recheck_queue"))

    assert (again.text, again.headers["x-akismet-guid"]) == (
        "false",
        first.headers["x-akismet-guid"],
    )
    assert len(_rows(sqlite_url, Comment)) == 1


# --- the decision feed itself, over a Redis that goes away ------------------------------------


def test_the_decision_feed_wakes_waiters_and_survives_redis_restarting(
    redis_server: RedisServer,
) -> None:
    in_database: dict[int, Decided] = {}

    def read_decided(ids: list[int]) -> list[Decided]:
        return [in_database[i] for i in ids if i in in_database]

    async def scenario() -> None:
        feed = DecisionFeed(redis_server.address, read_decided, poll_seconds=0.2)
        try:
            assert await feed.ready(5)

            async def later(decided: Decided) -> None:
                await asyncio.sleep(0.05)
                await asyncio.to_thread(publish_decisions, redis_server.address, [decided])

            def announce(decided: Decided) -> asyncio.Task[None]:
                return asyncio.create_task(later(decided))

            sent = announce(Decided(1, CommentStatus.APPROVED, 0.01))
            assert await feed.wait(1, 10) == Decided(1, CommentStatus.APPROVED, 0.01)
            await sent
            assert feed.messages == 1

            # Decided before anyone waited (a fast worker): remembered for the late waiter.
            assert await asyncio.to_thread(
                publish_decisions, redis_server.address, [Decided(2, CommentStatus.SPAM, 0.99)]
            )
            while feed.messages < 2:
                await asyncio.sleep(0.01)
            assert await feed.wait(2, 0.01) == Decided(2, CommentStatus.SPAM, 0.99)

            # Nobody decides: the wait ends with None at its timeout.
            assert await feed.wait(3, 0.3) is None
            assert feed.waiting == 0

            # Redis goes away: publishing fails without raising; the poll still finds it.
            redis_server.stop()
            assert not await asyncio.to_thread(
                publish_decisions, redis_server.address, [Decided(4, CommentStatus.PENDING, 0.6)]
            )
            in_database[4] = Decided(4, CommentStatus.PENDING, 0.6)
            assert await feed.wait(4, 10) == in_database[4]
            assert feed.polls >= 1

            # Redis is back: the feed subscribes again and messages wake waiters again.
            redis_server.start()
            for _ in range(300):
                if feed.subscribed:
                    break
                await asyncio.sleep(0.05)
            assert feed.subscribed
            sent = announce(Decided(5, CommentStatus.REJECTED, 0.1))
            assert await feed.wait(5, 10) == Decided(5, CommentStatus.REJECTED, 0.1)
            await sent
            assert feed.messages == 3
        finally:
            await feed.stop()

    asyncio.run(scenario())
