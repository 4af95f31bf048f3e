"""A real stack for whole-system tests, and what they ask of it: redis-server, Celery worker
processes and the API served by uvicorn on a free port, each a separate OS process, as in
production (tests/e2e/conftest.py makes them and stops them)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import select

from commands.workers import worker_argv
from moderation.domain.statuses import CommentStatus
from moderation.storage import comments as comment_store
from moderation.storage.db import session_scope
from moderation.storage.models import Decision
from tests.conftest import ROOMY_RATE_LIMITS, ROOT, RedisServer, free_port


def http(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    timeout: float = 10,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            raw = answer.read()
            kind = answer.headers.get("content-type", "")
            return answer.status, json.loads(raw) if "json" in kind else raw.decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Stack:
    """Starts and stops the API and workers against one database and one Redis."""

    def __init__(self, tmp_path: Path, database_url: str, redis: RedisServer, **settings: str):
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.redis = redis
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update(
            {
                "MODERATION_DATABASE_URL": database_url,
                "MODERATION_REDIS_URL": redis.url,
                "MODERATION_DATA_DIR": str(tmp_path / "data"),
                "MODERATION_LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
            }
        )
        limits_and_settings = {**ROOMY_RATE_LIMITS, **settings}
        self.env.update({f"MODERATION_{k.upper()}": v for k, v in limits_and_settings.items()})
        self.processes: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        self.api: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, name: str, *args: str, module: str = "commands") -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"{name}-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill reaches its pool too
        )
        self.processes.append(process)
        return process

    def start_api(self) -> None:
        self.api = self._spawn("api", "api", "--port", str(self.port))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.api.poll() is None, self.logs()
            try:
                if http("GET", f"{self.base}/healthz", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("API did not start\n" + self.logs())

    def start_worker(
        self, beat: bool = True, include: str | None = None
    ) -> subprocess.Popen[bytes]:
        """`moderation worker --concurrency 1`; with ``include``, the same worker started by
        Celery's own command, which imports that module too (a test's control command)."""
        if include is None:
            args = ["worker", "--concurrency", "1"] + (["--beat"] if beat else [])
            worker = self._spawn("worker", *args)
        else:
            argv = worker_argv(1, "comments,explanations,webhooks", beat, "INFO")
            worker = self._spawn(
                "worker", "-A", "workers.celery_app", *argv, "--include", include, module="celery"
            )
        self.workers.append(worker)
        return worker

    def start(self) -> None:
        """A worker (with beat), then the API: the whole stack, as `moderation up` runs it."""
        self.start_worker()
        self.start_api()

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """kill -9 the process and its children, as a crash or an OOM kill would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    self.kill(process)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.tmp_path.glob("*.log"))
        )

    def submit(
        self,
        article: str,
        author: str,
        body: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> int:
        payload = {
            "article_id": article,
            "author_name": author,
            "author_email": f"{author.lower().replace(' ', '.')}@example.org",
            "body": body,
            **extra,
        }
        status, answer = http("POST", f"{self.base}/api/v1/comments", payload, headers=headers)
        assert status == 202, answer
        assert answer["status"] == "queued"
        return int(answer["id"])

    def statuses(self) -> dict[CommentStatus, int]:
        with session_scope(self.database_url) as session:
            return comment_store.count_by_status(session)

    def wait_until_decided(self, expected: int, timeout: float) -> dict[CommentStatus, int]:
        deadline = time.monotonic() + timeout
        counts: dict[CommentStatus, int] = {}
        while time.monotonic() < deadline:
            counts = self.statuses()
            decided = sum(n for s, n in counts.items() if s is not CommentStatus.QUEUED)
            if decided >= expected and not counts.get(CommentStatus.QUEUED):
                return counts
            time.sleep(0.1)
        raise AssertionError(f"not all decided in {timeout}s: {counts}\n{self.logs()}")


def status_of(stack: Stack, comment_id: int) -> str:
    code, answer = http("GET", f"{stack.base}/api/v1/comments/{comment_id}")
    assert code == 200, answer
    return str(answer["status"])


def wait_for_status(stack: Stack, ids: list[int], timeout: float = 30) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    found: dict[int, str] = {}
    while time.monotonic() < deadline:
        found = {i: status_of(stack, i) for i in ids}
        if "queued" not in found.values():
            return found
        time.sleep(0.2)
    raise AssertionError(f"still queued: {found}\n{stack.logs()}")


def wait_for_explanation(stack: Stack, comment_id: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(stack.database_url) as session:
            decision = session.query(Decision).filter_by(comment_id=comment_id).one()
            if decision.explanation:
                return
        time.sleep(0.2)
    raise AssertionError(f"comment {comment_id} was never explained\n{stack.logs()}")


def decided_by(stack: Stack, comment_id: int) -> str | None:
    """The model version stored with the comment's decision, once there is one."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with session_scope(stack.database_url) as session:
            version = session.execute(
                select(Decision.model_version).where(Decision.comment_id == comment_id)
            ).one_or_none()
        if version is not None:
            return version[0]
        time.sleep(0.1)
    raise AssertionError(f"comment {comment_id} was not decided\n{stack.logs()}")
