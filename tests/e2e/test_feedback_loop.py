"""Decisions that teach the model, end to end on real processes: moderators decide comments
through the API, the trainer worker retrains from the datasets plus those decisions when the
retraining task arrives (as Celery beat sends it daily), judges the new version against the
active one and promotes it, and the running worker decides the next comment with it; a
removal's ground teaches the attribute it names, and a candidate that decides the frozen set
worse than the active model is kept back, saying why."""

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
from moderation.messaging.queues import RETRAIN_WITH_FEEDBACK, producer_app
from tests.conftest import ROOT, RedisServer
from tests.support.comments import (
    ABUSE,
    CLEAN,
    SPAM,
    THREAT_LOOK_ALIKES,
    VEILED_THREATS,
    VEILED_THREATS_FRESH,
)
from tests.support.datasets import write_fixture_datasets
from tests.support.stack import Stack, decided_by, http
from tests.support.staff import add_account


def moderation(stack: Stack, *args: str, **settings: str) -> str:
    """The command's standard output, run with the stack's settings (and these MODERATION_*)."""
    env = {**stack.env, **{f"MODERATION_{k.upper()}": v for k, v in settings.items()}}
    result = subprocess.run(
        [sys.executable, "-m", "commands", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The little datasets the trainer learns from, in the shared layout."""
    return write_fixture_datasets(tmp_path / "datasets")


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """The stack's model registry (empty: the built-in model is active)."""
    return tmp_path / "models"


def test_moderators_decisions_retrain_the_model_the_worker_then_uses(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any, data: Path, models: Path
) -> None:
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
    assert {decided_by(stack, i) for i in comments} == {baseline}

    moderator = add_account(sqlite_url, "mona")
    for comment_id, action in comments.items():
        status, answer = http_with_token(
            stack,
            f"/api/v1/moderation/comments/{comment_id}/decision",
            moderator.token,
            {"action": action},
        )
        assert status == 200, answer

    # The daily retraining, as beat sends it, served by the trainer process.
    stack._spawn("trainer", "trainer")
    settings = Settings(_env_file=None, redis_url=stack.redis.url)  # type: ignore[call-arg]
    producer_app(settings).send_task(RETRAIN_WITH_FEEDBACK)
    registry = ModelRegistry(models)
    # Training on this data takes about 40 s on an idle machine, then the candidate is judged
    # on the frozen set; several times that when other tests' processes share the two cores.
    deadline = time.monotonic() + 480
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
    assert decided_by(stack, later) == promoted
    listed = moderation(stack, "models", "list")
    assert f"{promoted}: promoted: not worse than the best recent version" in listed


def test_grounds_teach_the_attribute_they_name_and_a_worse_candidate_is_kept_back(
    sqlite_url: str,
    redis_server: RedisServer,
    stack_factory: Any,
    data: Path,
    models: Path,
    tmp_path: Path,
) -> None:
    # Every new author is held, so the moderators decide held comments, as they do.
    stack: Stack = stack_factory(
        sqlite_url, redis_server, models_dir=str(models), premoderate_until_approved="1"
    )
    registry = ModelRegistry(models)
    builtin = registry.active_version()
    # The same datasets without the moderators' decisions: what their grounds are measured by.
    without = moderation(stack, "train", "--data", str(data)).split()[1]
    stack.start_worker(beat=False)
    stack.start_api()
    decisions = [(body, {"action": "reject", "ground": "threat"}) for body in VEILED_THREATS]
    decisions += [(body, {"action": "approve"}) for body in THREAT_LOOK_ALIKES]
    ids = [stack.submit("veiled", f"Reader {i}", body) for i, (body, _) in enumerate(decisions)]
    stack.wait_until_decided(len(ids), timeout=120)
    moderator = add_account(sqlite_url, "mona")
    for comment_id, (_, decision) in zip(ids, decisions, strict=True):
        status, held = http("GET", f"{stack.base}/api/v1/comments/{comment_id}")
        if (status, held["status"], decision.get("ground")) == (200, "rejected", "threat"):
            continue  # the policy already removed this threat: nothing for a moderator
        assert (status, held["status"]) == (200, "pending"), held
        status, answer = http_with_token(
            stack, f"/api/v1/moderation/comments/{comment_id}/decision", moderator.token, decision
        )
        assert status == 200, answer
        assert answer["ground"] == decision.get("ground")

    said = moderation(stack, "train", "--data", str(data), "--with-feedback", "--promote")

    candidate = said.split()[1]
    assert f"not active; promote it with: moderation models promote {candidate}" in said
    assert registry.active_version() == builtin
    # The threats' ground reached the threat model: the rows it was trained on say so.
    trained_on = read_manifest(registry.path_of(candidate))["training_rows"]
    assert trained_on["threat"]["moderators"]["positive"] >= 10
    assert trained_on["insult"].get("moderators", {}).get("positive", 0) == 0

    # Fresh veiled threats, scored as an operator would: the candidate finds them threats; the
    # same recipe without the grounds, and the active model, mostly do not.
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_text("".join(json.dumps({"body": b}) + "\n" for b in VEILED_THREATS_FRESH))
    threat = {
        name: mean_threat(stack, fresh, model_dir)
        for name, model_dir in (
            ("candidate", registry.path_of(candidate)),
            ("without grounds", registry.path_of(without)),
            ("active", None),
        )
    }
    assert threat["candidate"] > 0.8, threat
    assert threat["candidate"] > threat["without grounds"] + 0.3, threat
    # The built-in model v0-20261205-ee896085 already scores them 0.58 on average (the one
    # before it 0.35) and may remove one outright; the taught candidate still goes further.
    assert threat["candidate"] > threat["active"] + 0.15, threat

    # Trained on a few dozen rows, it is sure of itself on its own cross-validation but lets
    # through harmful news comments the active model removes: kept, and it says why.
    verdict = json.loads((registry.path_of(candidate) / "promotion.json").read_text())
    assert verdict["promoted"] is False
    frozen = verdict["frozen_set"]
    worse = [
        reason
        for reason in verdict["reasons"]
        if reason.startswith(f"{frozen['set']}: ") and "the active model" in reason
    ]
    assert worse, verdict["reasons"]
    assert (
        frozen["candidate"]["harmful_approved"] > frozen["active"]["harmful_approved"]
        or frozen["candidate"]["clean_removed"] > frozen["active"]["clean_removed"]
    )
    listed = moderation(stack, "models", "list")
    assert f"{candidate}: kept as a candidate: " in listed
    assert worse[0] in listed


def mean_threat(stack: Stack, comments: Path, model_dir: Path | None) -> float:
    """`moderation score` over the file with that model folder (None: the active version)."""
    pinned = {} if model_dir is None else {"model_dir": str(model_dir)}
    said = moderation(stack, "score", "--jsonl", str(comments), **pinned)
    scores = [json.loads(line)["scores"]["threat"] for line in said.splitlines()]
    return sum(scores) / len(scores)


def http_with_token(stack: Stack, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{stack.base}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
