"""A running worker follows `moderation models promote` and `rollback` without a restart."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from classifiers.registry import ModelRegistry
from tests.conftest import ROOT, RedisServer
from tests.support.comments import CLEAN
from tests.support.models import BUILTIN, relabelled_copy
from tests.support.stack import decided_by

CHECK_SECONDS = 1.0


def _models(stack: Any, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "commands", "models", *args],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # A worker looks at ACTIVE at most once per interval; after one interval it must have seen
    # the change at its next batch.
    time.sleep(CHECK_SECONDS + 0.5)
    return result.stdout


def test_promoted_version_decides_later_comments_and_rollback_restores_the_old_one(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any, tmp_path: Path
) -> None:
    models_dir = tmp_path / "models"
    stack = stack_factory(
        sqlite_url, redis_server, models_dir=str(models_dir), model_check_seconds="1"
    )
    worker = stack.start_worker(beat=False)
    stack.start_api()

    first = stack.submit("promotion", "Reader One", CLEAN[0])
    assert decided_by(stack, first) == BUILTIN

    ModelRegistry(models_dir).add(relabelled_copy(tmp_path / "candidate", "v0-20300101-cafef00d"))
    said = _models(stack, "promote", "v0-20300101-cafef00d")
    assert f"active model: v0-20300101-cafef00d (was {BUILTIN})" in said
    second = stack.submit("promotion", "Reader Two", CLEAN[1])
    assert decided_by(stack, second) == "v0-20300101-cafef00d"

    said = _models(stack, "rollback")
    assert f"active model: {BUILTIN} (was v0-20300101-cafef00d)" in said
    third = stack.submit("promotion", "Reader Three", CLEAN[2])
    assert decided_by(stack, third) == BUILTIN

    assert worker.poll() is None, "the worker was restarted or died\n" + stack.logs()
    assert len(stack.workers) == 1
    assert "switched model" in stack.logs()
