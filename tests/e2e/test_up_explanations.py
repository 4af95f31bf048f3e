"""`moderation up` explains held comments in a worker of its own, so explaining never delays a
decision: the processes, their heartbeats, and a stack that keeps deciding while that worker is
down (one stack for the whole story: each start loads the model in every worker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from moderation.domain.redis_urls import parse_redis_url
from moderation.messaging.heartbeats import WorkerBeat, read_workers
from moderation.messaging.redis_clients import redis_client
from moderation.storage.db import session_scope
from moderation.storage.models import Decision
from tests.conftest import free_port
from tests.support.processes import alive, children_of, command
from tests.support.stack import http

# Two links to news outlets: held for a person by the link rule (tests/e2e/test_workspace_browser).
HELD = (
    "Both reports disagree on the figures: https://apnews.com/article/budget and "
    "https://www.reuters.com/world/budget-vote. Which one is right? ({})"
)
T = TypeVar("T")


def _until(what: str, found: Callable[[], T | None], log: Path, timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while (value := found()) is None:
        assert time.monotonic() < deadline, f"{what}\n{log.read_text()}"
        time.sleep(0.2)
    return value


def _workers(up: int) -> dict[int, list[str]]:
    """`up`'s live worker children and their command lines (a killed one's /proc entry can
    outlast it for a moment)."""
    return {
        pid: command(pid)
        for pid in children_of(up)
        if command(pid)[3:4] == ["worker"] and alive(pid)
    }


class _Up:
    def __init__(self, tmp_path: Path, process: subprocess.Popen[bytes], port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = tmp_path / "up.log"
        self.database_url = f"sqlite:///{tmp_path / 'moderation.db'}"
        self.redis_url = f"redis+socket://{tmp_path / '.moderation' / 'redis.sock'}"

    def beats(self) -> dict[int, WorkerBeat]:
        client = redis_client(parse_redis_url(self.redis_url))
        try:
            return {beat.pid: beat for beat in read_workers(client)}
        finally:
            client.close()

    def beating(self, pid: int) -> WorkerBeat | None:
        beat = self.beats().get(pid)
        return beat if beat is not None and time.time() - beat.beat_at < 15 else None

    def submit_held(self, tag: str) -> int:
        status, answer = http(
            "POST",
            f"{self.base}/api/v1/comments",
            {
                "article_id": "demo",
                "author_name": "Olu",
                "author_email": "olu@example.org",
                "body": HELD.format(tag),
            },
        )
        assert status == 202, answer
        return int(answer["id"])

    def status(self, comment_id: int) -> str | None:
        answer = http("GET", f"{self.base}/api/v1/comments/{comment_id}")[1]
        return None if answer["status"] == "queued" else str(answer["status"])

    def explained(self, comment_id: int) -> bool:
        with session_scope(self.database_url) as session:
            decision = session.query(Decision).filter_by(comment_id=comment_id).one_or_none()
            return decision is not None and bool(decision.explanation)


def test_up_explains_in_a_worker_of_its_own_that_decisions_never_wait_for(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MODERATION_")}
    env["PYTHONUNBUFFERED"] = "1"
    # A message the stopped worker took is lost with it: the sweep asks again for the missing
    # explanation (after 2 s here instead of a minute).
    env["MODERATION_REQUEUE_AFTER_SECONDS"] = "2"
    env["MODERATION_SWEEP_INTERVAL_SECONDS"] = "1"
    log = (tmp_path / "up.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "commands", "up", "--port", str(port), "--no-trainer"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    up = _Up(tmp_path, process, port)
    try:
        _until(
            "up never became ready",
            lambda: "Press Ctrl-C to stop." in up.log.read_text() or None,
            up.log,
        )
        # Two workers: one decides (and sweeps), one explains, at a lower CPU priority.
        workers = _workers(process.pid)
        assert len(workers) == 2, workers
        (explainer,) = [pid for pid, argv in workers.items() if "explanations" in argv]
        (decider,) = [pid for pid in workers if pid != explainer]
        assert "--beat" in workers[decider] and "--beat" not in workers[explainer]
        nice = os.getpriority(os.PRIO_PROCESS, explainer) - os.getpriority(os.PRIO_PROCESS, decider)
        assert nice > 0
        # Their heartbeats say what each serves: explanations are not the decider's.
        beat = _until("no heartbeat of the explainer", lambda: up.beating(explainer), up.log)
        assert beat.queues == ("explanations",)
        assert beat.model_version is not None
        assert up.beats()[decider].queues == ("comments", "webhooks")

        first = up.submit_held("first")
        assert _until("never decided", lambda: up.status(first), up.log) == "pending"
        _until("never explained", lambda: up.explained(first) or None, up.log)

        # The explainer stopped (its whole group, pool included): comments are still decided,
        # and nobody else explains them.
        os.killpg(explainer, signal.SIGSTOP)
        while_down = up.submit_held("while the explainer is down")
        assert _until("not decided", lambda: up.status(while_down), up.log) == "pending"
        time.sleep(1)
        assert not up.explained(while_down)

        # Killed, it is started again by `up`, which then explains what it missed.
        os.killpg(explainer, signal.SIGKILL)
        (again,) = _until(
            "the explainer was not started again",
            lambda: (
                [
                    p
                    for p, a in _workers(process.pid).items()
                    if "explanations" in a and p != explainer
                ]
                or None
            ),
            up.log,
        )
        assert again != explainer and alive(decider)
        assert "explanations exited with -9; starting it again" in up.log.read_text()
        beat = _until("no heartbeat of the new explainer", lambda: up.beating(again), up.log)
        assert beat.queues == ("explanations",)
        _until("never explained", lambda: up.explained(while_down) or None, up.log)

        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, up.log.read_text()
        time.sleep(0.5)
        assert not alive(again) and not alive(decider)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
