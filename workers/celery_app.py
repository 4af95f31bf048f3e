"""The workers' Celery app: the service's queue configuration, the base every database task
shares (its unit of work, its sends after the commit, its retries) and the periodic sweep."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from celery.signals import worker_ready
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from moderation.config import Settings, get_settings
from moderation.messaging.queues import (
    APPLY_RETENTION,
    RETRAIN_WITH_FEEDBACK,
    SWEEP_QUEUED,
    celery_config,
    try_send,
)
from moderation.storage.db import session_scope
from workers import beat_lock, heartbeat, lifeline, metrics  # noqa: F401 - signal handlers
from workers.broker import survive_a_lost_broker

log = logging.getLogger(__name__)

# Infrastructure trouble (the database or the broker away) is retried with backoff; bad data is
# not, since it would fail again. A webhook receiver's failure is not among these: it is an
# attempt, recorded and scheduled by the delivery task itself.
INFRASTRUCTURE_ERRORS = (OperationalError, DBAPIError, ConnectionError, TimeoutError)


@dataclass
class UnitOfWork:
    """A task's session, and the messages to send once what they name is committed."""

    session: Session
    _sends: list[tuple[Callable[[], object], str, Sequence[int]]] = field(default_factory=list)

    def after_commit(self, send: Callable[[], object], what: str, ids: Sequence[int]) -> None:
        """Send only if the commit succeeds, so no message names a row that is not there; and
        best effort then (`try_send`): the rows are committed, the sweep finds what was not
        sent. ``what`` and ``ids`` name the message in the log."""
        if ids:
            self._sends.append((send, what, ids))


class ModerationTask(Task):
    """The base of every task that reads or writes the database.

    - `unit_of_work()`: a session committed at the end of the block (rolled back on error),
      then the messages queued with `after_commit`, in order, each on its own.
    - Retried with jittered exponential backoff (at most a minute apart,
      `MODERATION_TASK_MAX_RETRIES` times) when the infrastructure fails. Each task is
      idempotent, so a retry or a redelivery changes nothing that was already done; what
      still fails is left to the sweep.
    """

    autoretry_for = INFRASTRUCTURE_ERRORS
    retry_backoff = True
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = get_settings().task_max_retries

    @property
    def settings(self) -> Settings:
        return get_settings()

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        with session_scope(self.settings.database_url) as session:
            work = UnitOfWork(session)
            yield work
        for send, what, ids in work._sends:
            try_send(send, what, ids)


def create_celery() -> Celery:
    survive_a_lost_broker()
    settings = get_settings()
    app = Celery("workers", include=["workers.tasks", "workers.webhooks", "workers.emails"])
    app.conf.update(celery_config(settings))
    app.conf.beat_schedule = {
        "sweep-queued-comments": {
            "task": SWEEP_QUEUED,
            "schedule": settings.sweep_interval_seconds,
            # A sweep that waited longer than one interval is superseded by the next one.
            "options": {"expires": settings.sweep_interval_seconds},
        }
    }
    if settings.retrain_enabled:
        app.conf.beat_schedule["retrain-with-feedback"] = {
            "task": RETRAIN_WITH_FEEDBACK,
            "schedule": crontab(hour=settings.retrain_hour, minute=0),
            # A retrain missed by a whole day is replaced by the next day's.
            "options": {"expires": 23 * 3600},
        }
    if settings.retention_enabled:
        app.conf.beat_schedule["apply-retention"] = {
            "task": APPLY_RETENTION,
            "schedule": crontab(hour=settings.retention_hour, minute=0),
            # A day's run missed by a whole day is replaced by the next day's (which clears
            # the same rows and the day's new ones).
            "options": {"expires": 23 * 3600},
        }
    app.conf.beat_schedule_filename = str(settings.data_dir / "celerybeat-schedule")
    # One beat at a time, however many are started (workers/beat_lock.py).
    app.conf.beat_scheduler = "workers.beat_lock:LockedScheduler"
    heartbeat.install(app)  # each worker's record in Redis and its gauge
    return app


app = create_celery()


@worker_ready.connect
def _sweep_on_start(sender: Any = None, **_kwargs: Any) -> None:
    """A worker that starts after a crash or an outage re-sends what is still queued."""
    try:
        app.send_task(SWEEP_QUEUED)
    except Exception as error:  # the beat schedule will try again
        log.warning("could not send the start-up sweep: %s", error)
