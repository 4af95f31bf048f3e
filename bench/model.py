"""Model load time, artifact size and resident memory of processes that hold the model.

    python -m bench.model                    # the model a worker would use now (active version)
    python -m bench.model --model DIR        # a given model directory
    python -m bench.model --no-worker        # skip the real `moderation worker` measurement

Prints: the artifact's size; the cold load time (median over fresh processes, each loading the
model once, page cache warm) and a warm reload in one process; the resident memory (VmRSS and
peak VmHWM) of a fresh process after loading the model and scoring one batch, against a fresh
process that only imported numpy and scikit-learn; and, unless --no-worker, the RSS of a real
`moderation worker --concurrency 1` (prefork parent + child) after it decided one batch, run
against a private redis-server and SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_LOAD_S = 1.0
TARGET_ARTIFACT_MB = 25.0
TARGET_WORKER_MB = 400.0

_WORDS = (
    "the council budget park housing vote bus plan city residents cost mayor market river "
    "school library funding year people think agree question report thanks really should "
    "would could local new old public green east bank phase project grant state hearing"
).split()


def _bodies(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(_WORDS) for _ in range(rng.randint(12, 45))).capitalize() + "."
        for _ in range(n)
    ]


def _status_kb(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak) in kB from /proc/<pid>/status."""
    figures: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures[key] = int(value.split()[0])
    return figures


def _pss_kb(pid: int) -> int | None:
    """Proportional set size: shared pages split between the processes that map them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                found.extend(int(child) for child in fh.read().split())
        except OSError:
            continue
    return found


# -- measurements made inside a fresh child process ---------------------------------------------


def _child(kind: str, model: str | None, batch: int) -> dict[str, Any]:
    if kind == "baseline":
        import numpy  # noqa: F401
        import sklearn.linear_model
        import sklearn.pipeline  # noqa: F401

        return _status_kb()
    started = time.perf_counter()
    from classifiers import CommentText, Scorer

    imported = time.perf_counter()
    scorer = Scorer.load(model)
    loaded = time.perf_counter()
    result: dict[str, Any] = {
        "import_s": imported - started,
        "load_s": loaded - imported,
        "version": scorer.version,
    }
    if kind == "load":
        again = time.perf_counter()
        Scorer.load(model)
        result["warm_load_s"] = time.perf_counter() - again
        return result
    scorer.score([CommentText(body) for body in _bodies(batch)])
    result.update(_status_kb())
    return result


def _model_args(model: Path, batch: int) -> list[str]:
    return ["--model", str(model), "--batch", str(batch)]


def _in_fresh_process(kind: str, model: Path, batch: int) -> dict[str, Any]:
    answer = subprocess.run(
        [sys.executable, "-m", "bench.model", "--child", kind, *_model_args(model, batch)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    figures: dict[str, Any] = json.loads(answer.stdout.splitlines()[-1])
    return figures


# -- a real worker ------------------------------------------------------------------------------


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    except ProcessLookupError:
        pass


_NO_PERSISTENCE = ("--save", "", "--appendonly", "no", "--dir")


def measure_worker(model: Path, batch: int) -> dict[str, Any]:
    """RSS of `moderation worker --concurrency 1` after it decided one batch."""
    from bench.pipeline import free_port
    from moderation.config import Settings
    from moderation.domain.schemas import CommentSubmission
    from moderation.messaging.queues import producer_app, send_decide
    from moderation.services.comments import AcceptedComment, ClientInfo, submit_comments
    from moderation.storage.comments import count_by_status
    from moderation.storage.db import session_scope
    from moderation.storage.migrate import upgrade

    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        raise RuntimeError("redis-server is not on PATH")
    with tempfile.TemporaryDirectory(prefix="bench-model-") as tmp:
        folder = Path(tmp)
        port = free_port()
        database_url = f"sqlite:///{folder / 'moderation.db'}"
        upgrade(database_url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")}
        env.update(
            MODERATION_DATABASE_URL=database_url,
            MODERATION_REDIS_URL=f"redis://127.0.0.1:{port}/0",
            MODERATION_DATA_DIR=str(folder / "data"),
            MODERATION_MODEL_DIR=str(model),
            MODERATION_LOG_LEVEL="WARNING",
        )
        redis = subprocess.Popen(
            [
                redis_binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                *_NO_PERSISTENCE,
                str(folder),
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        worker: subprocess.Popen[bytes] | None = None
        try:
            _wait_for_port(port, 10)
            worker = subprocess.Popen(
                [sys.executable, "-m", "commands", "worker", "--concurrency", "1"],
                env=env,
                stdout=(folder / "worker.log").open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            settings = Settings(database_url=database_url, redis_url=env["MODERATION_REDIS_URL"])
            items = [
                (
                    CommentSubmission(
                        article_id="bench-model",
                        author_name=f"Reader {i}",
                        author_email=f"reader{i}@example.org",
                        body=body,
                    ),
                    ClientInfo(None, None),
                )
                for i, body in enumerate(_bodies(batch))
            ]
            with session_scope(database_url) as session:
                accepted = submit_comments(session, items)
            ids = [item.id for item in accepted if isinstance(item, AcceptedComment)]
            started = time.monotonic()
            send_decide(producer_app(settings), ids)
            deadline = started + 120
            while True:
                with session_scope(database_url) as session:
                    counts = count_by_status(session)
                if sum(n for status, n in counts.items() if status.value != "queued") >= batch:
                    break
                if worker.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "worker.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"the worker did not decide the batch:\n{log}")
                time.sleep(0.1)
            first_batch_s = time.monotonic() - started
            time.sleep(0.5)  # let the child return to idle after acknowledging
            parent = worker.pid
            pool = _children(parent)
            processes = {"parent": parent, **{f"child {i + 1}": p for i, p in enumerate(pool)}}
            figures = {
                name: {**_status_kb(pid), "Pss": _pss_kb(pid)} for name, pid in processes.items()
            }
            return {"first_batch_s": first_batch_s, "processes": figures}
        finally:
            if worker is not None:
                _stop(worker)
            _stop(redis)


# -- report -------------------------------------------------------------------------------------


def _mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def _model_dir(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    from classifiers.registry import ModelRegistry
    from moderation.config import get_settings

    settings = get_settings()
    if settings.model_dir is not None:
        return settings.model_dir
    registry = ModelRegistry(settings.models_root)
    return registry.path_of(registry.active_version())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="Model directory.")
    parser.add_argument("--loads", type=int, default=5, help="Fresh processes for load time.")
    parser.add_argument("--batch", type=int, default=200, help="Comments in the scored batch.")
    parser.add_argument("--no-worker", action="store_true", help="Skip the real worker.")
    parser.add_argument("--child", choices=["baseline", "load", "score"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.model, args.batch)))
        return

    model = _model_dir(args.model)
    artifact = model / "model.skops"
    loads = [_in_fresh_process("load", model, args.batch) for _ in range(args.loads)]
    version = loads[0]["version"]
    load_s = statistics.median(r["load_s"] for r in loads)
    warm_s = statistics.median(r["warm_load_s"] for r in loads)
    import_s = statistics.median(r["import_s"] for r in loads)
    baseline = _in_fresh_process("baseline", model, args.batch)
    scored = _in_fresh_process("score", model, args.batch)
    size_mb = artifact.stat().st_size / 1e6

    print(f"model {version} at {model}")
    print(f"artifact {artifact.name}: {size_mb:.1f} MB (target <= {TARGET_ARTIFACT_MB:g} MB)")
    print(
        f"load, cold (fresh process, median of {args.loads}): {load_s * 1000:.0f} ms "
        f"(target < {TARGET_LOAD_S * 1000:.0f} ms); warm reload {warm_s * 1000:.0f} ms; "
        f"importing classifiers first {import_s * 1000:.0f} ms"
    )
    print(
        f"RSS, fresh process with numpy + scikit-learn imported (baseline): "
        f"{_mb(baseline['VmRSS'])} (peak {_mb(baseline['VmHWM'])})"
    )
    print(
        f"RSS, fresh process after loading the model and scoring {args.batch} comments: "
        f"{_mb(scored['VmRSS'])} (peak {_mb(scored['VmHWM'])}), "
        f"+{_mb(scored['VmRSS'] - baseline['VmRSS'])} over the baseline"
    )
    if args.no_worker:
        return
    worker = measure_worker(model, args.batch)
    total = sum(p["VmRSS"] for p in worker["processes"].values())
    pss = [p["Pss"] for p in worker["processes"].values()]
    for name, figures in worker["processes"].items():
        print(
            f"RSS, `moderation worker --concurrency 1` {name}: {_mb(figures['VmRSS'])} "
            f"(peak {_mb(figures['VmHWM'])}"
            + (f", PSS {_mb(figures['Pss'])})" if figures["Pss"] is not None else ")")
        )
    # The child is forked from the parent after the imports, so they share most pages: the
    # sum of their RSS counts those twice, PSS (each shared page divided among the processes
    # mapping it) adds up to what the worker holds. The target is read against PSS when the
    # kernel reports it, else against the (pessimistic) RSS sum.
    held = f"PSS {_mb(sum(pss))} (target < {TARGET_WORKER_MB:g} MB)" if None not in pss else ""
    print(
        f"worker parent + child after deciding {args.batch} comments: RSS {_mb(total)}"
        + (f" (target < {TARGET_WORKER_MB:g} MB)" if not held else f", {held}")
        + f"; first batch decided {worker['first_batch_s']:.1f} s after sending "
        "(includes the worker's start-up)"
    )


if __name__ == "__main__":
    main()
