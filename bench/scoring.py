"""Scoring throughput and latency of the default model, against simple baselines."""

from __future__ import annotations

import os

# Pin BLAS/OpenMP to one thread before numpy loads so figures are per core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from classifiers import CommentText, Scorer  # noqa: E402
from classifiers.normalise import normalise_text  # noqa: E402

_SENTENCES = [
    "The council's decision to cut the library budget makes little sense to me.",
    "I read the whole report and the numbers do not support the minister's claim.",
    "Parking in the old town has been a problem for years and nobody fixes it.",
    "Good reporting, but the article should mention who paid for the study.",
    "My neighbours have waited months for the bridge repairs promised last spring.",
    "Taxes went up again while services got worse, which is hard to accept.",
    "The new bus timetable is an improvement, though evenings are still poor.",
    "Could the paper follow up on what happened to the hospital extension plans?",
]


def _comments(n: int, seed: int) -> list[CommentText]:
    # Distinct ~300-character news-style comments, so no cache can serve repeats.
    rng = random.Random(seed)
    out = []
    for i in range(n):
        body = " ".join(rng.sample(_SENTENCES, 4))[:300] + f" ({seed}-{i})"
        out.append(CommentText(body, author=f"reader{i}", email=f"reader{i}@gmail.com"))
    return out


def _throughput(fn: Callable[[Sequence[CommentText]], object], batches: int, size: int) -> float:
    data = [_comments(size, seed) for seed in range(batches + 1)]
    fn(data[0])  # warm-up
    start = time.perf_counter()
    for batch in data[1:]:
        fn(batch)
    return batches * size / (time.perf_counter() - start)


def _latency(fn: Callable[[Sequence[CommentText]], object], n: int) -> tuple[float, float]:
    comments = _comments(n, 10_000)
    fn(comments[:1])
    timings = []
    for c in comments:
        start = time.perf_counter()
        fn([c])
        timings.append((time.perf_counter() - start) * 1e3)
    timings.sort()
    return statistics.median(timings), timings[int(0.99 * (len(timings) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scoring")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument(
        "--model", default=None, help="A model folder to measure (default: the shipped model)."
    )
    args = parser.parse_args()

    scorer = Scorer.load(args.model)
    train_texts = [c.body for c in _comments(2000, 99_999)]
    baseline = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(
        train_texts, [i % 2 for i in range(len(train_texts))]
    )

    def tfidf_lr(batch: Sequence[CommentText]) -> object:
        return baseline.predict_proba([c.body for c in batch])

    def normalise_only(batch: Sequence[CommentText]) -> object:
        normalise_text.cache_clear()  # measure the work, not the cache
        return [normalise_text(c.body) for c in batch]

    def model(batch: Sequence[CommentText]) -> object:
        normalise_text.cache_clear()
        return scorer.score(batch)

    def explain(batch: Sequence[CommentText]) -> object:
        normalise_text.cache_clear()
        return scorer.explain(batch)

    print(f"model {scorer.version}; batches of {args.batch_size}, single thread")
    print(f"{'pipeline':<40} {'comments/s':>11} {'p50 ms':>8} {'p99 ms':>8}")
    with threadpool_limits(limits=1):
        for name, fn in (
            ("Scorer.score (all seven models)", model),
            ("baseline: normalise_text only", normalise_only),
            ("baseline: Tfidf+LogReg raw body, 1 model", tfidf_lr),
        ):
            rate = _throughput(fn, args.batches, args.batch_size)
            p50, p99 = _latency(fn, args.single)
            print(f"{name:<40} {rate:>11,.0f} {p50:>8.3f} {p99:>8.3f}")
        # Explanations are computed on demand, one comment at a time in the moderator's view;
        # a quarter of the batches keeps the run short at ~10x the cost of scoring.
        rate = _throughput(explain, max(1, args.batches // 4), args.batch_size)
        p50, p99 = _latency(explain, args.single)
        name = "Scorer.explain (on demand, every score)"
        print(f"{name:<40} {rate:>11,.0f} {p50:>8.3f} {p99:>8.3f}")


if __name__ == "__main__":
    main()
