"""`moderation worker`, `trainer` and `beat`: the Celery processes, each run in the foreground
(scale by running more workers)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from typing import TYPE_CHECKING

import typer

from moderation.config import METRICS_DIR_VARIABLE, get_settings
from moderation.messaging.queues import (
    COMMENTS_QUEUE,
    EXPLANATIONS_QUEUE,
    TRAINING_QUEUE,
    WEBHOOKS_QUEUE,
)

if TYPE_CHECKING:
    from celery import Celery


def _celery() -> Celery:
    """The Celery app, imported only by the commands that run it: building it needs a Redis
    to be configured, which `migrate` or `users add` must not."""
    _share_metrics()
    from workers.celery_app import app

    return app


def _share_metrics() -> None:
    """The pool's processes count into one directory (moderation/metrics.py): the one this
    worker was given (`moderation up`'s, or the operator's, shared with an API), else a
    private one for this worker's lifetime, served on MODERATION_WORKER_METRICS_PORT.

    Set before anything imports prometheus_client, which reads the variable once."""
    if get_settings().metrics_dir is not None:
        return
    directory = tempfile.mkdtemp(prefix="moderation-metrics-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    os.environ[METRICS_DIR_VARIABLE] = directory
    get_settings.cache_clear()


def worker(
    concurrency: int = typer.Option(1, help="Worker processes in this pool."),
    beat: bool = typer.Option(False, help="Also run the periodic sweep scheduler here."),
    queues: str = typer.Option(
        "comments,explanations,webhooks",
        help="Queues to serve: decisions (comments), the explanations of held and removed "
        "comments, and the sites' webhooks; a worker serving several takes decisions first. "
        "A busy site gives explanations and webhooks workers of their own (explaining or a "
        "slow webhook receiver then never delays a decision).",
    ),
    loglevel: str = typer.Option("INFO"),
) -> None:
    """Run a Celery worker (scale by running more of these)."""
    argv = worker_argv(concurrency, queues, beat, loglevel)
    celery = _celery()
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)  # the beat schedule lives there
    celery.worker_main(argv)


def worker_argv(concurrency: int, queues: str, beat: bool, loglevel: str) -> list[str]:
    """Celery's arguments for `moderation worker`: the queues checked and put in order."""
    known = (COMMENTS_QUEUE, EXPLANATIONS_QUEUE, WEBHOOKS_QUEUE)
    chosen = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = set(chosen) - set(known)
    if not chosen or unknown:
        raise typer.BadParameter(
            f"choose among {', '.join(known[:-1])} and {known[-1]}", param_hint="--queues"
        )
    # In the order of `known`, decisions first: the broker takes from the first queue that
    # has a message (`queue_order_strategy`, moderation/messaging/queues.py).
    served = [queue for queue in known if queue in chosen]
    # Workers share nothing but the queue, so the start-up chatter between them is skipped.
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        "-Q",
        ",".join(served),
        "--without-mingle",
        "--without-gossip",
    ]
    if COMMENTS_QUEUE in served and len(served) > 1:
        # Reserve no message beyond those being run: one reserved from another queue while
        # `comments` was empty would be run before a comment that came after it.
        argv.append("--prefetch-multiplier=1")
    if beat:
        argv.append("--beat")
    return argv


def trainer(loglevel: str = typer.Option("INFO")) -> None:
    """Run the worker that retrains models from the moderators' decisions (one is enough).

    It only takes retraining tasks, one at a time, in a fresh process each time, so the
    memory a training run needs is given back when it ends.
    """
    celery = _celery()
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    celery.worker_main(
        [
            "worker",
            "--concurrency=1",
            "--max-tasks-per-child=1",
            f"--loglevel={loglevel}",
            "-Q",
            TRAINING_QUEUE,
            "-n",
            "trainer@%h",
            "--without-mingle",
            "--without-gossip",
        ]
    )


def beat_command(loglevel: str = typer.Option("INFO")) -> None:
    """Run only the scheduler of periodic tasks (one per deployment)."""
    celery = _celery()
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", f"--loglevel={loglevel}"])
