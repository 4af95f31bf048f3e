"""Every task that reads or writes the database shares one base (ModerationTask): one retry
policy (the database or the broker away is retried with backoff, so an outage of a few seconds
costs latency, not a comment sent to review or a webhook given up) and one unit of work whose
messages go out after its commit."""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from moderation.config import get_settings
from moderation.messaging.queues import (
    APPLY_RETENTION,
    DECIDE_COMMENTS,
    DELIVER_WEBHOOKS,
    EXPLAIN_COMMENTS,
    SWEEP_QUEUED,
)
from moderation.storage.db import session_scope
from moderation.storage.models import Article
from tests.conftest import ROOT, free_port

if TYPE_CHECKING:  # the workers' modules load the settings: imported once they are set
    from workers.celery_app import ModerationTask

# Run in a worker's own process: the policy is read from the settings when the tasks load.
_DESCRIBE = """
import json
from workers.celery_app import ModerationTask, app
import workers.tasks, workers.webhooks
print(json.dumps({
    name: {
        "base": isinstance(task, ModerationTask),
        "retried": sorted(e.__name__ for e in getattr(task, "autoretry_for", ())),
        "backoff": [
            bool(getattr(task, "retry_backoff", False)),
            getattr(task, "retry_backoff_max", None),
            bool(getattr(task, "retry_jitter", False)),
        ],
        "max_retries": task.max_retries,
    }
    for name, task in app.tasks.items() if name.startswith("moderation.")
}))
"""


@pytest.fixture(scope="module")
def tasks() -> dict[str, dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
    env["MODERATION_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    env["MODERATION_TASK_MAX_RETRIES"] = "7"
    described = subprocess.run(
        [sys.executable, "-c", _DESCRIBE],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found: dict[str, dict[str, object]] = json.loads(described.stdout)
    return found


@pytest.mark.parametrize(
    ("task_name", "retries"),
    [
        (DECIDE_COMMENTS, 7),
        (EXPLAIN_COMMENTS, 7),
        (DELIVER_WEBHOOKS, 7),
        (SWEEP_QUEUED, 3),
        (APPLY_RETENTION, 3),
    ],
)
def test_database_tasks_retry_infrastructure_errors_with_backoff(
    tasks: dict[str, dict[str, object]], task_name: str, retries: int
) -> None:
    task = tasks[task_name]
    assert task["base"] is True
    assert {"OperationalError", "DBAPIError", "ConnectionError", "TimeoutError"} == set(
        task["retried"]  # type: ignore[call-overload]
    )
    assert task["backoff"] == [True, 60, True]
    # MODERATION_TASK_MAX_RETRIES, or the sweep's own: the next sweep comes a minute later.
    assert task["max_retries"] == retries


# The unit of work every database task runs in: its messages go out after the commit, never
# before and never for a rolled-back write, and one the broker refuses costs nothing else.


@pytest.fixture
def task(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModerationTask]:
    """The real decide task, configured for a migrated SQLite database (its Redis is never
    reached here)."""
    monkeypatch.setenv("MODERATION_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MODERATION_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    get_settings.cache_clear()
    try:
        yield importlib.import_module("workers.tasks").decide_comments
    finally:
        get_settings.cache_clear()


def _article_exists(database_url: str, external_id: str) -> bool:
    with session_scope(database_url) as session:
        found = session.scalar(select(Article.id).where(Article.external_id == external_id))
    return found is not None


def test_a_message_goes_out_once_what_it_names_is_committed(
    task: ModerationTask, sqlite_url: str
) -> None:
    seen_at_send: list[bool] = []
    with task.unit_of_work() as work:
        work.session.add(Article(external_id="a-1"))
        work.session.flush()
        work.after_commit(
            lambda: seen_at_send.append(_article_exists(sqlite_url, "a-1")), "articles", [1]
        )
        assert seen_at_send == []
    assert seen_at_send == [True]


def test_a_rolled_back_write_sends_nothing(task: ModerationTask, sqlite_url: str) -> None:
    sent: list[str] = []
    with pytest.raises(RuntimeError), task.unit_of_work() as work:
        work.session.add(Article(external_id="a-2"))
        work.after_commit(lambda: sent.append("a-2"), "articles", [1])
        raise RuntimeError("the task failed before its commit")
    assert sent == []
    assert not _article_exists(sqlite_url, "a-2")


def test_a_refused_message_is_logged_and_the_others_still_go_out(
    task: ModerationTask, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[str] = []

    def broker_away() -> None:
        raise ConnectionError("Redis is down")

    with caplog.at_level(logging.WARNING), task.unit_of_work() as work:
        work.session.add(Article(external_id="a-3"))
        work.after_commit(broker_away, "comments to explain", [7, 8])
        work.after_commit(lambda: sent.append("deliveries"), "webhook deliveries", [9])
        work.after_commit(lambda: sent.append("nothing"), "webhook deliveries", [])
    assert _article_exists(sqlite_url, "a-3")
    assert "could not queue 2 comments to explain (first id 7)" in caplog.text
    # The second is sent all the same; one naming no rows is not sent at all.
    assert sent == ["deliveries"]
