"""The decide rate as the comments table grows: the same stream of comments decided by a
`moderation up` stack (the embedded default: SQLite, embedded Redis, worker) over a database
holding 10,000 stored comments and over one holding 1,000,000, in the same run.

    python -m bench.table_growth                          # 10,000 vs 1,000,000 stored
    python -m bench.table_growth --sizes 10000,200000 --rounds 2

Each database is filled as years of a news site would fill it (`fill`): comments spread over
two years on one article per 50 comments, decided (85% approved, 3% pending, 7% spam, 5%
rejected) with their decision and audit rows, a few texts posted many times over, and written
by authors drawn from a Zipf law (exponent 0.75 over a quarter as many authors as comments): a
few regulars have thousands of comments, most people one or two. The decide path reads those
rows for every batch: the author's history (their approved count and recent removals), the
copies of each text in the flood window, and the unique decision per comment it inserts into.

A stack is started on each database and both stay up; rounds alternate between them, so a
change in the machine's load during the run falls on both. A round posts `--count` comments
flat out to a new article, from authors drawn from the same law (so most have history) with
3% copies of one text, and measures decisions/s from the first comment stored to the last
decided, and submit-to-decision p50/p99. Prints the median round per size and its ratio to
the smallest size: the baseline is the same code on a small table, same run. Target: the
largest within 20% of the smallest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert
from sqlalchemy.engine import Engine

from bench.pipeline import (
    LIMITS_NEVER_REACHED,
    comment_body,
    decided_rows,
    flat_out,
    latency_ms,
    percentile,
    start_stack,
    wait_count,
)
from moderation.domain.policy.text import body_fingerprint
from moderation.domain.statuses import CommentStatus
from moderation.storage.models import Article, Comment, Decision, ModerationEvent

COMMENTS_PER_ARTICLE = 50
STATUSES = (
    (CommentStatus.APPROVED, 0.85),
    (CommentStatus.PENDING, 0.03),
    (CommentStatus.SPAM, 0.07),
    (CommentStatus.REJECTED, 0.05),
)
# Texts posted over and over (the flood rule counts their copies through an index).
REPEATED = ("Great article, thanks!", "Visit my profile for cheap followers", "First!")
CHUNK = 20_000
WARM_UP = 500  # comments of round 0: the model loads, the caches fill


class Authors:
    """Emails drawn from a Zipf law: author k (from 1) writes in proportion to k**-0.75."""

    def __init__(self, comments: int, rng: random.Random) -> None:
        self.count = max(1, comments // 4)
        weights = [k**-0.75 for k in range(1, self.count + 1)]
        total = sum(weights)
        running, self._cumulative = 0.0, []
        for weight in weights:
            running += weight / total
            self._cumulative.append(running)
        self._rng = rng

    def draw(self, n: int) -> list[int]:
        last = self.count - 1
        return [min(bisect_left(self._cumulative, self._rng.random()), last) for _ in range(n)]


def email(author: int) -> str:
    return f"reader{author}@example.org"


def _article_rows(count: int, start: datetime, span: timedelta) -> list[dict[str, Any]]:
    return [
        {
            "id": i + 1,
            "site_id": 1,
            "external_id": f"stored-{i + 1}",
            "title": f"Stored article {i + 1}",
            "created_at": start + span * i / count,
        }
        for i in range(count)
    ]


def _status(rng: random.Random) -> CommentStatus:
    roll, below = rng.random(), 0.0
    for status, share in STATUSES:
        below += share
        if roll < below:
            return status
    return CommentStatus.APPROVED


def _rows(
    first: int, last: int, total: int, authors: list[int], rng: random.Random
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    start = datetime.now(UTC) - timedelta(days=730)
    articles = max(1, total // COMMENTS_PER_ARTICLE)
    for number in range(first, last):
        created = start + timedelta(days=730) * number / total
        body = rng.choice(REPEATED) if rng.random() < 0.02 else comment_body(rng)
        status = _status(rng)
        spam = 0.9 if status is CommentStatus.SPAM else rng.random() * 0.3
        toxicity = 0.9 if status is CommentStatus.REJECTED else rng.random() * 0.3
        author = authors[number - first]
        comment_id = number + 1
        yield (
            {
                "id": comment_id,
                "article_id": min(articles, number // COMMENTS_PER_ARTICLE + 1),
                "depth": 0,
                "author_name": f"Reader {author}",
                "author_email": email(author),
                "client_ip": f"10.{author % 250}.{author // 250 % 250}.{author % 7}",
                "user_agent": "Mozilla/5.0 (bench)",
                "body": body,
                "body_fingerprint": body_fingerprint(body),
                "status": status,
                "created_at": created,
                "decided_at": created + timedelta(seconds=1),
                "channel": "form",
                "is_test": False,
            },
            {
                "id": comment_id,
                "comment_id": comment_id,
                "status": status,
                "spam": spam,
                "toxicity": toxicity,
                "scores": {"spam": spam, "toxicity": toxicity},
                "reasons": [],
                "model_version": "stored",
                "risk": max(spam, toxicity),
                "created_at": created + timedelta(seconds=1),
            },
            {
                "id": comment_id,
                "comment_id": comment_id,
                "actor": "policy",
                "from_status": CommentStatus.QUEUED,
                "to_status": status,
                "reason": "stored by the bench",
                "created_at": created + timedelta(seconds=1),
            },
        )


def fill(engine: Engine, total: int, seed: int = 5) -> None:
    """Store `total` decided comments (with decisions and audit events), in chunks."""
    rng = random.Random(seed)
    law = Authors(total, rng)
    start = datetime.now(UTC) - timedelta(days=730)
    with engine.begin() as connection:
        connection.execute(
            insert(Article),
            _article_rows(max(1, total // COMMENTS_PER_ARTICLE), start, timedelta(days=730)),
        )
    for first in range(0, total, CHUNK):
        last = min(total, first + CHUNK)
        comments, decisions, events = zip(
            *_rows(first, last, total, law.draw(last - first), rng), strict=True
        )
        with engine.begin() as connection:
            connection.execute(insert(Comment), list(comments))
            connection.execute(insert(Decision), list(decisions))
            connection.execute(insert(ModerationEvent), list(events))


def posted(article: str, count: int, law: Authors, rng: random.Random) -> list[bytes]:
    """A round's comments: authors with history, 3% copies of one text."""
    return [
        json.dumps(
            {
                "article_id": article,
                "author_name": f"Reader {author}",
                "author_email": email(author),
                "body": REPEATED[0] if rng.random() < 0.03 else comment_body(rng),
            }
        ).encode()
        for author in law.draw(count)
    ]


@dataclass
class Table:
    """One stack over a database holding `stored` comments, and its rounds' figures."""

    stored: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None
    base: str = ""
    database_url: str = ""
    rates: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)

    def prepare(self) -> float:
        """Migrate and fill the database; the seconds it took."""
        started = time.perf_counter()
        url = f"sqlite:///{self.directory / 'bench.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
        subprocess.run(
            [sys.executable, "-m", "commands", "migrate"],
            env={**env, "MODERATION_DATABASE_URL": url},
            check=True,
            capture_output=True,
        )
        engine = create_engine(url)
        fill(engine, self.stored)
        engine.dispose()
        return time.perf_counter() - started

    def start(self) -> None:
        self.process, self.base, self.database_url = start_stack(
            self.directory, LIMITS_NEVER_REACHED
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)

    def forget_warm_up(self) -> None:
        del self.rates[0], self.p50[0], self.p99[0]

    def round(self, name: str, count: int, clients: int, law: Authors, seed: int) -> None:
        bodies = posted(name, count, law, random.Random(seed))
        asyncio.run(flat_out(self.base, "/api/v1/comments", bodies, clients))
        wait_count(self.database_url, name, count, 300)
        rows = decided_rows(self.database_url, name)
        first = min(c.created_at for c in rows)
        last = max(c.decided_at for c in rows if c.decided_at)
        self.rates.append(len(rows) / (last - first).total_seconds())
        latencies = latency_ms(rows)
        self.p50.append(percentile(latencies, 50))
        self.p99.append(percentile(latencies, 99))


def report(tables: list[Table], count: int, clients: int, rounds: int) -> None:
    print(
        f"\ntable growth: {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite, {rounds} rounds of {count:,} comments flat out, "
        f"{clients} clients"
    )
    baseline = statistics.median(tables[0].rates)
    for table in tables:
        rate = statistics.median(table.rates)
        rounds_text = ", ".join(f"{r:,.0f}" for r in table.rates)
        print(
            f"  {table.stored:>10,} stored  {rate:>7,.0f} decided/s (median of {rounds_text})  "
            f"p50/p99 {statistics.median(table.p50):,.0f}/{statistics.median(table.p99):,.0f} "
            f"ms  {rate / baseline:.2f}x the {tables[0].stored:,}-comment table"
        )
    print("  target: the largest table within 20% (>= 0.80x) of the smallest")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,1000000", help="stored comments, smallest first")
    parser.add_argument("-n", "--count", type=int, default=5000, help="comments per round")
    parser.add_argument("-c", "--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="moderation-growth-") as directory:
        tables = [Table(size, Path(directory) / str(size)) for size in sizes]
        try:
            for table in tables:
                table.directory.mkdir()
                print(f"filling {table.stored:,} comments ...", flush=True)
                print(f"  {table.prepare():.0f} s", flush=True)
                table.start()
            laws = {t.stored: Authors(t.stored, random.Random(1)) for t in tables}
            for number in range(args.rounds + 1):  # round 0 warms up (model load, caches)
                for table in tables:
                    count = args.count if number else WARM_UP
                    table.round(f"round-{number}", count, args.clients, laws[table.stored], number)
                    print(
                        f"  round {number}: {table.stored:,} stored, "
                        f"{table.rates[-1]:,.0f} decided/s" + ("" if number else " (warm-up)"),
                        flush=True,
                    )
            for table in tables:
                table.forget_warm_up()
        finally:
            for table in tables:
                table.stop()
        report(tables, args.count, args.clients, args.rounds)


if __name__ == "__main__":
    main()
