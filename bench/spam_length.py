"""The spam model's length column on leave-one-source-out: how long a comment may grow before
it counts as no longer (``CommentFeaturizer.length_cap``), or no length column at all.

    python -m bench.spam_length --sources jigsaw toxicspans sms youtube scamspot \
        --caps none 60 80 120 200 320 --without-length

Not a speed benchmark. Each round trains the spam model exactly as ``moderation evaluate``
does (the rows and sample weights without the held-out source, the round's idf, the
out-of-fold Platt calibration), once per variant, and prints the held-out source's ROC-AUC
where it has spam and its false-positive rate at 0.5 and 0.9 where it is ham only (Jigsaw,
TOXICSPANS, Stormfront). ``none`` is the uncapped column (every model before 2026-12-06);
``--without-length`` adds a variant with the column emptied. A round takes 1-2 CPU-minutes
per variant.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from classifiers.evaluation import Rounds, Thresholds, subset, train_on_subset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--sources", nargs="+", default=["jigsaw", "sms", "youtube", "scamspot"])
    parser.add_argument("--caps", nargs="+", default=["none", "120"])
    parser.add_argument("--without-length", action="store_true")
    args = parser.parse_args()

    rounds = Rounds(args.data, args.sources, False, Thresholds(0.5, 0.9), [])
    data = rounds.sets["spam"]
    featurizer = rounds.pipelines["spam"][0]
    variants: list[tuple[str, int | None, bool]] = [
        (f"cap {cap}", None if cap == "none" else int(cap), False) for cap in args.caps
    ]
    if args.without_length:
        variants.append(("no length", None, True))
    print("| spam, held out | " + " | ".join(name for name, _, _ in variants) + " |")
    print("|---|" + "---|" * len(variants))
    for name, tasks in rounds.rounds:
        task = next((t for t in tasks if t.label == "spam" and t.kind == "source"), None)
        if task is None:
            continue
        idf = rounds.round_idf(tasks)
        weights = subset(data, task.train).sample_weights()
        y = np.asarray(data.labels)[task.test]
        cells = []
        for _, cap, empty in variants:
            featurizer.set_params(length_cap=cap)
            rounds._features.pop("spam", None)  # the cap changes the cached metadata
            X, fitted = rounds.weighed("spam", idf)
            if empty:
                X = X.tocsc()
                column = list(fitted.get_feature_names_out()).index("body0__log_length")
                X.data[X.indptr[column] : X.indptr[column + 1]] = 0.0
                X = X.tocsr()
            model = train_on_subset(data, X, task.train, rounds.pipelines["spam"][-1], weights)
            p = model.predict_proba(X[task.test])[:, 1]
            if len(np.unique(y)) == 2:
                cells.append(f"ROC-AUC {roc_auc_score(y, p):.3f}")
            else:
                cells.append(f"FP {np.mean(p >= 0.5):.1%} / {np.mean(p >= 0.9):.1%}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
