"""Health that tells the truth, and processes that go when they should, on real processes:
/readyz and `moderation status` follow a real worker's heartbeat through a kill -9 and a
restart, and turn red while a worker's event loop is blocked or its process stopped, but not
while a task runs long;
a killed worker's pool and beat go with it; `moderation up` leaves nothing running
after a worker's death and a Ctrl-C; a second beat sends no second sweep."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import Celery

from classifiers.persistence import read_manifest
from classifiers.registry import DEFAULT_MODEL_DIR
from moderation.domain.redis_urls import parse_redis_url
from moderation.domain.statuses import CommentStatus
from moderation.messaging.redis_clients import redis_client
from tests.conftest import ROOT, RedisServer, free_port, run_moderation
from tests.support.processes import alive, children_of, command, marked
from tests.support.stack import Stack, http

STALE_SECONDS = 2


def _until(what: Callable[[], Any], timeout: float, describe: Callable[[], str]) -> Any:
    """Poll ``what`` until it returns something true; fail with ``describe()`` at the timeout."""
    deadline = time.monotonic() + timeout
    while not (found := what()):
        assert time.monotonic() < deadline, describe()
        time.sleep(0.05)
    return found


def _ready(base: str) -> tuple[int, dict[str, Any]]:
    status, answer = http("GET", f"{base}/readyz")
    return status, answer if isinstance(answer, dict) else json.loads(answer)


def _status(settings: dict[str, str], *args: str, cwd: Path | None = None) -> tuple[int, Any]:
    """`moderation status --json` as cron runs it: its exit code and what it printed."""
    done = run_moderation("status", "--json", *args, cwd=cwd or ROOT, settings=settings, timeout=60)
    return done.returncode, json.loads(done.stdout)


def _api_alone(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any
) -> tuple[Stack, dict[str, str]]:
    """A served API with no worker yet, and the settings `moderation status` needs to see the
    same stack."""
    stack: Stack = stack_factory(sqlite_url, redis_server, worker_stale_seconds=str(STALE_SECONDS))
    stack.start_api()
    settings = {
        "database_url": sqlite_url,
        "redis_url": redis_server.url,
        "worker_stale_seconds": str(STALE_SECONDS),
    }
    return stack, settings


def test_readiness_and_status_follow_a_real_worker_through_a_kill(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    stack, settings = _api_alone(sqlite_url, redis_server, stack_factory)

    # No worker yet: the API takes the comment, but nothing would decide it. It stays in
    # service for an orchestrator (its intake is ready), and says no worker to the operator.
    assert http("GET", f"{stack.base}/readyz/intake") == (
        200,
        {"status": "ok", "checks": {"database": "ok"}},
    )
    status, ready = _ready(stack.base)
    assert status == 503, ready
    assert ready["checks"]["worker"].startswith("no worker serving the comments queue")
    assert ready["message"] == "not ready: worker"
    stack.submit("health", "Ann Reader", "Waiting for a worker to start.")
    code, found = _status(settings)
    assert code == 1
    assert found["workers"] == []
    assert found["database"]["queued_comments"] == 1
    (comments,) = [queue for queue in found["queues"] if queue["queue"] == "comments"]
    assert comments["depth"] == 1 and comments["oldest_age"] >= 0  # the enqueued_at header
    assert [p for p in found["problems"] if "heartbeat" in p], found
    assert not [p for p in found["problems"] if "oldest queued" in p]
    code, strict = _status(settings, "--max-queued-age", "0")
    assert code == 1
    assert [p for p in strict["problems"] if "the oldest queued comment has waited" in p]

    worker = stack.start_worker(beat=True)
    _until(lambda: _ready(stack.base)[0] == 200, 60, stack.logs)
    stack.wait_until_decided(1, timeout=60)
    code, found = _status(settings)
    assert code == 0, found
    (seen,) = found["workers"]
    assert seen["pid"] == worker.pid and seen["live"] is True
    assert seen["queues"] == ["comments", "explanations", "webhooks"]
    assert seen["concurrency"] == 1
    assert seen["model_version"] == read_manifest(DEFAULT_MODEL_DIR)["model_version"]
    assert found["database"] == {"queued_comments": 0, "oldest_queued_age": None}

    pool_and_beat = children_of(worker.pid)
    assert len(pool_and_beat) == 2, "its pool process and its beat are processes of their own"
    os.kill(worker.pid, signal.SIGKILL)  # the main process only, as the OOM killer does
    worker.wait(10)
    _until(lambda: _ready(stack.base)[0] == 503, STALE_SECONDS + 5, stack.logs)
    status, ready = _ready(stack.base)
    assert (
        "no worker serving the comments queue has sent a heartbeat in 2 s"
        in (ready["checks"]["worker"])
    )
    # Its pool process and its beat noticed and went too: no memory held for nobody, no beat
    # beside the next worker's.
    _until(
        lambda: not [pid for pid in pool_and_beat if alive(pid)],
        5,
        lambda: f"alive: {[pid for pid in pool_and_beat if alive(pid)]}",
    )
    done = run_moderation("status", settings=settings, timeout=60)
    assert done.returncode == 1, done.stdout
    assert f"{worker.pid}" in done.stdout and "STALE" in done.stdout
    assert "problem: no worker serving the comments queue" in done.stdout

    stack.start_worker(beat=False)
    _until(lambda: _ready(stack.base)[0] == 200, 60, stack.logs)
    assert _status(settings)[0] == 0


def _red_within(stack: Stack, seconds: float) -> tuple[float, dict[str, Any]]:
    """How long /readyz took to turn 503 (failing past ``seconds``), and what it said."""
    began = time.monotonic()
    _, ready = _until(lambda: (r := _ready(stack.base))[0] == 503 and r, seconds, stack.logs)
    return time.monotonic() - began, ready


def test_a_wedged_worker_turns_readiness_red_and_a_long_task_does_not(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    """The heartbeat comes from the worker's event loop: a main process whose loop is blocked
    while the process runs on, or that is stopped outright, stops it; a task that does not
    finish in the pool does not."""
    stack, settings = _api_alone(sqlite_url, redis_server, stack_factory)
    worker = stack.start_worker(beat=False, include="tests.support.wedge")
    _until(lambda: _ready(stack.base)[0] == 200, 60, stack.logs)
    (pool,) = children_of(worker.pid)

    # Its pool process stopped: the comment's task is handed to it and does not end, like a
    # long one. The loop that handed it over goes on beating.
    os.kill(pool, signal.SIGSTOP)
    try:
        stack.submit("wedged", "Ann Reader", "A comment whose task does not end yet.")
        held_until = time.monotonic() + 2 * STALE_SECONDS + 1
        while time.monotonic() < held_until:
            status, ready = _ready(stack.base)
            assert status == 200, ready
            time.sleep(0.1)
        assert stack.statuses() == {CommentStatus.QUEUED: 1}, "its task is held in the pool"
    finally:
        os.kill(pool, signal.SIGCONT)
    stack.wait_until_decided(1, timeout=60)

    # The loop blocked by a call that does not return (the process and its threads run on).
    Celery(broker=redis_server.url).control.broadcast("wedge", arguments={"seconds": 8})
    blocked_after, ready = _red_within(stack, STALE_SECONDS + 4)
    assert ready["message"] == "not ready: worker"
    assert "has sent a heartbeat in 2 s" in ready["checks"]["worker"]
    assert alive(worker.pid)
    _until(lambda: _ready(stack.base)[0] == 200, 15, stack.logs)

    # The main process stopped (its pool left alone): alive, but its loop takes nothing.
    os.kill(worker.pid, signal.SIGSTOP)
    try:
        stopped_after, ready = _red_within(stack, STALE_SECONDS + 3)
        assert ready["message"] == "not ready: worker"
        code, found = _status(settings)
        assert code == 1, found
        assert [(w["pid"], w["live"]) for w in found["workers"]] == [(worker.pid, False)]
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    resumed = time.monotonic()
    _until(lambda: _ready(stack.base)[0] == 200, STALE_SECONDS + 3, stack.logs)
    green_after = time.monotonic() - resumed
    assert _status(settings)[0] == 0

    # A warm shutdown removes the record at once: nobody waits for it to go stale.
    os.kill(worker.pid, signal.SIGTERM)
    assert worker.wait(30) == 0, stack.logs()
    assert _status(settings)[1]["workers"] == []
    print(
        f"stale {STALE_SECONDS} s: 503 {blocked_after:.2f} s after the loop was blocked, "
        f"{stopped_after:.2f} s after SIGSTOP; 200 {green_after:.2f} s after SIGCONT"
    )


def _start_up(tmp_path: Path, mark: str) -> tuple[subprocess.Popen[bytes], str, str]:
    """`moderation up --no-trainer` with the laptop defaults; returns it, its address and the
    embedded Redis's URL, once it says it is running."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MODERATION_")}
    env.update(PYTHONUNBUFFERED="1", STACK_UNDER_TEST=mark)
    env["MODERATION_WORKER_STALE_SECONDS"] = str(STALE_SECONDS)
    log = tmp_path / "up.log"
    up = subprocess.Popen(
        [sys.executable, "-m", "commands", "up", "--no-trainer", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a terminal of its own, so Ctrl-C reaches its whole group
    )
    _until(
        lambda: up.poll() is None and "Press Ctrl-C to stop." in log.read_text(),
        90,
        log.read_text,
    )
    socket = re.search(r"embedded Redis on (\S+)", log.read_text())
    assert socket, log.read_text()
    return up, f"http://127.0.0.1:{port}", f"redis+socket://{socket[1]}"


def _worker_of(up: subprocess.Popen[bytes]) -> int:
    """The worker that decides (and runs the beat); the other one explains."""
    (worker,) = [
        pid
        for pid in children_of(up.pid)
        if command(pid)[3:4] == ["worker"] and "--beat" in command(pid)
    ]
    return worker


def test_up_restarts_a_killed_worker_whole_and_ctrl_c_leaves_nothing(tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    up, base, redis_url = _start_up(tmp_path, mark)
    log = tmp_path / "up.log"
    settings = {"redis_url": redis_url, "worker_stale_seconds": str(STALE_SECONDS)}
    try:
        names = sorted(command(pid)[3] for pid in children_of(up.pid) if command(pid)[3:4])
        # --no-trainer: no trainer; a worker that decides, one that explains.
        assert names == ["api", "worker", "worker"], names
        worker = _worker_of(up)
        pool_and_beat = children_of(worker)
        assert len(pool_and_beat) == 2, pool_and_beat

        os.kill(worker, signal.SIGKILL)  # its main process only
        # `up` saw it die and said so at once: /readyz names the worker until the new one beats.
        _, ready = _until(lambda: (r := _ready(base))[0] == 503 and r, 10, log.read_text)
        assert ready["checks"]["worker"].startswith("no worker serving the comments queue")
        _until(lambda: _ready(base)[0] == 200, 60, log.read_text)
        assert "worker exited with -9; starting it again" in log.read_text()
        assert [pid for pid in pool_and_beat if alive(pid)] == []  # no orphan, no second beat
        code, found = _status(settings, cwd=tmp_path)
        assert code == 0, found
        deciding = [w["pid"] for w in found["workers"] if "comments" in w["queues"]]
        assert deciding == [_worker_of(up)]

        # The worker dies again, and the operator presses Ctrl-C before it is back.
        os.kill(_worker_of(up), signal.SIGKILL)
        os.killpg(up.pid, signal.SIGINT)  # what a terminal does
        assert up.wait(60) == 0, log.read_text()
        assert "stopped" in log.read_text()
        _until(lambda: marked("STACK_UNDER_TEST", mark) == [], 5, lambda: _left(mark))
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        for pid in marked("STACK_UNDER_TEST", mark):
            os.kill(pid, signal.SIGKILL)


def _left(mark: str) -> str:
    return "left running: " + "; ".join(
        f"{pid} {' '.join(command(pid))}" for pid in marked("STACK_UNDER_TEST", mark)
    )


def _sweeps_by_sender(redis_url: str) -> dict[str, int]:
    """The sweeps waiting in the comments queue (no worker takes them), counted by the process
    that sent them (Celery's `origin` header: gen<pid>@<host>)."""
    client = redis_client(parse_redis_url(redis_url))
    try:
        raw = client.lrange("comments", 0, -1)
    finally:
        client.close()
    senders: dict[str, int] = {}
    for message in map(json.loads, raw):
        if message["headers"]["task"] == "moderation.sweep_queued":
            origin = message["headers"]["origin"]
            senders[origin] = senders.get(origin, 0) + 1
    return senders


def test_a_second_beat_sends_nothing_until_the_first_is_gone(
    sqlite_url: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MODERATION_")}
    env.update(
        MODERATION_DATABASE_URL=sqlite_url,
        MODERATION_REDIS_URL=redis_server.url,
        MODERATION_SWEEP_INTERVAL_SECONDS="0.5",
        MODERATION_BEAT_LOCK_SECONDS="3",
        PYTHONUNBUFFERED="1",
    )
    beats = {
        n: subprocess.Popen(
            [sys.executable, "-m", "commands", "beat"],
            # Each its own schedule file, as on two machines.
            env={**env, "MODERATION_DATA_DIR": str(tmp_path / f"beat-{n}")},
            stdout=(tmp_path / f"beat-{n}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for n in (1, 2)
    }

    def logs() -> str:
        return "\n".join(p.read_text() for p in sorted(tmp_path.glob("beat-*.log")))

    try:
        _until(lambda: "this one sends nothing" in logs(), 30, logs)
        _until(lambda: sum(_sweeps_by_sender(redis_server.url).values()) >= 6, 30, logs)
        senders = _sweeps_by_sender(redis_server.url)
        assert len(senders) == 1, senders  # two beats, one sender
        (first,) = senders
        (holder,) = [n for n, beat in beats.items() if first.startswith(f"gen{beat.pid}@")]
        (standby,) = set(beats) - {holder}
        said = (tmp_path / f"beat-{standby}.log").read_text()
        assert f"another scheduler (host {first.split('@')[1]}, pid {beats[holder].pid})" in said

        beats[holder].kill()  # kill -9: the lock is not released, it expires after 3 s
        beats[holder].wait(10)
        _until(lambda: len(_sweeps_by_sender(redis_server.url)) == 2, 15, logs)
        assert f"gen{beats[standby].pid}@" in "".join(_sweeps_by_sender(redis_server.url))
        assert "this scheduler holds the lock" in (tmp_path / f"beat-{standby}.log").read_text()
    finally:
        for beat in beats.values():
            if beat.poll() is None:
                beat.kill()
                beat.wait()
