"""Shared fixtures: real databases (SQLite, and PostgreSQL where configured) and real Redis.

A test that needs a real part this machine lacks is skipped with the reason; under CI=true
that skip is a failure, since CI must exercise every real part.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from moderation.domain.redis_urls import RedisAddress, parse_redis_url
from moderation.storage.migrate import upgrade

if TYPE_CHECKING:
    from tests.support.sentinel import SentinelGroup

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("MODERATION_TEST_POSTGRES_URL")


# Tests send many comments, keys and sign-ins from one address (127.0.0.1, or "testclient"),
# which the product's limits would refuse (10 comments a minute per address). Fixtures run the
# limiter with these roomy rates instead; the tests of the limits set their own.
ROOMY_RATE_LIMITS = {
    "rate_per_address": "100000/minute",
    "rate_per_site": "100000/minute",
    "rate_per_key": "100000/minute",
    "rate_auth_failures_per_address": "100000/minute",
    "rate_sign_ins_per_address": "100000/minute",
    "rate_notices_per_address": "100000/minute",
}


def require(condition: bool, reason: str) -> None:
    """Skip when a real part is missing, except under CI where that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def run_moderation(
    *args: str,
    cwd: Path = ROOT,
    settings: dict[str, str] | None = None,
    timeout: float = 600,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """The `moderation` command as an operator runs it, in a process of its own.

    With ``settings``, the child sees only those MODERATION_* variables (NAME without prefix).
    """
    import sys

    env = None
    if settings is not None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
        env.update({f"MODERATION_{k.upper()}": v for k, v in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "commands", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input_text,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, what: str, timeout: float = 10) -> None:
    """Until something listens on this port of 127.0.0.1."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start on port {port}")


def _postgres_database() -> Iterator[str]:
    """A fresh database per use, so tests never see each other's rows."""
    require(POSTGRES_URL is not None, "MODERATION_TEST_POSTGRES_URL is not set (no PostgreSQL)")
    assert POSTGRES_URL is not None
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"moderation_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # pragma: no cover - depends on the machine
        require(False, f"PostgreSQL at {POSTGRES_URL} is unreachable: {error}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from moderation.storage.db import engine_for

        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite always, PostgreSQL where configured."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'moderation.db'}"
        upgrade(url)
        yield url
    else:
        for url in _postgres_database():
            upgrade(url)
            yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'moderation.db'}"
    upgrade(url)
    return url


class RedisServer:
    """A real redis-server on a free port of our own, which a test may stop and start again."""

    def __init__(self, directory: Path, replica_of: int | None = None) -> None:
        """With ``replica_of``, a replica of the Redis on that port of 127.0.0.1."""
        self.port = free_port()
        self.directory = directory
        self.replica_of = replica_of
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def address(self) -> RedisAddress:
        return parse_redis_url(self.url)

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                # Each its own file names, so that servers may share a folder.
                "--dbfilename",
                f"dump-{self.port}.rdb",
                # A replica is sent the data at once, not after the default 5 s wait for others.
                "--repl-diskless-sync-delay",
                "0",
                *(["--replicaof", "127.0.0.1", str(self.replica_of)] if self.replica_of else []),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port, "redis-server")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    require(shutil.which("redis-server") is not None, "redis-server is not on PATH")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_sentinel(tmp_path: Path) -> Iterator[SentinelGroup]:
    """A Redis master watched by two Sentinels (tests/support/sentinel.py), with a replica
    that can take over: what an operator runs past one Redis."""
    require(shutil.which("redis-server") is not None, "redis-server is not on PATH")
    from tests.support.sentinel import SentinelGroup

    group = SentinelGroup(tmp_path / "sentinel")
    try:
        group.start()
        yield group
    finally:
        group.stop()
