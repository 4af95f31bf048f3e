"""End-to-end throughput and latency of the pipeline, with a bare endpoint as the baseline.

    python -m bench.pipeline                 # starts a fresh `moderation up` stack in a temp dir
    python -m bench.pipeline --url http://127.0.0.1:8000 --database-url sqlite:///./moderation.db
    python -m bench.pipeline --sustained --window 20   # the highest rate with p99 < 1 s

Prints: requests/s on a bare endpoint that only validates (the same server, same run), accepted
comments/s at the API and its ratio to the bare endpoint, decisions/s end to end, and
p50/p95/p99 submit-to-decision latency (from the comment's stored creation to its decision),
both flat out and at a fixed rate (200/s by default).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from moderation.storage.models import Article, Comment

# Every comment of a benchmark comes from 127.0.0.1: the rate limits stay on (each comment pays
# for its checks) but too high to refuse any (bench/ratelimits.py measures what they cost).
LIMITS_NEVER_REACHED = {
    "rate_limits_enabled": "true",
    "rate_per_address": "100000000/minute",
    "rate_per_site": "100000000/minute",
}

WORDS = (
    "the council budget park housing vote bus plan city residents cost mayor market river "
    "school library funding year people think agree question report thanks really should "
    "would could local new old public green east bank phase project grant state hearing"
).split()


def comment_body(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 45))).capitalize() + "."


def payload(rng: random.Random, article: str, number: int) -> bytes:
    return json.dumps(
        {
            "article_id": article,
            "author_name": f"Reader {number}",
            "author_email": f"reader{number}@example.org",
            "body": comment_body(rng),
        }
    ).encode()


def request_bytes(host: str, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


def host_and_port(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    return parts.hostname or "127.0.0.1", parts.port or 80


_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Connections:
    """Keep-alive connections to one server, each carrying one request at a time."""

    def __init__(self, base: str) -> None:
        self.host, self.port = host_and_port(base)
        self.free: asyncio.Queue[_Connection] = asyncio.Queue()

    @classmethod
    async def open(cls, base: str, count: int) -> Connections:
        connections = cls(base)
        for _ in range(count):
            connection = await asyncio.open_connection(connections.host, connections.port)
            connections.free.put_nowait(connection)
        return connections

    def request(self, path: str, body: bytes) -> bytes:
        return request_bytes(self.host, path, body)

    async def send(self, raw: bytes) -> int:
        """The status of `raw` sent on a free connection. A connection that broke is replaced
        by a new one, and the error raised."""
        connection = await self.free.get()
        try:
            return await _send(*connection, raw)
        except (OSError, asyncio.IncompleteReadError):
            # Replaced, so that the rest of the run still has every connection.
            connection = await asyncio.open_connection(self.host, self.port)
            raise
        finally:
            self.free.put_nowait(connection)

    def close(self) -> None:
        while not self.free.empty():
            self.free.get_nowait()[1].close()


async def at_rate(
    requests: Iterable[bytes],
    rate: float,
    send: Callable[[bytes, float], Coroutine[Any, Any, None]],
) -> float:
    """Start `send(request, due)` for each request when it is due, one every 1/rate s (open
    loop: a slow answer delays no later request), and wait for all; returns when it started."""
    started = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for number, raw in enumerate(requests):
        due = started + number / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(raw, due)))
    await asyncio.gather(*tasks)
    return started


async def flat_out(base: str, path: str, bodies: list[bytes], clients: int) -> tuple[float, int]:
    """Send every body as fast as `clients` keep-alive connections allow: (seconds, failures)."""
    host, port = host_and_port(base)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(request_bytes(host, path, body))
    failures = 0

    async def client() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while not queue.empty():
                status = await _send(reader, writer, queue.get_nowait())
                if status >= 300:
                    failures += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started, failures


async def paced(base: str, bodies: list[bytes], rate: float, clients: int) -> tuple[float, int]:
    """Send at a fixed rate (open loop, spread over `clients` connections)."""
    connections = await Connections.open(base, clients)
    failures = 0

    async def one(raw: bytes, due: float) -> None:
        nonlocal failures
        if await connections.send(raw) >= 300:
            failures += 1

    requests = (connections.request("/api/v1/comments", body) for body in bodies)
    started = await at_rate(requests, rate, one)
    elapsed = time.perf_counter() - started
    connections.close()
    return elapsed, failures


def wait_decided(database_url: str, article: str, count: int, timeout: float) -> list[Comment]:
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout
    query = (
        select(Comment)
        .join(Article, Comment.article_id == Article.id)
        .where(Article.external_id == article)
    )
    while True:
        with Session(engine) as session:
            rows = list(session.execute(query).scalars())
        decided = [c for c in rows if c.decided_at is not None]
        if len(decided) >= count or time.monotonic() > deadline:
            engine.dispose()
            return decided
        time.sleep(0.05)


def wait_count(database_url: str, article: str, count: int, timeout: float) -> int:
    """Wait until `count` comments of `article` are decided, with one light count query a
    quarter second (reading the rows every poll would cost PostgreSQL more than the bench)."""
    engine = create_engine(database_url)
    query = (
        select(func.count())
        .select_from(Comment)
        .join(Article, Comment.article_id == Article.id)
        .where(Article.external_id == article, Comment.decided_at.is_not(None))
    )
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                decided = int(connection.execute(query).scalar_one())
            if decided >= count or time.monotonic() > deadline:
                return decided
            time.sleep(0.25)
    finally:
        engine.dispose()


def decided_rows(database_url: str, article: str) -> list[Comment]:
    engine = create_engine(database_url)
    query = (
        select(Comment)
        .join(Article, Comment.article_id == Article.id)
        .where(Article.external_id == article, Comment.decided_at.is_not(None))
    )
    with Session(engine) as session:
        rows = list(session.execute(query).scalars())
    engine.dispose()
    return rows


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def latency_ms(comments: list[Comment]) -> list[float]:
    return [
        (c.decided_at - c.created_at).total_seconds() * 1000
        for c in comments
        if c.decided_at is not None
    ]


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process, from /proc (0 where unknown)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def api_pid_of(stack_pid: int) -> int | None:
    """The API child of a `moderation up` process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == stack_pid and b"api" in cmdline:
            return int(entry.name)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_stack(
    directory: Path, settings: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str, str]:
    """A `moderation up` stack in `directory`; `settings` are MODERATION_* (NAME unprefixed)."""
    port = free_port()
    database_url = f"sqlite:///{directory / 'bench.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
    env.update(
        MODERATION_DATABASE_URL=database_url,
        MODERATION_DATA_DIR=str(directory / "data"),
        MODERATION_LOG_LEVEL="WARNING",
    )
    env.update({f"MODERATION_{k.upper()}": v for k, v in (settings or {}).items()})
    process = subprocess.Popen(
        [sys.executable, "-m", "commands", "up", "--port", str(port)],
        env=env,
        stdout=(directory / "stack.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return process, base, database_url
        except OSError:
            time.sleep(0.25)
    process.kill()
    raise SystemExit("the stack did not start; see " + str(directory / "stack.log"))


def run(
    base: str,
    database_url: str,
    count: int,
    clients: int,
    rate: float,
    seconds: float,
    api_pid: int | None = None,
) -> None:
    rng = random.Random(7)
    run_id = f"bench-{int(time.time())}"

    def bodies(article: str, n: int) -> list[bytes]:
        return [payload(rng, article, i) for i in range(n)]

    # Warm up: the model loads on the worker's first batch; the API's pools fill.
    asyncio.run(flat_out(base, "/api/v1/comments", bodies(f"{run_id}-warm", 200), clients))
    wait_decided(database_url, f"{run_id}-warm", 200, 60)

    cpu_before = cpu_seconds(api_pid)
    bare_s, bare_fail = asyncio.run(
        flat_out(base, "/api/v1/comments/validate", bodies("bare", count), clients)
    )
    cpu_bare = cpu_seconds(api_pid) - cpu_before
    cpu_before = cpu_seconds(api_pid)
    accept_s, accept_fail = asyncio.run(
        flat_out(base, "/api/v1/comments", bodies(f"{run_id}-flat", count), clients)
    )
    cpu_accept = cpu_seconds(api_pid) - cpu_before
    flat = wait_decided(database_url, f"{run_id}-flat", count, 120)
    first = min(c.created_at for c in flat)
    last = max(c.decided_at for c in flat if c.decided_at)
    e2e_s = (last - first).total_seconds()
    flat_lat = latency_ms(flat)

    paced_n = int(rate * seconds)
    paced_s, paced_fail = asyncio.run(
        paced(base, bodies(f"{run_id}-paced", paced_n), rate, clients)
    )
    steady = wait_decided(database_url, f"{run_id}-paced", paced_n, 120)
    paced_lat = latency_ms(steady)

    def row(name: str, value: str, note: str = "") -> None:
        print(f"  {name:<44}{value:>14}  {note}")

    print(
        f"\npipeline benchmark: {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {count} comments, {clients} clients"
    )
    row("bare validate endpoint (baseline)", f"{count / bare_s:,.0f} req/s", f"{bare_fail} failed")
    row("accepted at the API", f"{count / accept_s:,.0f} /s", f"{accept_fail} failed")
    row("accept time vs bare endpoint", f"{accept_s / bare_s:.2f}x", "wall clock, same clients")
    if api_pid is not None and cpu_bare > 0:
        row(
            "API CPU per request: bare / accept",
            f"{1e6 * cpu_bare / count:.0f}/{1e6 * cpu_accept / count:.0f} us",
            f"accept costs {cpu_accept / cpu_bare:.2f}x the bare endpoint; target <= 2.00x",
        )
    row(
        "decided end to end (flat out)",
        f"{len(flat) / e2e_s:,.0f} /s",
        f"{len(flat)}/{count} decided, target >= 1,000/s",
    )
    row(
        "submit-to-decision p50/p95/p99 (flat out)",
        f"{percentile(flat_lat, 50):.0f}/{percentile(flat_lat, 95):.0f}/"
        f"{percentile(flat_lat, 99):.0f} ms",
    )
    row(
        f"submit-to-decision p50/p95/p99 at {rate:.0f}/s",
        f"{percentile(paced_lat, 50):.0f}/{percentile(paced_lat, 95):.0f}/"
        f"{percentile(paced_lat, 99):.0f} ms",
        f"{len(steady)}/{paced_n} decided in {paced_s:.1f}s, {paced_fail} failed; "
        "target p99 < 100 ms",
    )
    if statistics.fmean(flat_lat) <= 0:  # pragma: no cover - clocks went backwards
        print("  warning: non-positive latencies; check the clock")


def sustained(
    base: str,
    database_url: str,
    window: float,
    clients: int,
    start_rate: float,
    step: float,
    p99_limit_ms: float,
) -> None:
    """The highest open-loop rate whose submit-to-decision p99 stays under `p99_limit_ms` for
    `window` seconds: rates go up by `step` times from `start_rate` until one fails, then the
    midpoint between the last that held and the first that failed is tried once.

    A rate holds when the sender kept the pace (it sent every comment within 5% of the
    window: a client-side queue would hide latency, which is measured from the comment's
    stored creation), no request failed, every comment was decided within 30 s of the window's
    end, and the p99 of all of them is under the limit."""
    rng = random.Random(11)
    run_id = f"sustained-{int(time.time())}"
    asyncio.run(
        flat_out(
            base,
            "/api/v1/comments",
            [payload(rng, f"{run_id}-warm", i) for i in range(200)],
            clients,
        )
    )
    wait_count(database_url, f"{run_id}-warm", 200, 60)

    def attempt(rate: float) -> bool:
        article = f"{run_id}-{rate:.0f}"
        n = int(rate * window)
        bodies = [payload(rng, article, i) for i in range(n)]
        load = os.getloadavg()[0]
        sent_s, failed = asyncio.run(paced(base, bodies, rate, clients))
        decided = wait_count(database_url, article, n, 30)
        latencies = latency_ms(decided_rows(database_url, article))
        p50 = percentile(latencies, 50) if latencies else float("inf")
        p99 = percentile(latencies, 99) if latencies else float("inf")
        held = sent_s <= window * 1.05 and not failed and decided >= n and p99 < p99_limit_ms
        print(
            f"  {rate:>8,.0f}/s  sent in {sent_s:5.1f}s  {decided:>7,}/{n:,} decided  "
            f"p50/p99 {p50:,.0f}/{p99:,.0f} ms  {failed} failed  load {load:.2f}  "
            + ("holds" if held else "FAILS"),
            flush=True,
        )
        return held

    print(
        f"\nsustained rate: {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, windows of {window:.0f}s, {clients} clients, "
        f"p99 limit {p99_limit_ms:,.0f} ms"
    )
    best, rate = 0.0, start_rate
    while attempt(rate):
        best, rate = rate, rate * step
    if best:
        middle = (best + rate) / 2
        if attempt(middle):
            best = middle
    print(f"  highest rate that held: {best:,.0f} comments/s" if best else "  no rate held")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", help="a running stack (default: start one in a temp dir)")
    parser.add_argument("--database-url", help="its database, to read decision times")
    parser.add_argument("--api-pid", type=int, help="the API's process id, to measure its CPU")
    parser.add_argument("-n", "--count", type=int, default=5000)
    parser.add_argument("-c", "--clients", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--sustained",
        action="store_true",
        help="instead: find the highest rate whose p99 stays under --p99-ms for --window s",
    )
    parser.add_argument("--window", type=float, default=60.0, help="seconds at each rate")
    parser.add_argument("--start-rate", type=float, default=200.0)
    parser.add_argument("--step", type=float, default=1.25, help="each rate is this x the last")
    parser.add_argument("--p99-ms", type=float, default=1000.0)
    args = parser.parse_args(argv)

    def measure(base: str, database_url: str, api_pid: int | None) -> None:
        if args.sustained:
            sustained(
                base,
                database_url,
                args.window,
                args.clients,
                args.start_rate,
                args.step,
                args.p99_ms,
            )
            return
        run(
            base,
            database_url,
            args.count,
            args.clients,
            args.rate,
            args.seconds,
            api_pid,
        )

    if args.url:
        if not args.database_url:
            parser.error("--url needs --database-url to read decision times")
        measure(args.url, args.database_url, args.api_pid)
        return
    with tempfile.TemporaryDirectory(prefix="moderation-bench-") as directory:
        process, base, database_url = start_stack(Path(directory), LIMITS_NEVER_REACHED)
        try:
            measure(base, database_url, api_pid_of(process.pid))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)


if __name__ == "__main__":
    main()
