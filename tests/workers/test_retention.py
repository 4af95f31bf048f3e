"""The retention task as beat sends it: taken by a real worker process from the queue it is
routed to, clearing what is past its period and logging the counts; and the daily entry of
the beat schedule."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from celery.schedules import crontab
from sqlalchemy import select

from moderation.config import Settings
from moderation.domain.privacy import REMOVED_TEXT
from moderation.messaging.queues import APPLY_RETENTION, producer_app
from moderation.storage.db import session_scope
from moderation.storage.models import Comment
from tests.conftest import RedisServer
from tests.support.retention import IP, aged_database
from tests.support.stack import Stack
from tests.support.worker_env import worker_module


@pytest.fixture
def stack(tmp_path: Path, sqlite_url: str, redis_server: RedisServer) -> Iterator[Stack]:
    made = Stack(tmp_path, sqlite_url, redis_server)
    try:
        yield made
    finally:
        made.stop()


def test_a_worker_runs_the_task_beat_sends_and_logs_the_counts(
    stack: Stack, sqlite_url: str
) -> None:
    aged = aged_database(sqlite_url)
    stack.start_worker(beat=False)

    settings = Settings(_env_file=None, redis_url=stack.redis.url)  # type: ignore[call-arg]
    producer_app(settings).send_task(APPLY_RETENTION)  # as beat sends it, by name

    deadline = time.monotonic() + 60
    while "retention cleared" not in stack.logs():
        assert time.monotonic() < deadline, stack.logs()
        time.sleep(0.2)
    with session_scope(sqlite_url) as session:
        rows = {c.id: c for c in session.execute(select(Comment)).scalars()}
    assert rows[aged.spam_old].body == REMOVED_TEXT
    assert rows[aged.approved_old].client_ip is None
    assert rows[aged.approved_young].client_ip == IP
    assert rows[aged.pending_old].client_ip == IP and rows[aged.queued_old].client_ip == IP
    logs = stack.logs()
    assert "retention cleared: comment_addresses=5 removed_texts=1 report_addresses=2" in logs
    assert IP not in logs and "pills" not in logs  # counts only, never what was cleared


@pytest.fixture
def celery_app(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    yield from worker_module(
        "workers.celery_app", monkeypatch, sqlite_url, tmp_path, retention_hour="5"
    )


def test_beat_sends_it_daily_at_the_set_hour_and_a_missed_day_expires(
    celery_app: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = celery_app.create_celery().conf.beat_schedule["apply-retention"]

    assert entry["task"] == APPLY_RETENTION
    assert entry["schedule"] == crontab(hour=5, minute=0)
    assert entry["options"] == {"expires": 23 * 3600}


def test_a_legal_hold_takes_it_off_the_schedule(
    celery_app: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODERATION_RETENTION_ENABLED", "false")
    celery_app.get_settings.cache_clear()

    assert "apply-retention" not in celery_app.create_celery().conf.beat_schedule
