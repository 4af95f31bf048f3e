"""Training of the spam and toxicity pipelines and writing of the artifact + manifest."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn
import skops
from scipy.special import expit
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline

from classifiers.datasets import (
    N_FOLDS,
    SOURCE_WEIGHTS,
    LabelledSet,
    ModeratorLabel,
    SourceFiles,
    build_label_sets,
    feature_lexicon,
    read_lexicon,
)
from classifiers.features import COLUMNS, CommentFeaturizer, inverse_document_frequency
from classifiers.labels import ATTRIBUTES
from classifiers.persistence import ARTIFACT_NAME, MANIFEST_NAME, dump_models, sha256_file
from classifiers.word_vectors import VECTORS_FILE, VectorTable, vector_table

__all__ = [
    "build_body_rows",
    "build_pipelines",
    "build_spam_pipeline",
    "build_toxicity_pipeline",
    "distinct_texts",
    "fit_calibrated",
    "fit_on_used_columns",
    "served_vectors",
    "term_weights",
    "train",
]

MODEL_GENERATION = "v0"  # kept: the service and tests key on the "v0-" prefix
_BODY = COLUMNS.index("body")


def _classifier() -> LogisticRegression:
    # L2 logistic regression on hashed n-grams: fast to train and score, calibrated enough
    # for thresholds, and its coefficients are inspectable. C=2 over idf-weighted n-grams:
    # on leave-one-source-out C=1 did better on Jigsaw and Davidson, C=4 on the hate-speech
    # sources; C=2 beat the plain TF-IDF + LR on more held-out sources than either
    # (docs/models.md, "Model families").
    return LogisticRegression(C=2.0, max_iter=300, tol=1e-4)


# Text features shared by both models. Char n-grams start at 4 characters and are scaled
# down (i.e. more strongly regularised than words): short char n-grams carried source style
# ("ho" of "hope", "the", "like" scored toxic from the Davidson tweets). Words and word
# bigrams over the de-obfuscated text carry the meaning; char 4-5-grams still catch
# inflections and obfuscations the normaliser misses. 3-5-grams ranked implicit hate better
# held out, but held more clean comments and scored 9% slower (docs/models.md, "Character
# 3-5-grams").
TEXT_PARAMS: dict[str, Any] = {
    "word_ngram_range": (1, 2),
    "char_ngram_range": (4, 5),
    "word_bits": 18,
    "char_bits": 18,
    "char_scale": 0.5,
    # Who a sentence targets and what it says of them (classifiers.cues): polite threats and
    # calm dehumanisation have no rude word for an n-gram to weigh.
    "cues": True,
    # The comment's and each sentence's mean word vector at unit length (classifiers.
    # word_vectors): words no labelled row had ("imbecile") still mean something. Every word
    # alike: weighing them by idf changed held-out ROC-AUC by at most 0.003 and left explicit
    # abuse of the reader below a 0.9 reject (docs/models.md, "Word vectors").
    "vector_scale": 1.0,
    "vector_idf": False,
}

# The word vectors' leading principal components a model keeps. 128 of 300: on
# leave-one-source-out all 300 did no better, and each dimension is one dense column of every
# comment and sentence (docs/models.md, "Word vectors").
WORD_VECTOR_DIMENSIONS = 128


@lru_cache(maxsize=1)
def served_vectors() -> VectorTable:
    """The word-vector table every model trained now carries (read once per process)."""
    return vector_table(WORD_VECTOR_DIMENSIONS)


def _vector_params(vectors: VectorTable | None) -> dict[str, Any]:
    if vectors is None:
        return {}
    return {"vector_words": vectors.words, "vector_rows": vectors.rows, "vectors": vectors.vectors}


# The length (characters) from which a comment counts as no longer to the spam model
# (``CommentFeaturizer.length_cap``). Uncapped, its length column weighed +10 held out (about
# 4 logits more for 1,000 characters than for 100) and put 15% of held-out Wikipedia talk ham
# at spam >= 0.5; capped at 120 that is 9.7%, and held-out spam ROC-AUC rose on SMS, YouTube
# and ScamSpot. 60 and 80 lost SMS spam; 200 and 320 kept more of the false positives
# (docs/models.md, "Length cap of the spam model").
SPAM_LENGTH_CAP = 120


def _body_pipeline(
    lexicon: tuple[str, ...], idf: np.ndarray | None, vectors: VectorTable | None, **more: Any
) -> Pipeline:
    """The body's text features (``TEXT_PARAMS``) and ``more`` of them, into the classifier."""
    featurizer = CommentFeaturizer(
        text_column=_BODY,
        lexicon=lexicon,
        idf=idf,
        **more,
        **TEXT_PARAMS,
        **_vector_params(vectors),
    )
    return Pipeline([("features", featurizer), ("classifier", _classifier())])


def build_spam_pipeline(
    lexicon: tuple[str, ...] = (),
    idf: np.ndarray | None = None,
    vectors: VectorTable | None = None,
) -> Pipeline:
    """Body n-grams plus comment metadata (links, contacts, scam terms, e-mail, website)."""
    return _body_pipeline(lexicon, idf, vectors, roles=COLUMNS, length_cap=SPAM_LENGTH_CAP)


def build_toxicity_pipeline(
    lexicon: tuple[str, ...] = (),
    idf: np.ndarray | None = None,
    vectors: VectorTable | None = None,
) -> Pipeline:
    """Body n-grams and the profanity-lexicon count only: who wrote it or which links it has
    does not make text abusive.

    Same text parameters as the spam pipeline, so its features are a prefix of the spam
    features and the scorer featurises each comment once for both models.
    """
    return _body_pipeline(lexicon, idf, vectors)


def build_pipelines(
    lexicon: tuple[str, ...] = (),
    idf: np.ndarray | None = None,
    vectors: VectorTable | None = None,
) -> dict[str, Pipeline]:
    """Every model of an artifact, unfitted: spam, toxicity and each toxicity attribute.

    The attributes are toxicity-shaped pipelines (text only) trained on their own labels.
    All share one ``idf`` (see ``term_weights``) and one word-vector table, so the scorer
    featurises a comment once."""
    return {
        "spam": build_spam_pipeline(lexicon, idf, vectors),
        "toxicity": build_toxicity_pipeline(lexicon, idf, vectors),
        **{name: build_toxicity_pipeline(lexicon, idf, vectors) for name in ATTRIBUTES},
    }


def term_weights(texts: Sequence[str]) -> np.ndarray:
    """The idf of every n-gram column over ``texts`` (the distinct training texts of every
    model), one vector shared by all seven models.

    Rare n-grams weigh more than common ones, as in TF-IDF: on leave-one-source-out this
    raised held-out toxicity ROC-AUC on 7 of 9 sources (docs/models.md, "Model families").
    Shared rather than per model so the models keep one featurisation."""
    featurizer = CommentFeaturizer(**TEXT_PARAMS)
    return inverse_document_frequency(featurizer.document_frequencies(texts), len(texts))


def distinct_texts(sets: Iterable[LabelledSet]) -> list[str]:
    """Each text of the sets once, in first-seen order."""
    return list(dict.fromkeys(text for data in sets for text in data.texts))


def build_body_rows(texts: list[str]) -> np.ndarray:
    """The 2-D input both pipelines take, with only the body column filled."""
    rows = np.full((len(texts), len(COLUMNS)), "", dtype=object)
    rows[:, _BODY] = texts
    return rows


def _fit_and_evaluate(
    pipeline: Pipeline, data: LabelledSet, say: Callable[[str], None]
) -> dict[str, Any]:
    """Fit ``pipeline`` in place on ``data``; return out-of-fold metrics.

    The feature steps are stateless (hashing, and an idf fixed before training), so features
    are computed once and only the classifier is refitted per fold. The idf was counted over
    every row, the folds' test rows too: unlabelled, but one more reason these figures are
    in-sample (``moderation evaluate`` counts it without the held-out source).

    Calibration: a weighted Platt scaling (``p = expit(a * z + c)``) is fitted on the
    out-of-fold decision values ``z`` and folded into the final classifier's coefficients
    (``coef *= a``, ``intercept = a * intercept + c``). The saved step stays a plain
    LogisticRegression, and its probabilities are calibrated on held-out rows for the
    training prior (every source class-balanced, see ``LabelledSet.sample_weights``).
    """
    y = np.asarray(data.labels)
    weights = data.sample_weights()
    folds = np.asarray(data.folds)
    sources = np.asarray(data.sources)
    features = pipeline[:-1].fit_transform(build_body_rows(data.texts))
    oof, scale, shift = fit_calibrated(pipeline[-1], features, y, weights, folds, say)

    by_source: dict[str, Any] = {}
    for source in np.unique(sources):
        mask = sources == source
        entry: dict[str, Any] = {"rows": int(mask.sum())}
        if len(np.unique(y[mask])) == 2:
            entry["roc_auc"] = round(float(roc_auc_score(y[mask], oof[mask])), 4)
        negatives = mask & (y == 0)
        positives = mask & (y == 1)
        if negatives.any():
            entry["false_positive_rate_at_0.5"] = round(float((oof[negatives] >= 0.5).mean()), 4)
        if positives.any():
            entry["recall_at_0.5"] = round(float((oof[positives] >= 0.5).mean()), 4)
        by_source[str(source)] = entry
    return {
        "method": f"{N_FOLDS}-fold out-of-fold predictions (YouTube held out by video, "
        "Stormfront by post, others by row); classifier refitted per fold; probabilities "
        "after the Platt calibration fitted on these out-of-fold decisions",
        "roc_auc_pooled": round(float(roc_auc_score(y, oof)), 4),
        "roc_auc_pooled_weighted": round(float(roc_auc_score(y, oof, sample_weight=weights)), 4),
        "brier_weighted": round(float(brier_score_loss(y, oof, sample_weight=weights)), 4),
        "log_loss_weighted": round(float(log_loss(y, oof, sample_weight=weights)), 4),
        "calibration": {"method": "platt", "scale": round(scale, 4), "shift": round(shift, 4)},
        "by_source": by_source,
    }


def fit_calibrated(
    classifier: LogisticRegression,
    features: Any,
    y: np.ndarray,
    weights: np.ndarray,
    folds: np.ndarray,
    say: Callable[[str], None],
) -> tuple[np.ndarray, float, float]:
    """Fit ``classifier`` in place on all rows and fold a Platt calibration into it.

    The calibration is fitted on out-of-fold decision values (a clone refitted per fold);
    returns the calibrated out-of-fold probabilities and the Platt (scale, shift). Shared by
    ``train`` and the leave-one-source-out evaluation, so both calibrate the same way.
    """
    decision = np.zeros(len(y))
    for fold in range(N_FOLDS):
        test = folds == fold
        if not test.any():
            continue
        if len(np.unique(y[~test])) < 2:
            continue
        clf = fit_on_used_columns(clone(classifier), features[~test], y[~test], weights[~test])
        decision[test] = clf.decision_function(features[test])
        say(f"  fold {fold + 1}/{N_FOLDS} done")
    final = fit_on_used_columns(classifier, features, y, weights)
    scale, shift = _platt(decision, y, weights)
    # Stored as float32, what the scorer computes with anyway (classifiers.scorer): the
    # dense coefficients are most of the artifact and deflate poorly once most hashed
    # columns are used (char 3-5-grams made it 31.9 MB in float64, 19.2 MB in float32).
    final.coef_ = (final.coef_ * scale).astype(np.float32)
    final.intercept_ = final.intercept_ * scale + shift
    return expit(decision * scale + shift), scale, shift


def fit_on_used_columns(
    classifier: LogisticRegression, features: Any, y: np.ndarray, weights: np.ndarray
) -> LogisticRegression:
    """Fit ``classifier`` on the columns some row uses, then widen it back to every column.

    The hashed feature space has over a million columns, and L-BFGS spends its time on
    vector operations over all of them, used or not: on a small training set (the tests'
    fixtures) that was four fifths of the fit. A column no row uses has
    a zero gradient from the data and from the L2 penalty alike, so its coefficient stays
    exactly zero: the fit on the used columns is the same fit, and its coefficients are
    put back in place with zeros elsewhere.
    """
    used = np.flatnonzero(features.getnnz(axis=0))
    if len(used) == features.shape[1]:
        return classifier.fit(features, y, sample_weight=weights)
    classifier.fit(features[:, used], y, sample_weight=weights)
    coef = np.zeros((classifier.coef_.shape[0], features.shape[1]))
    coef[:, used] = classifier.coef_
    classifier.coef_ = coef
    classifier.n_features_in_ = features.shape[1]
    return classifier


def _platt(decision: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Weighted 1-D logistic fit of labels on out-of-fold decision values."""
    if len(np.unique(y)) < 2 or not decision.any():
        return 1.0, 0.0
    platt = LogisticRegression(C=1e4, max_iter=1000).fit(
        decision.reshape(-1, 1), y, sample_weight=weights
    )
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def _describe(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "steps": [name for name, _ in pipeline.steps],
        "params": {
            k: repr(v)
            for k, v in pipeline.get_params(deep=True).items()
            if "__" in k and not hasattr(v, "get_params")
        },
    }


def feedback_digest(feedback: Sequence[ModeratorLabel]) -> str:
    """SHA-256 of the moderators' labels a model was trained on, in the order given."""
    digest = hashlib.sha256()
    for label in feedback:
        # The attributes only when named, so labels from before grounds keep their digest.
        row = [label.text, label.spam, label.toxic] + (
            [list(label.attributes)] if label.attributes else []
        )
        digest.update(json.dumps(row).encode() + b"\n")
    return digest.hexdigest()


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    progress: Callable[[str], None] | None = None,
    feedback: Sequence[ModeratorLabel] = (),
) -> dict[str, Any]:
    """Train every model from the datasets under data_dir and the moderators' ``feedback``,
    write out_dir/model.skops + manifest.json, return the manifest."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    sets, files = build_label_sets(data_dir, feedback)
    lexicon = feature_lexicon(read_lexicon(files))
    say("read " + ", ".join(f"{len(rows)} {name}" for name, rows in sets.items()) + " rows")

    say("weighing n-grams by their document frequency")
    vectors = served_vectors()
    models = build_pipelines(lexicon, term_weights(distinct_texts(sets.values())), vectors)
    metrics = _fit_models(models, sets, say)

    artifact = dump_models(models, out_dir)
    made_from = _made_from(sets, files, feedback, vectors)
    manifest = _manifest(artifact, models, metrics, made_from, started)
    (out_dir / MANIFEST_NAME).write_text(
        json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )
    say(f"wrote {artifact} ({manifest['artifact']['bytes']} bytes) in "
        f"{manifest['training_seconds']} s")  # fmt: skip
    return manifest


def _fit_models(
    models: dict[str, Pipeline], sets: dict[str, LabelledSet], say: Callable[[str], None]
) -> dict[str, Any]:
    """Fit each model in place on its labelled set; return each one's out-of-fold metrics."""
    metrics: dict[str, Any] = {}
    for number, (name, model) in enumerate(models.items(), start=1):
        say(f"training {name} ({number}/{len(models)})")
        metrics[name] = _fit_and_evaluate(model, sets[name], say)
        say(f"{name}: pooled out-of-fold ROC-AUC {metrics[name]['roc_auc_pooled']}")
    return metrics


def _made_from(
    sets: dict[str, LabelledSet],
    files: SourceFiles,
    feedback: Sequence[ModeratorLabel],
    vectors: VectorTable,
) -> dict[str, Any]:
    """What the models were trained from and with, as the manifest records it: the data
    files, the moderators' labels, the libraries, the rows and their weights, the vectors."""
    return {
        "data_files": files.records(),
        # The moderators' labels, exported from the service's database: how many, and a
        # digest of them, since they are not files anyone else can check.
        "feedback": {"labels": len(feedback), "sha256": feedback_digest(feedback)},
        "libraries": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "skops": skops.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "training_rows": {name: rows.counts() for name, rows in sets.items()},
        "weighting": "per-source total weight (SOURCE_WEIGHTS), class-balanced inside each "
        "source, then equal total weight per class; Platt-calibrated out of fold (see "
        "classifiers.datasets and classifiers.training)",
        "source_weights": dict(SOURCE_WEIGHTS),
        "word_vectors": {
            "file": f"classifiers/lexicons/{VECTORS_FILE.name}",
            "sha256": sha256_file(VECTORS_FILE),
            "dimensions": int(vectors.vectors.shape[1]),
            "words": int(vectors.words.shape[0]),
            "source": "Explosion Vectors (OSCAR 2109 + Wikipedia + OpenSubtitles + WMT News "
            "Crawl), CC0, from spaCy en_core_web_md 3.8; identity terms left out",
        },
    }


def _manifest(
    artifact: Path,
    models: dict[str, Pipeline],
    metrics: dict[str, Any],
    made_from: dict[str, Any],
    started: float,
) -> dict[str, Any]:
    """The manifest of the ``artifact`` just written: its version and digest, what it was
    made from (``_made_from``), its metrics, its models and how long training took."""
    sha = sha256_file(artifact)
    created = datetime.now(UTC)
    return {
        "format": 1,
        "model_version": f"{MODEL_GENERATION}-{created:%Y%m%d}-{sha[:8]}",
        "created": created.isoformat(timespec="seconds"),
        "artifact": {"file": ARTIFACT_NAME, "bytes": artifact.stat().st_size, "sha256": sha},
        "input_columns": list(COLUMNS),
        **made_from,
        "metrics": metrics,
        "models": {name: _describe(model) for name, model in models.items()},
        "training_seconds": round(time.perf_counter() - started, 1),
    }
