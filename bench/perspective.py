"""Latency of the Perspective-compatible comments:analyze at a steady rate, as Coral Talk calls it,
with the same route refusing the same requests before the queue as the baseline.

    python -m bench.perspective           # starts a fresh `moderation up` stack in a temp dir
    python -m bench.perspective --url http://127.0.0.1:8000 --key sk_...

Sends Coral-Talk-shaped requests (`doNotStore: true`, TOXICITY, `languages: ["en"]`; short and
long comments mixed) at a fixed rate (50/s by default, open loop: latency is counted from when
each request was due, so a slow answer delays nobody's clock) and prints p50/p95/p99/max and
failures. The baseline is the same requests with `languages: ["fr"]` at the same rate against
the same server: parsed and refused by the route without going through Redis and a worker, so
the difference is what the queue round trip costs. Target: p99 < 800 ms (Coral Talk's timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, select

from bench.pipeline import WORDS, Connections, at_rate, percentile, start_stack
from moderation.services.sites import DEFAULT_SITE
from moderation.storage.models import Site

TOXIC = "you idiot pathetic moron garbage stupid shut up loser".split()


def comment_text(rng: random.Random) -> str:
    """Mostly a sentence or three; one in five a long comment of several paragraphs."""
    words = rng.randint(150, 600) if rng.random() < 0.2 else rng.randint(5, 40)
    pool = WORDS + TOXIC if rng.random() < 0.3 else WORDS
    sentences, sentence = [], []
    for _ in range(words):
        sentence.append(rng.choice(pool))
        if len(sentence) >= rng.randint(8, 20):
            sentences.append(" ".join(sentence).capitalize() + ".")
            sentence = []
    if sentence:
        sentences.append(" ".join(sentence).capitalize() + ".")
    return " ".join(sentences)


def coral_request(text: str, language: str = "en") -> bytes:
    return json.dumps(
        {
            "comment": {"text": text},
            "doNotStore": True,
            "requestedAttributes": {"TOXICITY": {}},
            "languages": [language],
        }
    ).encode()


async def paced(
    base: str, path: str, bodies: list[bytes], rate: float, connections: int, expect: int
) -> tuple[list[float], int]:
    """Send one body every 1/rate s over keep-alive connections: (latencies in ms, failures)."""
    pool = await Connections.open(base, connections)
    latencies: list[float] = []
    failures = 0

    async def one(raw: bytes, due: float) -> None:
        nonlocal failures
        try:
            status = await pool.send(raw)
        except (OSError, asyncio.IncompleteReadError):
            failures += 1
        else:
            latencies.append((time.perf_counter() - due) * 1000)
            if status != expect:
                failures += 1

    await at_rate((pool.request(path, body) for body in bodies), rate, one)
    pool.close()
    return latencies, failures


def site_key(database_url: str) -> str:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        key = connection.execute(
            select(Site.secret_key).where(Site.slug == DEFAULT_SITE)
        ).scalar_one()
    engine.dispose()
    return str(key)


def run(base: str, key: str, rate: float, seconds: float, connections: int) -> None:
    rng = random.Random(11)
    path = f"/v1alpha1/comments:analyze?key={key}"
    count = int(rate * seconds)
    texts = [comment_text(rng) for _ in range(count)]
    long_share = sum(len(t) > 800 for t in texts) / count

    # Warm up: the worker loads its model on its first task; connections open.
    warm = [coral_request(comment_text(rng)) for _ in range(20)]
    asyncio.run(paced(base, path, warm, 10, 4, 200))

    bare, bare_failed = asyncio.run(
        paced(base, path, [coral_request(t, "fr") for t in texts], rate, connections, 400)
    )
    scored, failed = asyncio.run(
        paced(base, path, [coral_request(t) for t in texts], rate, connections, 200)
    )

    def row(name: str, latencies: list[float], failures: int, note: str = "") -> None:
        figures = (
            "/".join(f"{percentile(latencies, q):.0f}" for q in (50, 95, 99))
            + f"/{max(latencies):.0f} ms"
        )
        print(f"  {name:<46}{figures:>22}  {failures} failed{note}")

    print(
        f"\nPerspective-compatible API: {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {count} requests at {rate:.0f}/s over {seconds:.0f} s, "
        f"{long_share:.0%} long comments (> 800 characters)"
    )
    print(f"  {'':<46}{'p50/p95/p99/max':>22}")
    row("refused before the queue (baseline)", bare, bare_failed)
    row(
        "comments:analyze, scored by the worker",
        scored,
        failed,
        f"; target p99 < 800 ms (Coral Talk's timeout): "
        f"{'met' if percentile(scored, 99) < 800 else 'NOT met'}",
    )
    print(
        f"  {'queue round trip (p50 difference)':<46}"
        f"{percentile(scored, 50) - percentile(bare, 50):>19.1f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", help="a running stack (default: start one in a temp dir)")
    parser.add_argument("--key", help="a site's secret key on that stack")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("-c", "--connections", type=int, default=32)
    args = parser.parse_args(argv)
    if args.url:
        if not args.key:
            parser.error("--url needs --key, a site's secret key")
        run(args.url, args.key, args.rate, args.seconds, args.connections)
        return
    with tempfile.TemporaryDirectory(prefix="moderation-bench-") as directory:
        process, base, database_url = start_stack(Path(directory))
        try:
            run(base, site_key(database_url), args.rate, args.seconds, args.connections)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)


if __name__ == "__main__":
    main()
