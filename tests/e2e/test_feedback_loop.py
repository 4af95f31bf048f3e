"""Decisions that teach the model, end to end on real processes: moderators decide comments
through the API, the trainer worker retrains from the datasets plus those decisions when the
retraining task arrives (as Celery beat sends it daily), judges the new version against the
active one and promotes it, and the running worker decides the next comment with it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from classifiers.persistence import read_manifest
from classifiers.registry import ModelRegistry
from moderation.config import Settings
from moderation.queue import RETRAIN_WITH_FEEDBACK, producer_app
from tests.classifiers.conftest import write_fixture_datasets
from tests.conftest import ROOT, RedisServer
from tests.e2e.comments import ABUSE, CLEAN, SPAM
from tests.e2e.conftest import Stack
from tests.e2e.test_model_promotion import _decided_by
from tests.moderation.staff import add_account

pytestmark = pytest.mark.e2e


def moderation(stack: Stack, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "workers.cli", *args],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_moderators_decisions_retrain_the_model_the_worker_then_uses(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any, tmp_path: Path
) -> None:
    data = write_fixture_datasets(tmp_path / "datasets")
    models = tmp_path / "models"
    stack: Stack = stack_factory(
        sqlite_url,
        redis_server,
        models_dir=str(models),
        model_check_seconds="1",
        training_data_dir=str(data),
        retrain_min_labels="5",
    )
    # A site's own first model, trained from the same datasets without any feedback.
    said = moderation(stack, "train", "--data", str(data))
    baseline = said.split()[1]
    moderation(stack, "models", "promote", baseline)
    stack.start_worker(beat=False)
    stack.start_api()

    comments = {
        stack.submit("feedback", f"Reader {i}", body): action
        for i, (body, action) in enumerate(
            [(b, "approve") for b in CLEAN[:6]]
            + [(b, "spam") for b in SPAM[:4]]
            + [(b, "reject") for b in ABUSE[:4]]
        )
    }
    assert {_decided_by(stack, i) for i in comments} == {baseline}

    moderator = add_account(sqlite_url, "mona")
    for comment_id, action in comments.items():
        status, answer = http_with_token(
            stack, f"/api/v1/moderation/comments/{comment_id}/decision", moderator.token, action
        )
        assert status == 200, answer

    # The daily retraining, as beat sends it, served by the trainer process.
    stack._spawn("trainer", "trainer")
    settings = Settings(_env_file=None, redis_url=stack.redis.url)  # type: ignore[call-arg]
    producer_app(settings).send_task(RETRAIN_WITH_FEEDBACK)
    registry = ModelRegistry(models)
    deadline = time.monotonic() + 300
    while registry.active_version() == baseline:
        assert time.monotonic() < deadline, "no promotion\n" + stack.logs()
        time.sleep(1)
    promoted = registry.active_version()

    manifest = read_manifest(registry.path_of(promoted))
    verdict = json.loads((registry.path_of(promoted) / "promotion.json").read_text())
    assert verdict["promoted"] is True
    assert verdict["active"] == baseline
    # Every decision is a label: the held-back ones judged the model, the rest trained it.
    assert manifest["feedback"]["labels"] + verdict["held_back"] == len(comments)
    assert manifest["feedback"]["labels"] >= 10
    trained_on = manifest["training_rows"]["toxicity"]["moderators"]
    assert trained_on["positive"] >= 1  # a rejected comment taught the toxicity model

    time.sleep(1.5)  # the worker looks at ACTIVE at most once a second here
    later = stack.submit("feedback", "Reader Later", CLEAN[10])
    assert _decided_by(stack, later) == promoted
    listed = moderation(stack, "models", "list")
    assert f"{promoted}: promoted: not worse than the active model on any count" in listed


def http_with_token(stack: Stack, path: str, token: str, action: str) -> tuple[int, Any]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{stack.base}{path}",
        data=json.dumps({"action": action}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
