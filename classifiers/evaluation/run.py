"""Running every round of an evaluation, in this process or in worker processes."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from classifiers.evaluation.baselines import Baseline, default_baselines
from classifiers.evaluation.metrics import Evaluation, Split, Thresholds
from classifiers.evaluation.rounds import HeldOutPolicy, Rounds
from classifiers.evaluation.sources import HELD_OUT_SOURCES

__all__ = ["evaluate"]


_worker_rounds: Rounds | None = None  # the worker process's own copy


def _start_worker(*args: Any) -> None:
    global _worker_rounds
    _worker_rounds = Rounds(*args)


def _run_in_worker(number: int) -> list[Split]:
    assert _worker_rounds is not None
    return _worker_rounds.run(number)


def _summary(split: Split) -> str:
    ours = split.metrics["ours"]
    if ours.roc_auc is not None:
        return f"  {split.label} on {split.held_out}: ROC-AUC {ours.roc_auc:.3f}"
    rate = ours.at["hold"].false_positive_rate
    return f"  {split.label} on {split.held_out}: false-positive rate {rate:.3f}"


def _run_in_workers(
    args: tuple[Any, ...], names: Sequence[str], jobs: int, say: Callable[[str], None]
) -> dict[int, list[Split]]:
    """Each round's splits, by round number, from ``jobs`` worker processes that each build
    their own ``Rounds(*args)``."""
    results: dict[int, list[Split]] = {}
    # "spawn", not "fork": a forked child of a process that has used OpenMP (scikit-learn)
    # can hang.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        min(jobs, len(names)), mp_context=context, initializer=_start_worker, initargs=args
    ) as pool:
        pending: dict[Future[list[Split]], int] = {}
        queue = list(enumerate(names))
        while queue or pending:
            # Submit only as many rounds as there are workers, so the progress line
            # says which round has actually started.
            while queue and len(pending) < jobs:
                number, name = queue.pop(0)
                say(f"training without {name} ({number + 1}/{len(names)})…")
                pending[pool.submit(_run_in_worker, number)] = number
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                number = pending.pop(future)
                results[number] = future.result()
                for split in results[number]:
                    say(_summary(split))
    return results


def evaluate(
    data_dir: Path,
    *,
    sources: Sequence[str] | None = None,
    thresholds: Thresholds = Thresholds(),
    baselines: Sequence[Baseline] | None = None,
    videos: bool = True,
    in_distribution: dict[str, Any] | None = None,
    jobs: int = 1,
    progress: Callable[[str], None] | None = None,
    policy: HeldOutPolicy | None = None,
) -> Evaluation:
    """Train without each source in turn and score the held-out source (and YouTube video).

    ``baselines`` defaults to bogofilter (spam), alt-profanity-check (toxicity, obscene) and
    TF-IDF + logistic regression (every label); a baseline that is not installed is recorded
    as unavailable, not an error. ``jobs`` > 1 runs rounds in that many worker processes
    (each reads the data and builds the features once), which is what makes the full run fit
    in minutes: every round is single-threaded.
    ``policy`` (picklable: rounds may run in other processes) is run on each round of
    ``POLICY_SOURCES`` with every model trained without that source; what it returns is the
    toxicity split's ``extras["policy"]``.
    """
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    data_dir = Path(data_dir)
    chosen = list(HELD_OUT_SOURCES if sources is None else sources)
    unknown = sorted(set(chosen) - set(HELD_OUT_SOURCES))
    if unknown:
        raise ValueError(f"unknown sources {unknown}; choose from {', '.join(HELD_OUT_SOURCES)}")
    if baselines is None:
        baselines = default_baselines()
    status = {b.name: b.unavailable() for b in baselines}
    usable = [b for b in baselines if status[b.name] is None]
    args = (data_dir, chosen, videos, thresholds, usable, policy)

    rounds = Rounds(*args)
    names = [name for name, _ in rounds.rounds]
    results: dict[int, list[Split]] = {}
    if jobs <= 1 or len(names) <= 1:
        for number, name in enumerate(names):
            say(f"training without {name} ({number + 1}/{len(names)})…")
            results[number] = rounds.run(number)
            for split in results[number]:
                say(_summary(split))
    else:
        results = _run_in_workers(args, names, jobs, say)
    return Evaluation(
        splits=[split for number in sorted(results) for split in results[number]],
        thresholds=thresholds,
        baselines=status,
        in_distribution=dict(in_distribution or {}),
        data_dir=str(data_dir),
        seconds=time.perf_counter() - started,
    )
