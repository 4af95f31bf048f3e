"""What the rate limiter costs an accepted comment: two `moderation up` stacks side by side in one
run, one with MODERATION_RATE_LIMITS_ENABLED=false, one with the limits on but too high to refuse
anything, measured in turns, each against its own bare validating endpoint.

    python -m bench.ratelimits            # -n comments per phase, -c clients, -r rounds

Prints, per stack: the API's CPU per request on the bare endpoint and per accepted comment, their
ratio (target <= 2x), requests/s; then the CPU the limiter adds to an accepted comment. All
requests come from 127.0.0.1, so every accepted comment checks the same per-address and per-site
keys, as a flood would. The figures are medians over rounds; the machine's other load shows up
as spread between rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import signal
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.pipeline import (
    LIMITS_NEVER_REACHED,
    api_pid_of,
    cpu_seconds,
    flat_out,
    payload,
    start_stack,
    wait_decided,
)

OFF = {"rate_limits_enabled": "false"}
ON = LIMITS_NEVER_REACHED


@dataclass
class Round:
    bare_cpu_us: float
    accept_cpu_us: float
    bare_per_s: float
    accept_per_s: float
    failures: int


@dataclass
class Stack:
    name: str
    process: subprocess.Popen[bytes]
    base: str
    database_url: str
    api_pid: int | None
    rounds: list[Round]


def one_round(stack: Stack, article: str, rng: random.Random, count: int, clients: int) -> None:
    def bodies(name: str) -> list[bytes]:
        return [payload(rng, name, i) for i in range(count)]

    pid = stack.api_pid
    before = cpu_seconds(pid)
    bare_s, bare_failed = asyncio.run(
        flat_out(stack.base, "/api/v1/comments/validate", bodies("bare"), clients)
    )
    bare_cpu = cpu_seconds(pid) - before
    before = cpu_seconds(pid)
    accept_s, accept_failed = asyncio.run(
        flat_out(stack.base, "/api/v1/comments", bodies(article), clients)
    )
    accept_cpu = cpu_seconds(pid) - before
    # Let the worker catch up, so that it is idle while the other stack is measured.
    wait_decided(stack.database_url, article, count, 120)
    stack.rounds.append(
        Round(
            1e6 * bare_cpu / count,
            1e6 * accept_cpu / count,
            count / bare_s,
            count / accept_s,
            bare_failed + accept_failed,
        )
    )


def measure(count: int, clients: int, rounds: int) -> list[Stack]:
    """Both stacks up side by side, measured in turns (the order alternating each round), so
    that a change in the machine's load falls on both alike."""
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="moderation-bench-") as directory:
        stacks: list[Stack] = []
        try:
            for name, settings in (("limits off", OFF), ("limits on (never reached)", ON)):
                folder = Path(directory) / name.split()[1]
                folder.mkdir()
                process, base, database_url = start_stack(folder, settings)
                stacks.append(Stack(name, process, base, database_url, api_pid_of(process.pid), []))
            for stack in stacks:  # the worker loads its model, the API's pools fill
                one_round(stack, "warm", rng, count, clients)
                stack.rounds.clear()
            for number in range(rounds):
                for stack in stacks if number % 2 == 0 else stacks[::-1]:
                    one_round(stack, f"round-{number}", rng, count, clients)
        finally:
            for stack in stacks:
                stack.process.send_signal(signal.SIGTERM)
                stack.process.wait(60)
    return stacks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", "--count", type=int, default=3000)
    parser.add_argument("-c", "--clients", type=int, default=16)
    parser.add_argument("-r", "--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    runs = {stack.name: stack.rounds for stack in measure(args.count, args.clients, args.rounds)}

    def median(rounds: list[Round], field: str) -> float:
        return statistics.median(getattr(r, field) for r in rounds)

    print(
        f"\nrate limiter benchmark: {platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {args.count} comments x {args.rounds} rounds, "
        f"{args.clients} clients"
    )
    for name, rounds in runs.items():
        bare, accept = median(rounds, "bare_cpu_us"), median(rounds, "accept_cpu_us")
        failed = sum(r.failures for r in rounds)
        print(f"  {name}")
        print(f"    {'API CPU per request: bare / accept':<44}{bare:>6.0f} / {accept:.0f} us")
        print(f"    {'accept vs bare endpoint (CPU)':<44}{accept / bare:>6.2f}x  target <= 2.00x")
        print(
            f"    {'throughput: bare / accepted':<44}{median(rounds, 'bare_per_s'):>6,.0f} / "
            f"{median(rounds, 'accept_per_s'):,.0f} /s  ({failed} failed)"
        )
        spread = [f"{r.accept_cpu_us:.0f}" for r in rounds]
        print(f"    {'accept CPU per round':<44}{' '.join(spread)} us")
    off, on = runs["limits off"], runs["limits on (never reached)"]
    added = median(on, "accept_cpu_us") - median(off, "accept_cpu_us")
    print(
        f"  {'limiter adds to an accepted comment':<46}{added:>6.0f} us of API CPU "
        f"({added / median(off, 'accept_cpu_us'):+.0%})"
    )


if __name__ == "__main__":
    main()
