"""Redis behind Sentinel for tests: a master, a replica and two `redis-server --sentinel`
processes watching them, each on a free port of 127.0.0.1, as an operator runs Redis past one
server (docs/scaling.md). `lose_the_master()` kills the master, and the Sentinels make the
replica the master."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import redis

from moderation.domain.redis_urls import RedisAddress, parse_redis_url
from tests.conftest import RedisServer, free_port, wait_for_port

# Not Sentinel's usual `mymaster`: the tests prove MODERATION_REDIS_SENTINEL_MASTER is read.
MASTER_NAME = "moderation-master"


class SentinelServer:
    """One `redis-server --sentinel` watching the master on ``master_port``."""

    def __init__(self, directory: Path, master_port: int) -> None:
        self.port = free_port()
        self.directory = directory
        self.master_port = master_port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # Sentinel rewrites its configuration file as it learns: one file each, writable.
        config = self.directory / f"sentinel-{self.port}.conf"
        config.write_text(
            "\n".join(
                [
                    f"port {self.port}",
                    "bind 127.0.0.1",
                    f"dir {self.directory}",
                    # Quorum 1: either Sentinel alone may judge the master down.
                    f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master_port} 1",
                    # Down after 1 s (Sentinel's default is 30 s); two Sentinels that split
                    # their votes try again after twice the failover timeout, so 3 s, not 3 min.
                    f"sentinel down-after-milliseconds {MASTER_NAME} 1000",
                    f"sentinel failover-timeout {MASTER_NAME} 3000",
                    f"sentinel parallel-syncs {MASTER_NAME} 1",
                    "",
                ]
            )
        )
        binary = shutil.which("redis-server")
        assert binary
        self.process = subprocess.Popen(
            [binary, str(config), "--sentinel"], stdout=subprocess.DEVNULL
        )
        wait_for_port(self.port, "redis-server --sentinel")

    def client(self) -> redis.Redis:
        return redis.Redis("127.0.0.1", self.port, socket_timeout=2, decode_responses=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class SentinelGroup:
    """A master, its replica and two Sentinels; `url` is what MODERATION_REDIS_URL is set to."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.master = RedisServer(directory)
        self.replica = RedisServer(directory, replica_of=self.master.port)
        self.sentinels = [SentinelServer(directory, self.master.port) for _ in range(2)]

    @property
    def url(self) -> str:
        first, second = self.sentinels
        return f"sentinel://127.0.0.1:{first.port};sentinel://127.0.0.1:{second.port}/0"

    @property
    def address(self) -> RedisAddress:
        return parse_redis_url(self.url, MASTER_NAME)

    @property
    def settings(self) -> dict[str, str]:
        """The MODERATION_* settings (without the prefix) that point a process at it."""
        return {"redis_url": self.url, "redis_sentinel_master": MASTER_NAME}

    def start(self) -> None:
        self.master.start()
        self.replica.start()
        self._wait_for_replication()
        for sentinel in self.sentinels:
            sentinel.start()
        # A failover needs a replica the Sentinels know of (they learn it from the master).
        self._wait(lambda: self._replicas_known(), "the Sentinels to learn of the replica")

    def master_port(self) -> int:
        """The port of the master, as the first Sentinel names it."""
        with self.sentinels[0].client() as client:
            _host, port = client.sentinel_get_master_addr_by_name(MASTER_NAME)
        return int(port)

    def lose_the_master(self) -> float:
        """Kill the master (kill -9, as a crash would) and wait until every Sentinel names the
        replica, now a master; the seconds that took."""
        started = time.monotonic()
        self.master.stop()
        return self.wait_for_promotion(started)

    def wait_for_promotion(self, since: float) -> float:
        """Wait until every Sentinel names the replica, now a master; the seconds since
        ``since`` (time.monotonic()) when it does."""
        self._wait(
            lambda: all(self._named_by(s) == self.replica.port for s in self.sentinels),
            "the Sentinels to name the new master",
            timeout=30,
        )
        self._wait_for_role(self.replica.port, "master")
        return time.monotonic() - since

    def stop(self) -> None:
        for sentinel in self.sentinels:
            sentinel.stop()
        self.replica.stop()
        self.master.stop()

    def _replicas_known(self) -> bool:
        for sentinel in self.sentinels:
            with sentinel.client() as client:
                if not client.sentinel_slaves(MASTER_NAME):
                    return False
        return True

    def _named_by(self, sentinel: SentinelServer) -> int | None:
        with sentinel.client() as client:
            found = client.sentinel_get_master_addr_by_name(MASTER_NAME)
        return int(found[1]) if found else None

    def _wait_for_replication(self) -> None:
        def linked() -> bool:
            with redis.Redis("127.0.0.1", self.replica.port, decode_responses=True) as client:
                return client.info("replication").get("master_link_status") == "up"

        self._wait(linked, "the replica to connect to the master")

    def _wait_for_role(self, port: int, role: str) -> None:
        def has_role() -> bool:
            with redis.Redis("127.0.0.1", port, decode_responses=True) as client:
                return client.info("replication").get("role") == role

        self._wait(has_role, f"the Redis on {port} to be {role}")

    @staticmethod
    def _wait(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except redis.RedisError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout} s for {what}")
