"""Model families on leave-one-source-out: which featurisation and classifier rank held-out
sources best (issue 13). Not a speed benchmark: it prints held-out ROC-AUC per family.

    python -m bench.model_families --label toxicity --sources implicit hatemoji
    python -m bench.model_families --label spam --sources scamspot sms youtube
    python -m bench.model_families --families hashed idf_c2 mlp tfidf+lr
    python -m bench.model_families --sources jigsaw toxicspans --families idf_c2 \
        --sentence-discounts 0.5 1 2
    python -m bench.model_families --sources implicit --families idf_c2 --char-ngrams 2 5
    python -m bench.model_families --families idf_c2 tfidf+lr --no-vectors
    python -m bench.model_families --families idf_c2 tfidf+lr blend --bootstrap 1000

Each round trains every family on exactly the rows and sample weights ``moderation
evaluate`` trains our model on (every source but the held-out one) and scores the held-out
source. Families:

- ``hashed``: the featurisation before issue 13's change (hashed word 1-2-grams and char
  4-5-grams, sublinear tf, L2; lexicon and cue columns) with L2 logistic regression, C=1;
- ``idf_c1``, ``idf_c2``, ``idf_c4``: the same n-grams weighed by the idf of the round's
  training texts (``training.term_weights``), logistic regression with C=1, 2, 4; ``idf_c2``
  is what ships;
- ``mlp``: scikit-learn's MLPClassifier (one hidden layer of 32, 5 epochs of adam) over the
  ``idf`` features, which can learn target x attack interactions a linear model cannot;
- ``stage2``: gradient boosting over the ``idf_c2`` head's whole and sentence logits (out of
  fold), its sentence count, the lexicon count and the cues (``second_stage``);
- ``with_tfidf``: the ``idf_c2`` features and the baseline's TF-IDF blocks side by side in
  one logistic regression (whole texts; ``with_tfidf``);
- ``tfidf+lr``: the plain baseline of ``moderation evaluate``;
- ``blend``: the mean of the ``idf_c2`` served logit and the ``tfidf+lr`` logit, two models
  trained apart (needs both in ``--families``, before it); "blend <w>" weighs ours by w.

Scores are the served ones (the highest of the whole text's and each sentence's, spam the
whole text's), except ``tfidf+lr``'s, which are the whole text's. Each linear family also
shows its whole text's score ("<family> whole") and, with ``--sentence-discounts``, the served
score with each sentence's score lowered by that many logits first ("<family> -1"): a short
sentence's n-grams weigh more after L2 normalisation, so its score runs high, and on long
comments (Jigsaw, TOXICSPANS) the plain highest ranks worse than the whole text.
``--no-vectors`` drops the word-vector columns (the recipe before 2026-12-06),
``--vector-dims`` keeps another number of the vectors' principal components and
``--vector-idf on|off`` weighs each word's vector by its idf or not.
No calibration: Platt scaling is monotone and does not change a ROC-AUC. A round of all
families takes about 3 CPU-minutes on toxicity (the MLP alone ten or more).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPClassifier

from classifiers.evaluation import TEST_SOURCES, Rounds, TfidfLogisticRegression, Thresholds, subset
from classifiers.features import CommentFeaturizer
from classifiers.training import TEXT_PARAMS, build_body_rows
from classifiers.word_vectors import vector_table

FAMILIES = (
    "hashed",
    "idf_c1",
    "idf_c2",
    "idf_c4",
    "mlp",
    "stage2",
    "with_tfidf",
    "tfidf+lr",
    "blend",
)
BLEND_WEIGHTS = (0.3, 0.5, 0.7)


def _classifier(family: str) -> Any:
    if family == "mlp":
        return MLPClassifier(hidden_layer_sizes=(32,), max_iter=5, batch_size=256, random_state=0)
    c = {"hashed": 1.0, "idf_c1": 1.0, "idf_c2": 2.0, "idf_c4": 4.0}[family]
    return LogisticRegression(C=c, max_iter=300, tol=1e-4)


def _stage_inputs(
    X: Any,
    sentences: Any,
    owner: np.ndarray,
    model: LogisticRegression,
    rows: np.ndarray,
    extra: int,
) -> np.ndarray:
    """Per row of ``rows`` (positions in ``X``, whose sentences ``owner`` names by the same
    positions): the head's whole-text logit, its highest and mean sentence logit (the whole's
    where the text is one sentence), the number of sentences, and the lexicon and cue columns."""
    coef, bias = model.coef_[0], float(model.intercept_[0])
    block = X[rows]
    whole = block @ coef + bias
    width = sentences.shape[1]
    inside = np.isin(owner, rows)
    local = np.searchsorted(rows, owner[inside])
    parts = sentences[np.flatnonzero(inside)] @ coef[:width] + bias
    top, total = whole.copy(), np.zeros(len(rows))
    count = np.bincount(local, minlength=len(rows)).astype(float)
    np.maximum.at(top, local, parts)
    np.add.at(total, local, parts)
    mean = np.where(count > 0, total / np.maximum(count, 1), whole)
    return np.column_stack([whole, top, mean, np.log1p(count), block[:, -extra:].toarray()])


def second_stage(
    data: Any,
    X: Any,
    featurizer: CommentFeaturizer,
    train: np.ndarray,
    test_idx: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """A gradient-boosted second stage over the linear head's whole and sentence logits,
    sentence count, lexicon count and cues (issue 13, point 3): it can learn "a group is named
    and something dehumanising is said" or "one sentence is far worse than the rest", which a
    sum of n-gram weights cannot. Trained on out-of-fold head logits (three folds of the
    training rows), so it never sees a head's score of a row that head trained on."""
    train_idx = np.flatnonzero(train)
    rows = build_body_rows(list(data.texts)).tolist()
    _, sentences, owner = featurizer.transform_sentences(rows)
    # The sentence matrix has the text columns only; so must the rows (no metadata).
    lexicon_and_cues = featurizer.n_text_features_ - featurizer.n_ngram_features_
    X = X[:, : featurizer.n_text_features_]
    inputs = np.zeros((len(train_idx), 4 + lexicon_and_cues))
    for fit_at, predict_at in KFold(3, shuffle=True, random_state=0).split(train_idx):
        head = LogisticRegression(C=2.0, max_iter=300, tol=1e-4).fit(
            X[train_idx[fit_at]], y[train_idx[fit_at]], sample_weight=weights[fit_at]
        )
        inputs[predict_at] = _stage_inputs(
            X, sentences, owner, head, train_idx[predict_at], lexicon_and_cues
        )
    head = LogisticRegression(C=2.0, max_iter=300, tol=1e-4).fit(
        X[train_idx], y[train_idx], sample_weight=weights
    )
    stage = HistGradientBoostingClassifier(max_iter=200, random_state=0).fit(
        inputs, y[train_idx], sample_weight=weights
    )
    features = _stage_inputs(X, sentences, owner, head, test_idx, lexicon_and_cues)
    return stage.predict_proba(features)[:, 1]


def with_tfidf(
    data: Any,
    X: Any,
    train: np.ndarray,
    test_idx: np.ndarray,
    y: np.ndarray,
    weights: Any,
    scale: float = 1.0,
) -> np.ndarray:
    """Our idf-weighted features with the baseline's own TF-IDF blocks (raw word 1-2-grams and
    char_wb 2-5-grams, vocabularies from the training rows) beside them, one logistic
    regression (C=2) over both. Whole texts only: the baseline's blocks have no sentences."""
    train_idx = np.flatnonzero(train)
    blocks = TfidfLogisticRegression().pipeline().named_steps["features"]
    # ``scale`` < 1 regularises the baseline's blocks more than ours (as ``char_scale`` does).
    train_blocks = blocks.fit_transform([data.texts[i] for i in train_idx]) * scale
    test_blocks = blocks.transform([data.texts[i] for i in test_idx]) * scale
    model = LogisticRegression(C=2.0, max_iter=300, tol=1e-4).fit(
        sp.hstack([X[train_idx], train_blocks]).tocsr(), y[train_idx], sample_weight=weights
    )
    return model.predict_proba(sp.hstack([X[test_idx], test_blocks]).tocsr())[:, 1]


def paired_bootstrap(
    y: np.ndarray, ours: np.ndarray, theirs: np.ndarray, resamples: int, seed: int = 0
) -> tuple[float, float, float]:
    """The ROC-AUC of ``ours`` minus that of ``theirs`` on the same rows, and its 95% interval
    over ``resamples`` resamplings of the rows (both scorers see the same resample)."""
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(resamples):
        rows = rng.integers(0, len(y), len(y))
        if len(np.unique(y[rows])) == 2:
            differences.append(
                roc_auc_score(y[rows], ours[rows]) - roc_auc_score(y[rows], theirs[rows])
            )
    low, high = np.percentile(differences, [2.5, 97.5])
    return roc_auc_score(y, ours) - roc_auc_score(y, theirs), float(low), float(high)


def held_out(
    rounds: Rounds,
    label: str,
    families: list[str],
    discounts: tuple[float, ...] = (),
    tfidf_scale: float = 1.0,
    bootstrap: int = 0,
) -> dict[str, float]:
    """ROC-AUC per family on the one round in ``rounds`` (trained without its source); with
    ``discounts``, also each linear family's served score with its sentences' scores lowered
    by that many logits before the highest is taken ("<family> -<d>")."""
    tasks = rounds.rounds[0][1]
    task = next(t for t in tasks if t.label == label)
    data = rounds.sets[label]
    y = np.asarray(data.labels)
    weights = subset(data, task.train).sample_weights()
    test_idx = np.flatnonzero(task.test)
    if len(np.unique(y[task.test])) < 2:
        print("  one class only: no ROC-AUC")
        return {}
    plain = rounds.features(label)
    idf = rounds.round_idf(tasks)
    weighed, featurizer = rounds.weighed(label, idf)
    out: dict[str, float] = {}
    served: dict[str, np.ndarray] = {}
    for family in families:
        started = time.perf_counter()
        if family == "blend":
            ours, theirs = (_logit(served[f]) for f in ("idf_c2", "tfidf+lr"))
            for w in BLEND_WEIGHTS:
                mixed = w * ours + (1 - w) * theirs
                out[f"blend {w:g}"] = float(roc_auc_score(y[task.test], mixed))
            p = 1 / (1 + np.exp(-(ours + theirs) / 2))
        elif family == "stage2":
            p = second_stage(data, weighed, featurizer, task.train, test_idx, y, weights)
        elif family == "with_tfidf":
            p = with_tfidf(data, weighed, task.train, test_idx, y, weights, tfidf_scale)
        elif family == "tfidf+lr":
            train_idx = np.flatnonzero(task.train)
            p = TfidfLogisticRegression().fit_predict(
                [data.texts[i] for i in train_idx],
                list(y[train_idx]),
                [data.texts[i] for i in test_idx],
                weights,
            )
        else:
            hashed = family == "hashed"
            X = plain if hashed else weighed
            used = rounds.pipelines[label][0] if hashed else featurizer
            model = _classifier(family).fit(X[task.train], y[task.train], sample_weight=weights)
            whole = model.predict_proba(X[task.test])[:, 1]
            p = rounds.as_served(label, used, model, test_idx, whole)
            if family != "mlp":
                out[f"{family} whole"] = float(roc_auc_score(y[task.test], whole))
                for d in discounts:
                    lowered = rounds.as_served(label, used, model, test_idx, whole, d)
                    out[f"{family} -{d:g}"] = float(roc_auc_score(y[task.test], lowered))
        served[family] = p
        out[family] = float(roc_auc_score(y[task.test], p))
        print(f"  {family}: {out[family]:.3f} ({time.perf_counter() - started:.0f} s)", flush=True)
    if bootstrap and "tfidf+lr" in served:
        for family, p in served.items():
            if family != "tfidf+lr":
                gap, low, high = paired_bootstrap(y[task.test], p, served["tfidf+lr"], bootstrap)
                print(f"  {family} - tfidf+lr: {gap:+.3f} (95% {low:+.3f} to {high:+.3f})")
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def _featurisation(
    rounds: Rounds,
    char_ngrams: list[int] | None,
    scale: float | None,
    vectors: bool = True,
    vector_dims: int | None = None,
    vector_idf: bool | None = None,
) -> None:
    """Another featurisation than the recipe's, set before any features are made: on the
    round's pipelines and on the recipe the round's idf is counted with (``term_weights``
    hashes with ``training.TEXT_PARAMS``; this process only runs the comparison)."""
    changes: dict[str, Any] = {}
    if char_ngrams is not None:
        changes["char_ngram_range"] = tuple(char_ngrams)
    if scale is not None:
        changes["char_scale"] = scale
    TEXT_PARAMS.update(changes)
    if not vectors:
        changes.update(vector_words=None, vector_rows=None, vectors=None)
    elif vector_dims is not None:
        table = vector_table(vector_dims)
        changes.update(vector_words=table.words, vector_rows=table.rows, vectors=table.vectors)
    if vector_idf is not None:
        changes["vector_idf"] = vector_idf
    for pipeline in rounds.pipelines.values():
        pipeline[0].set_params(**changes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--label", default="toxicity", choices=sorted(TEST_SOURCES))
    parser.add_argument("--sources", nargs="*", default=None, help="default: every test source")
    parser.add_argument("--families", nargs="*", default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument(
        "--sentence-discounts",
        nargs="*",
        type=float,
        default=[],
        help="also score each linear family with its sentences lowered by these many logits",
    )
    parser.add_argument(
        "--char-ngrams",
        nargs=2,
        type=int,
        default=None,
        metavar=("LOW", "HIGH"),
        help="character n-gram lengths of every family but tfidf+lr (default: the recipe's)",
    )
    parser.add_argument(
        "--char-scale", type=float, default=None, help="weight of the character n-grams"
    )
    parser.add_argument(
        "--tfidf-scale", type=float, default=1.0, help="weight of with_tfidf's baseline blocks"
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=0,
        help="also print each family's ROC-AUC gap to tfidf+lr with a 95%% interval from this "
        "many paired resamples of the held-out rows",
    )
    parser.add_argument("--no-vectors", action="store_true", help="without the word-vector columns")
    parser.add_argument(
        "--vector-dims", type=int, default=None, help="principal components of the vectors kept"
    )
    parser.add_argument(
        "--vector-idf",
        choices=("on", "off"),
        default=None,
        help="weigh each word's vector by its idf, or not (default: the recipe's)",
    )
    args = parser.parse_args(argv)
    sources = args.sources or sorted(TEST_SOURCES[args.label])
    table: dict[str, dict[str, float]] = {}
    for source in sources:
        print(f"{args.label} without {source}:", flush=True)
        rounds = Rounds(args.data, [source], False, Thresholds(), [])
        _featurisation(
            rounds,
            args.char_ngrams,
            args.char_scale,
            not args.no_vectors,
            args.vector_dims,
            None if args.vector_idf is None else args.vector_idf == "on",
        )
        if not rounds.rounds or all(t.label != args.label for t in rounds.rounds[0][1]):
            print("  not a test source of this label")
            continue
        scores = held_out(
            rounds,
            args.label,
            args.families,
            tuple(args.sentence_discounts),
            args.tfidf_scale,
            args.bootstrap,
        )
        if scores:
            table[source] = scores
    columns = list(next(iter(table.values()))) if table else []
    print(f"\n| {args.label}, held out | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for source, scores in table.items():
        print(f"| {source} | " + " | ".join(f"{scores[c]:.3f}" for c in columns) + " |")


if __name__ == "__main__":
    main()
