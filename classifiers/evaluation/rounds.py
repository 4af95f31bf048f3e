"""The rounds of a leave-one-source-out evaluation: what each trains on and tests, and
training and scoring our models without the held-out source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from scipy.special import expit, logit
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from classifiers.datasets import (
    N_FOLDS,
    LabelledSet,
    build_label_sets,
    feature_lexicon,
    read_lexicon,
)
from classifiers.evaluation.baselines import Baseline
from classifiers.evaluation.metrics import Split, Thresholds, compute_metrics
from classifiers.evaluation.sources import LABELS, POLICY_SOURCES, TEST_SOURCES, origin
from classifiers.evaluation.spans import span_f1
from classifiers.features import CommentFeaturizer, reweigh_ngrams
from classifiers.scorer import Scorer
from classifiers.training import (
    build_body_rows,
    build_pipelines,
    distinct_texts,
    fit_calibrated,
    served_vectors,
    term_weights,
)

__all__ = ["HeldOut", "HeldOutPolicy", "Rounds", "plan", "subset", "train_on_subset"]


class HeldOutPolicy(Protocol):
    """What the policy decides with a held-out round's models (given by the caller: the
    policy lives outside ``classifiers``, which knows nothing of it).

    Called with a scorer of every model trained without the source, the source's toxicity
    rows and their labels (1 harmful); returns what the report shows (``"table"``, markdown)
    and anything else that pickles."""

    def __call__(self, scorer: Any, texts: list[str], harmful: np.ndarray) -> dict[str, Any]: ...


def subset(data: LabelledSet, mask: np.ndarray) -> LabelledSet:
    keep = np.flatnonzero(mask)
    return replace(
        data,
        texts=[data.texts[i] for i in keep],
        labels=[data.labels[i] for i in keep],
        row_weights=[data.row_weights[i] for i in keep],
        sources=[data.sources[i] for i in keep],
        folds=[data.folds[i] for i in keep],
    )


def train_on_subset(
    data: LabelledSet,
    features: Any,
    train: np.ndarray,
    classifier: LogisticRegression,
    weights: np.ndarray | None = None,
) -> LogisticRegression:
    """Fit a clone of ``classifier`` on the ``train`` rows exactly as ``train()`` would.

    The weights are recomputed for the subset (per-source balance, identity terms, equal
    class totals; ``weights`` when already computed) and the Platt calibration is fitted out
    of fold on the subset, so the held-out source sees the model the training code would have
    shipped without it.
    """
    sub = subset(data, train)
    fitted = clone(classifier)
    fit_calibrated(
        fitted,
        features[train],
        np.asarray(sub.labels),
        sub.sample_weights() if weights is None else weights,
        np.asarray(sub.folds),
        lambda _line: None,
    )
    return fitted


def _youtube_videos(data_dir: Path) -> list[str]:
    # Same order as classifiers.datasets._youtube, which sets a video's fold to its index.
    videos = [p.stem for p in sorted(data_dir.glob("youtube_spam/Youtube0*.csv"))]
    if len(videos) > N_FOLDS:
        raise ValueError(f"{len(videos)} YouTube videos do not map one-to-one onto folds")
    return videos


@dataclass
class HeldOut:
    """One model to train (``train`` rows) and score on the held-out ``test`` rows."""

    label: str
    held_out: str
    kind: str  # "source" or "video"
    train: np.ndarray  # boolean masks over the label's LabelledSet
    test: np.ndarray


def plan(
    sets: dict[str, LabelledSet], data_dir: Path, sources: Sequence[str], videos: bool = True
) -> list[tuple[str, list[HeldOut]]]:
    """The rounds of training: one per held-out source (then per YouTube video), each with
    the labels evaluated there. Training rows exclude every row of the held-out origin."""
    origins = {k: np.asarray([origin(s) for s in v.sources]) for k, v in sets.items()}
    row_sources = {k: np.asarray(v.sources) for k, v in sets.items()}
    rounds: list[tuple[str, list[HeldOut]]] = []
    for held_out in sources:
        tasks = []
        for label in LABELS:
            if label not in sets:
                continue
            test_sources = TEST_SOURCES[label].get(held_out)
            if test_sources is None:
                continue
            test = np.isin(row_sources[label], test_sources)
            if test.any():
                tasks.append(HeldOut(label, held_out, "source", origins[label] != held_out, test))
        if tasks:
            rounds.append((held_out, tasks))
    if videos and "youtube" in sources:
        folds = np.asarray(sets["spam"].folds)
        is_youtube = origins["spam"] == "youtube"
        for index, video in enumerate(_youtube_videos(data_dir)):
            in_video = is_youtube & (folds == index)
            test = in_video & (row_sources["spam"] == "youtube")
            if test.any():
                task = HeldOut("spam", f"youtube/{video}", "video", ~in_video, test)
                rounds.append((f"YouTube video {video}", [task]))
    return rounds


class Rounds:
    """The data, features and baselines of one evaluation; runs a round by its number.

    Built once in each worker process (see ``evaluate``'s ``jobs``), so only round numbers
    and results cross process boundaries, never the feature matrices.
    """

    def __init__(
        self,
        data_dir: Path,
        sources: Sequence[str],
        videos: bool,
        thresholds: Thresholds,
        baselines: Sequence[Baseline],
        policy: HeldOutPolicy | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.policy = policy
        self.sets, files = build_label_sets(data_dir)
        lexicon = feature_lexicon(read_lexicon(files))
        # Without term weights: the data is hashed once, and each round weighs it with the
        # idf of its own training texts (``weighed``), never the held-out source's.
        # The word vectors are the served ones: a table from the pretrained vectors alone,
        # which no held-out source's labels shaped.
        self.pipelines = build_pipelines(lexicon, vectors=served_vectors())
        self.rounds = plan(self.sets, data_dir, sources, videos)
        self.thresholds = thresholds
        self.baselines = {label: [b for b in baselines if label in b.labels] for label in LABELS}
        self._features: dict[str, Any] = {}

    def features(self, label: str) -> Any:
        if label not in self._features:
            # Hashing features are stateless: computed once per label, sliced per split.
            texts = self.sets[label].texts
            self._features[label] = self.pipelines[label][:-1].fit_transform(build_body_rows(texts))
        return self._features[label]

    def weighed(self, label: str, idf: np.ndarray) -> tuple[Any, CommentFeaturizer]:
        """The label's features weighed by ``idf``, and the featurizer that makes them."""
        raw = self.pipelines[label][0]
        featurizer = clone(raw).set_params(idf=idf).fit(build_body_rows([""]))
        X = reweigh_ngrams(self.features(label), idf, raw.word_bits, float(raw.char_scale))
        if featurizer.vector_idf:  # words alike: the vector columns do not depend on the idf
            featurizer.reweigh_vectors(X, build_body_rows(self.sets[label].texts).tolist())
        return X, featurizer

    def round_idf(self, tasks: Sequence[HeldOut]) -> np.ndarray:
        """``training.term_weights`` over the distinct texts the round trains on: every
        label's text except those of any row held out in this round."""
        held: set[str] = set()
        for task in tasks:
            texts = self.sets[task.label].texts
            held.update(texts[i] for i in np.flatnonzero(~task.train))
        # Every label's rows of a held-out source, not only the tasks' labels: one pass over
        # the sets for the round, not one per task.
        held_sources = {task.held_out for task in tasks if task.kind == "source"}
        if held_sources:
            for data in self.sets.values():
                held.update(
                    text
                    for text, source in zip(data.texts, data.sources, strict=True)
                    if origin(source) in held_sources
                )
        return term_weights([t for t in distinct_texts(self.sets.values()) if t not in held])

    def _assembled(
        self, label: str, featurizer: CommentFeaturizer, model: LogisticRegression
    ) -> Pipeline:
        """The round's (fitted, stateless) feature step with a held-out model."""
        steps = list(self.pipelines[label].steps)
        return Pipeline([(steps[0][0], featurizer), (steps[-1][0], model)])

    def _held_out_scorer(
        self, name: str, models: dict[str, tuple[CommentFeaturizer, LogisticRegression]]
    ) -> Scorer:
        return Scorer(
            {label: self._assembled(label, *pair) for label, pair in models.items()},
            {"model_version": f"trained without {name}"},
        )

    def _every_model(
        self,
        held_out: str,
        idf: np.ndarray,
        trained: dict[str, tuple[CommentFeaturizer, LogisticRegression]],
    ) -> dict[str, tuple[CommentFeaturizer, LogisticRegression]]:
        """``trained`` with the models the round had no task for trained too (without the
        held-out source, as the others), so the whole policy can run on the source."""
        every = dict(trained)
        for label in LABELS:
            if label in every:
                continue
            data = self.sets[label]
            train = np.asarray([origin(s) for s in data.sources]) != held_out
            X, featurizer = self.weighed(label, idf)
            every[label] = (
                featurizer,
                train_on_subset(data, X, train, self.pipelines[label][-1]),
            )
        return every

    def _held_out_spans(
        self, data_dir: Path, models: dict[str, tuple[CommentFeaturizer, LogisticRegression]]
    ) -> dict[str, Any]:
        """Span F1 of explanations from models that never saw TOXICSPANS: the honest figure
        (the shipped model trained on those very comments)."""
        return span_f1(self._held_out_scorer("toxicspans", models), data_dir)

    def as_served(
        self,
        label: str,
        featurizer: CommentFeaturizer,
        model: LogisticRegression,
        rows: np.ndarray,
        whole: np.ndarray,
        sentence_discount: float = 0.0,
    ) -> np.ndarray:
        """The scores as the scorer serves them: spam is the whole text's; every other label
        the highest of the whole text's and each of its sentences' (``Scorer.score``).

        ``sentence_discount`` (logits taken off each sentence's score before the highest is
        taken; 0 is what the scorer does) is for ``bench.model_families``' comparison."""
        if label == "spam":
            return whole
        texts = [self.sets[label].texts[i] for i in rows]
        _, sentences, owner = featurizer.transform_sentences(build_body_rows(texts).tolist())
        if not owner.size:
            return whole
        served = whole.copy()
        parts = model.predict_proba(sentences)[:, 1]
        if sentence_discount:
            parts = expit(logit(np.clip(parts, 1e-9, 1 - 1e-9)) - sentence_discount)
        np.maximum.at(served, owner, parts)
        return served

    def run(self, number: int) -> list[Split]:
        splits = []
        trained: dict[str, tuple[CommentFeaturizer, LogisticRegression]] = {}
        tasks = self.rounds[number][1]
        idf = self.round_idf(tasks)
        for task in tasks:
            data = self.sets[task.label]
            X, featurizer = self.weighed(task.label, idf)
            weights = subset(data, task.train).sample_weights()
            classifier = self.pipelines[task.label][-1]
            model = train_on_subset(data, X, task.train, classifier, weights)
            if task.kind == "source":
                trained[task.label] = (featurizer, model)
            y = np.asarray(data.labels)[task.test]
            split = Split(task.label, task.held_out, task.kind, int(task.train.sum()), y)
            train_idx, test_idx = np.flatnonzero(task.train), np.flatnonzero(task.test)
            whole = model.predict_proba(X[task.test])[:, 1]
            split.scores["ours"] = self.as_served(task.label, featurizer, model, test_idx, whole)
            if split.both_classes:
                split.extras["whole_text_roc_auc"] = float(roc_auc_score(y, whole))
            for baseline in self.baselines.get(task.label, []):
                split.scores[baseline.name] = baseline.fit_predict(
                    [data.texts[i] for i in train_idx],
                    [data.labels[i] for i in train_idx],
                    [data.texts[i] for i in test_idx],
                    weights,
                )
            split.metrics = {
                k: compute_metrics(y, p, self.thresholds) for k, p in split.scores.items()
            }
            splits.append(split)
        name = self.rounds[number][0]
        toxicity = [s for s in splits if s.label == "toxicity" and s.kind == "source"]
        if name == "toxicspans" and toxicity and "spam" in trained:
            toxicity[0].extras["span_f1"] = self._held_out_spans(self.data_dir, trained)
        if self.policy is not None and name in POLICY_SOURCES and toxicity:
            every = self._every_model(name, idf, trained)
            task = next(t for t in tasks if t.label == "toxicity")
            rows = np.flatnonzero(task.test)
            texts = [self.sets["toxicity"].texts[i] for i in rows]
            toxicity[0].extras["policy"] = self.policy(
                self._held_out_scorer(name, every), texts, toxicity[0].y
            )
        return splits
