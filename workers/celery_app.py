"""The workers' Celery app: the service's queue configuration plus the periodic sweep."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import worker_ready

from moderation.config import get_settings
from moderation.queue import SWEEP_QUEUED, celery_config

log = logging.getLogger(__name__)


def create_celery() -> Celery:
    settings = get_settings()
    app = Celery("workers", include=["workers.tasks"])
    app.conf.update(celery_config(settings))
    app.conf.beat_schedule = {
        "sweep-queued-comments": {
            "task": SWEEP_QUEUED,
            "schedule": settings.sweep_interval_seconds,
            # A sweep that waited longer than one interval is superseded by the next one.
            "options": {"expires": settings.sweep_interval_seconds},
        }
    }
    app.conf.beat_schedule_filename = str(settings.data_dir / "celerybeat-schedule")
    return app


app = create_celery()


@worker_ready.connect
def _sweep_on_start(sender: Any = None, **_kwargs: Any) -> None:
    """A worker that starts after a crash or an outage re-sends what is still queued."""
    try:
        app.send_task(SWEEP_QUEUED)
    except Exception as error:  # the beat schedule will try again
        log.warning("could not send the start-up sweep: %s", error)
