"""Loading the committed model and scoring batches of comments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from classifiers.cues import sentence_bounds
from classifiers.explain import explain_rows
from classifiers.features import COLUMNS, CommentFeaturizer
from classifiers.labels import ATTRIBUTES
from classifiers.normalise import normalise_with_spans
from classifiers.persistence import ModelLoadError, load_models
from classifiers.types import CommentText, Explanation

__all__ = ["DEFAULT_MODEL_DIR", "Scorer", "Scores", "comments_to_rows"]

DEFAULT_MODEL_DIR: Path = Path(__file__).resolve().parent / "models" / "default"


@dataclass(frozen=True, slots=True)
class Scores:
    spam: float  # probability 0..1
    toxicity: float  # probability 0..1
    # severe_toxicity, insult, threat, identity_attack, obscene (probabilities 0..1); empty
    # for a model trained before the attributes existed.
    attributes: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        return {"spam": self.spam, "toxicity": self.toxicity, **self.attributes}


def comments_to_rows(comments: Sequence[CommentText]) -> np.ndarray:
    """The 2-D object array [body, author, email, url] that both pipelines take."""
    rows = np.empty((len(comments), len(COLUMNS)), dtype=object)
    for i, c in enumerate(comments):
        rows[i] = (c.body, c.author, c.email, c.url)
    return rows


def _cells(comment: CommentText) -> tuple[str, str, str, str]:
    fields = (comment.body, comment.author, comment.email, comment.url)
    if all(type(f) is str for f in fields):
        return fields
    return tuple("" if f is None else str(f) for f in fields)  # type: ignore[return-value]


class _SharedHeads:
    """Every linear head over one featurisation: probabilities = expit(X @ W + b).

    Equivalent to calling each pipeline's ``predict_proba`` when all pipelines are
    ``CommentFeaturizer -> LogisticRegression`` with the same n-gram parameters: the narrower
    featurizers' columns are a prefix of the widest one's, so their coefficients are padded
    with zeros. Text is normalised and hashed once per comment instead of once per model,
    and scikit-learn's per-call input validation (most of the cost of one comment) is
    skipped; the rows come from ``CommentText`` fields, which are already strings.

    ``W`` is float32, like the features: the coefficients of seven heads over 2^19 hashed
    columns are 15 MB instead of 29 MB, and a float32 logit is exact to ~1e-6, far below any
    threshold's resolution. The classifiers' own ``coef_`` become float32 views into ``W``,
    so the coefficients are held once, not twice: a worker's memory is a target.
    """

    def __init__(self, featurizer: CommentFeaturizer, weights: np.ndarray, bias: np.ndarray):
        self.featurizer = featurizer
        self.weights = weights
        self.bias = bias

    @classmethod
    def build(cls, pipelines: Sequence[Pipeline]) -> _SharedHeads | None:
        featurizers: list[CommentFeaturizer] = []
        classifiers: list[LogisticRegression] = []
        for pipeline in pipelines:
            if len(pipeline.steps) != 2:
                return None
            featurizer, classifier = pipeline.steps[0][1], pipeline.steps[1][1]
            if not isinstance(featurizer, CommentFeaturizer) or not isinstance(
                classifier, LogisticRegression
            ):
                return None
            if classifier.coef_.shape != (1, featurizer.n_features_out_):
                return None
            featurizers.append(featurizer)
            classifiers.append(classifier)
        wide = max(featurizers, key=lambda f: f.n_features_out_)
        for featurizer in featurizers:
            if not featurizer.same_ngrams(wide):
                return None
            if featurizer.roles is not None and featurizer.roles != wide.roles:
                return None
        for featurizer in featurizers:
            # Equal text columns mean equal idf and vectors: hold one copy, not seven (2 MB
            # of idf and 8 MB of vectors each, in every worker process).
            featurizer.share_arrays(wide)
        weights = np.zeros((wide.n_features_out_, len(classifiers)), dtype=np.float32)
        for j, classifier in enumerate(classifiers):
            width = classifier.coef_.shape[1]
            weights[:width, j] = classifier.coef_[0]
            classifier.coef_ = weights[:width, j][np.newaxis, :]
        bias = np.asarray([float(c.intercept_[0]) for c in classifiers], dtype=np.float64)
        return cls(wide, weights, bias)

    def predict_proba(self, comments: Sequence[CommentText]) -> np.ndarray:
        return self.predict(comments)[0]

    def predict(self, comments: Sequence[CommentText]) -> tuple[np.ndarray, np.ndarray]:
        """Each comment's probabilities (one column per head, spam first), and per comment
        and head the index of the sentence whose score it is (-1: the whole comment's).

        Spam is the whole comment's (it is about the comment and its metadata, and a
        compliment sentence on its own is not spam); every other head takes the highest of
        the whole comment and each of its sentences, so one abusive sentence in a long
        reasonable comment is not averaged away.
        """
        X, S, owner = self.featurizer.transform_sentences([_cells(c) for c in comments])
        proba = expit((X @ self.weights).astype(np.float64) + self.bias)
        winner = np.full(proba.shape, -1, dtype=np.int64)
        if not owner.size:
            return proba, winner
        width = self.featurizer.n_text_features_
        # All heads over the first ``width`` rows of W, then spam's column dropped: a row slice
        # of W is contiguous, a column slice is not, and scipy copies a non-contiguous operand
        # (12 MB) on every product, which made one comment cost 4 ms instead of 0.5.
        sentence = expit((S @ self.weights[:width])[:, 1:].astype(np.float64) + self.bias[1:])
        # ``owner`` is sorted: each comment's sentences are one contiguous run.
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        group = np.cumsum(np.r_[False, owner[1:] != owner[:-1]])
        owners = owner[starts]
        top = np.maximum.reduceat(sentence, starts, axis=0)
        whole = proba[owners, 1:]
        beats = top > whole
        proba[owners, 1:] = np.where(beats, top, whole)
        # Which sentence: one whose score is its comment's best, where that beat the whole.
        rows, heads = np.nonzero((sentence == top[group]) & beats[group])
        winner[owner[rows], heads + 1] = rows - starts[group[rows]]
        return proba, winner


class Scorer:
    """The pipelines of one verified model directory: spam, toxicity and the toxicity
    attributes it has (``attributes``)."""

    def __init__(self, models: dict[str, Pipeline], manifest: dict[str, Any]) -> None:
        self._spam = models["spam"]
        self._toxicity = models["toxicity"]
        self.attributes: tuple[str, ...] = tuple(a for a in ATTRIBUTES if a in models)
        self._attributes = {name: models[name] for name in self.attributes}
        self._shared = _SharedHeads.build([self._spam, self._toxicity, *self._attributes.values()])
        self.manifest = manifest
        self.version: str = str(manifest["model_version"])

    @classmethod
    def load(cls, path: str | Path | None = None) -> Scorer:
        model_dir = DEFAULT_MODEL_DIR if path is None else Path(path)
        if not model_dir.is_dir():
            raise ModelLoadError(f"model directory {model_dir} does not exist")
        models, manifest = load_models(model_dir)
        return cls(models, manifest)

    def score(self, comments: Sequence[CommentText]) -> list[Scores]:
        if not comments:
            return []
        if self._shared is not None:
            names = self.attributes
            return [
                Scores(row[0], row[1], dict(zip(names, row[2:], strict=True)))
                for row in self._shared.predict_proba(comments).tolist()
            ]
        return self.score_with_pipelines(comments)

    def score_with_pipelines(self, comments: Sequence[CommentText]) -> list[Scores]:
        """Reference path: each saved pipeline's own ``predict_proba`` (slower)."""
        if not comments:
            return []
        rows = comments_to_rows(comments)
        spam = self._spam.predict_proba(rows)[:, 1]
        toxicity = self._toxicity.predict_proba(rows)[:, 1]
        attributes = {
            name: model.predict_proba(rows)[:, 1] for name, model in self._attributes.items()
        }
        return [
            Scores(
                float(spam[i]),
                float(toxicity[i]),
                {name: float(values[i]) for name, values in attributes.items()},
            )
            for i in range(len(rows))
        ]

    def explain(self, comments: Sequence[CommentText], top_k: int = 8) -> list[Explanation]:
        """What raised each comment's scores (spam, toxicity and each attribute), in the
        comment's own text.

        Per score, at most ``top_k`` spans of the original body (``body[start:end] == text``)
        whose n-grams, lexicon words and placeable metadata (links, phone numbers, scam terms)
        add to the logit, strongest first; plus the metadata signals that raised spam.
        Computed only when asked: several times the cost of ``score``.
        """
        explanations = explain_rows(
            self._spam, self._toxicity, [_cells(c) for c in comments], top_k, self._attributes
        )
        if self._shared is None or not explanations:
            return explanations
        # Where a score is one sentence's, its explanation points at that sentence.
        _, winner = self._shared.predict(comments)
        names = ("spam", "toxicity", *self.attributes)
        out = []
        for comment, explanation, won in zip(comments, explanations, winner, strict=True):
            if (won < 0).all():
                out.append(explanation)
                continue
            text, starts, ends = normalise_with_spans(_cells(comment)[0])
            bounds = sentence_bounds(text)
            places = {
                name: (starts[bounds[k][0]], ends[bounds[k][1] - 1])
                for name, k in zip(names, won.tolist(), strict=True)
                if k >= 0
            }
            out.append(explanation.in_sentences(places))
        return out

    def __repr__(self) -> str:
        return f"Scorer(version={self.version!r})"
