"""Every task that reads or writes the database shares one retry policy (ModerationTask): the
database or the broker away is retried with backoff, so an outage of a few seconds costs
latency, not a comment sent to review or a webhook given up."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from moderation.messaging.queues import (
    DECIDE_COMMENTS,
    DELIVER_WEBHOOKS,
    EXPLAIN_COMMENTS,
    SWEEP_QUEUED,
)
from tests.conftest import ROOT, free_port

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
    [(DECIDE_COMMENTS, 7), (EXPLAIN_COMMENTS, 7), (DELIVER_WEBHOOKS, 7), (SWEEP_QUEUED, 3)],
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
