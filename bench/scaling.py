"""The production shape on one machine: PostgreSQL, a Redis server, API and decide-worker
processes in several counts, and where the time of a decision goes.

    python -m bench.scaling                          # 1x1,1x2,1x4,2x1,2x2,2x4 (APIs x workers)
    python -m bench.scaling --configs 1x1,2x2 -n 2000

Each configuration gets a fresh database on the PostgreSQL at --admin-url, its own Redis server,
API processes (`moderation api`, each on its own port; the bench's client connections are
shared among them, as a load balancer would), and decide workers (`moderation worker --queues
comments --concurrency 1` each). The `explanations` queue is served by no worker: its messages
wait in Redis and cost nothing here, so the figures are the decisions' alone (on a real
deployment give explanations a worker of their own, docs/operations.md#scaling). No beat.

Prints per configuration: the bare validating endpoint (baseline), accepted/s at the API,
decisions/s end to end flat out, submit-to-decision p50/p99, and the CPU seconds of every
process (from /proc, before and after the flat-out run until the last decision): API per
accepted comment, worker per decided comment, Redis and PostgreSQL (all its processes) per
comment, and the bench client's own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.pipeline import (
    LIMITS_NEVER_REACHED,
    cpu_seconds,
    decided_rows,
    flat_out,
    free_port,
    latency_ms,
    payload,
    percentile,
    wait_count,
)

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Config:
    apis: int
    workers: int

    @property
    def name(self) -> str:
        return f"{self.apis}x{self.workers}"


def parse_configs(value: str) -> list[Config]:
    configs = []
    for item in value.split(","):
        apis, _, workers = item.strip().partition("x")
        configs.append(Config(int(apis), int(workers)))
    return configs


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (a Celery worker is a main process and its pool)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def postgres_pids() -> list[int]:
    """Every process of the PostgreSQL server (postmaster, backends, writers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def snapshot(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids}


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two snapshots (a process started in between counts whole; one
    that ended in between is lost)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


@dataclass
class Stack:
    """A Redis server, a database, APIs and workers of one configuration."""

    config: Config
    directory: Path
    admin_url: str
    database: str = ""
    redis: subprocess.Popen[bytes] | None = None
    apis: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + self.database

    def _admin(self, statement: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(statement))
        engine.dispose()

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "commands", *args],
            env=self.env,
            stdout=(self.directory / log).open("wb"),
            stderr=subprocess.STDOUT,
        )

    def start(self) -> None:
        self.database = f"bench_scaling_{os.getpid()}_{self.config.name}"
        self._admin(f'CREATE DATABASE "{self.database}"')
        redis_port = free_port()
        self.redis = subprocess.Popen(
            [
                *("redis-server", "--port", str(redis_port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=(self.directory / "redis.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
        self.env.update(
            MODERATION_DATABASE_URL=self.database_url,
            MODERATION_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            MODERATION_DATA_DIR=str(self.directory / "data"),
            MODERATION_LOG_LEVEL="WARNING",
        )
        self.env.update({f"MODERATION_{k.upper()}": v for k, v in LIMITS_NEVER_REACHED.items()})
        subprocess.run(
            [sys.executable, "-m", "commands", "migrate"],
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for number in range(self.config.workers):
            self.workers.append(
                self._spawn(
                    [
                        *("worker", "--queues", "comments", "--concurrency", "1"),
                        *("--loglevel", "WARNING"),
                    ],
                    f"worker{number}.log",
                )
            )
        for number in range(self.config.apis):
            port = free_port()
            self.apis.append(
                self._spawn(["api", "--host", "127.0.0.1", "--port", str(port)], f"api{number}.log")
            )
            self.bases.append(f"http://127.0.0.1:{port}")
        self._wait_ready(redis_port)

    def _wait_ready(self, redis_port: int) -> None:
        import redis

        client = redis.Redis(port=redis_port)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                serving = client.zcard("moderation:workers:comments")
                if serving >= self.config.workers and all(_ready(b) for b in self.bases):
                    return
            except redis.RedisError:
                pass
            time.sleep(0.25)
        raise SystemExit(f"configuration {self.config.name} did not start; see {self.directory}")

    def stop(self) -> None:
        for process in [*self.apis, *self.workers]:
            process.terminate()
        for process in [*self.apis, *self.workers]:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait(10)
        if self.database:
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


async def spread(bases: list[str], path: str, bodies: list[bytes], clients: int) -> float:
    """`flat_out` with the clients and bodies shared among the API processes; seconds."""
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            flat_out(base, path, bodies[i :: len(bases)], max(1, clients // len(bases)))
            for i, base in enumerate(bases)
        )
    )
    failures = sum(failed for _, failed in results)
    if failures:
        print(f"    warning: {failures} requests to {path} failed")
    return time.perf_counter() - started


@dataclass
class Result:
    config: Config
    bare_per_s: float
    accepted_per_s: float
    decided_per_s: float
    decided: int
    p50_ms: float
    p99_ms: float
    api_us: float
    worker_us: float
    redis_us: float
    postgres_us: float
    client_us: float
    wall_s: float


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(stack: Stack, count: int, clients: int) -> Result:
    rng = random.Random(7)
    config = stack.config
    url = stack.database_url

    def bodies(article: str, n: int) -> list[bytes]:
        return [payload(rng, article, i) for i in range(n)]

    # Warm up: every worker loads the model on its first batch; the pools fill.
    warm = 300 * config.workers
    asyncio.run(spread(stack.bases, "/api/v1/comments", bodies("warm", warm), clients))
    wait_count(url, "warm", warm, 120)
    time.sleep(1)

    bare_s = asyncio.run(
        spread(stack.bases, "/api/v1/comments/validate", bodies("bare", count), clients)
    )

    api_pids = [p.pid for p in stack.apis]
    worker_pids = [pid for w in stack.workers for pid in descendants(w.pid)]
    redis_pids = [stack.redis.pid] if stack.redis else []
    flat = bodies("flat", count)
    before = [snapshot(api_pids), snapshot(worker_pids), snapshot(redis_pids)]
    before_pg, before_client = snapshot(postgres_pids()), client_cpu()
    started = time.perf_counter()
    accept_s = asyncio.run(spread(stack.bases, "/api/v1/comments", flat, clients))
    decided = wait_count(url, "flat", count, 300)
    wall_s = time.perf_counter() - started
    after = [snapshot(api_pids), snapshot(worker_pids), snapshot(redis_pids)]
    after_pg, after_client = snapshot(postgres_pids()), client_cpu()
    api_cpu, worker_cpu, redis_cpu = (spent(b, a) for b, a in zip(before, after, strict=True))
    postgres_cpu = spent(before_pg, after_pg)

    rows = decided_rows(url, "flat")
    first = min(c.created_at for c in rows)
    last = max(c.decided_at for c in rows if c.decided_at)
    latencies = latency_ms(rows)
    return Result(
        config=config,
        bare_per_s=count / bare_s,
        accepted_per_s=count / accept_s,
        decided_per_s=len(rows) / (last - first).total_seconds(),
        decided=decided,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        api_us=1e6 * api_cpu / count,
        worker_us=1e6 * worker_cpu / max(1, decided),
        redis_us=1e6 * redis_cpu / count,
        postgres_us=1e6 * postgres_cpu / count,
        client_us=1e6 * (after_client - before_client) / count,
        wall_s=wall_s,
    )


def print_table(results: list[Result], count: int, clients: int) -> None:
    print(
        f"\nscaling benchmark: {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {count} comments a configuration, {clients} clients"
    )
    print(
        "\n| APIs x workers | bare req/s | accepted/s | decided/s | p50 / p99 ms "
        "| API us/comment | worker us/decision | Redis us | PostgreSQL us | client us "
        "| CPU us/decision, all |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        total = r.api_us + r.worker_us + r.redis_us + r.postgres_us
        print(
            f"| {r.config.apis} x {r.config.workers} | {r.bare_per_s:,.0f} "
            f"| {r.accepted_per_s:,.0f} | {r.decided_per_s:,.0f} "
            f"| {r.p50_ms:,.0f} / {r.p99_ms:,.0f} | {r.api_us:,.0f} | {r.worker_us:,.0f} "
            f"| {r.redis_us:,.0f} | {r.postgres_us:,.0f} | {r.client_us:,.0f} | {total:,.0f} |"
        )
    print(
        "\nCPU is per comment of the flat-out run, from its first request to its last "
        "decision; 'worker us/decision' is all decide workers' CPU over the comments decided "
        "(per-worker cost: decided/s divided by workers is each worker's throughput)."
    )
    for r in results:
        if r.decided < count:
            print(f"  {r.config.name}: only {r.decided}/{count} decided in time")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--configs",
        default="1x1,1x2,1x4,2x1,2x2,2x4",
        help="APIxWORKERS, comma-separated (default 1x1,1x2,1x4,2x1,2x2,2x4)",
    )
    parser.add_argument("-n", "--count", type=int, default=2500)
    parser.add_argument("-c", "--clients", type=int, default=16)
    parser.add_argument(
        "--pause", type=float, default=10.0, help="seconds of rest before each configuration"
    )
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a database to create others from")
    args = parser.parse_args(argv)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = []
    for config in parse_configs(args.configs):
        with tempfile.TemporaryDirectory(prefix="moderation-scaling-") as directory:
            stack = Stack(config, Path(directory), args.admin_url)
            time.sleep(args.pause)
            try:
                load = os.getloadavg()[0]
                stack.start()
                result = measure(stack, args.count, args.clients)
            finally:
                stack.stop()
            results.append(result)
            print(
                f"  {config.name}: load before {load:.2f}, {result.decided_per_s:,.0f} decided/s, "
                f"p99 {result.p99_ms:,.0f} ms, {result.wall_s:.1f}s",
                flush=True,
            )
    print_table(results, args.count, args.clients)


if __name__ == "__main__":
    main()
