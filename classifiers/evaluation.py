"""Leave-one-source-out evaluation of the spam and toxicity models against simple baselines."""

from __future__ import annotations

import importlib.util
import multiprocessing
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from scipy.special import expit, logit
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import FeatureUnion, Pipeline

from classifiers.datasets import (
    N_FOLDS,
    LabelledSet,
    build_label_sets,
    feature_lexicon,
    read_lexicon,
)
from classifiers.features import CommentFeaturizer, reweigh_ngrams
from classifiers.labels import ATTRIBUTES, MODEL_NAMES
from classifiers.training import (
    build_body_rows,
    build_pipelines,
    distinct_texts,
    fit_calibrated,
    served_vectors,
    term_weights,
)

__all__ = [
    "HELD_OUT_SOURCES",
    "LABELS",
    "POLICY_SOURCES",
    "TEST_SOURCES",
    "Baseline",
    "Bogofilter",
    "Evaluation",
    "HeldOut",
    "HeldOutPolicy",
    "Metrics",
    "ProfanityCheck",
    "Split",
    "TfidfLogisticRegression",
    "Thresholds",
    "compute_metrics",
    "default_baselines",
    "evaluate",
    "expected_calibration_error",
    "origin",
    "plan",
    "train_on_subset",
]

LABELS = MODEL_NAMES
# The sources a held-out split is named after (the origins of every row, see ``origin``).
HELD_OUT_SOURCES: tuple[str, ...] = (
    "youtube",
    "sms",
    "jigsaw",
    "davidson",
    "toxicspans",
    "stormfront",
    "implicit",
    "toxigen",
    "hatemoji",
    "hatexplain",
    "offensivelang",
    "scamspot",
)
# Per label and held-out source, the rows scored. A label is only evaluated where the
# held-out source carries it: the spam model meets Jigsaw, TOXICSPANS and Stormfront only
# as ham (so only its false-positive rate means anything there), and YouTube/SMS rows are
# only "clean" filler for the toxicity model. ``toxicspans_rest`` is synthetic (spans cut
# out) and trains, but is never a test set. The hate-speech sources of issue 13 meet the spam
# model as ham (``<source>_ham``) too. ToxiGen's prompt sentences (``toxigen_prompts``) share
# the origin ``toxigen`` and are held out with the annotated statements generated from them,
# but only the human-annotated statements are scored.
_NEW_TOXIC = ("implicit", "toxigen", "hatemoji", "hatexplain", "offensivelang")
TEST_SOURCES: dict[str, dict[str, tuple[str, ...]]] = {
    "spam": {
        "youtube": ("youtube",),
        "sms": ("sms",),
        "jigsaw": ("jigsaw_ham",),
        "toxicspans": ("toxicspans_ham",),
        "stormfront": ("stormfront_ham",),
        "scamspot": ("scamspot",),
        **{name: (f"{name}_ham",) for name in _NEW_TOXIC},
    },
    "toxicity": {
        "jigsaw": ("jigsaw",),
        "davidson": ("davidson",),
        "toxicspans": ("toxicspans",),
        "stormfront": ("stormfront",),
        **{name: (name,) for name in _NEW_TOXIC},
    },
    # The attributes, where the held-out source labels them (see classifiers.datasets):
    # Jigsaw's 8 threats are too few to mean anything, so threat is tested on TOXICSPANS.
    "severe_toxicity": {
        "jigsaw": ("jigsaw",),
        "davidson": ("davidson",),
        "toxicspans": ("toxicspans",),
        "stormfront": ("stormfront",),
    },
    "insult": {"jigsaw": ("jigsaw",), "toxicspans": ("toxicspans",)},
    # Latent Hatred's stage-2 "threatening" posts and Hatemoji's threatening language.
    "threat": {"toxicspans": ("toxicspans",), "implicit": ("implicit",), "hatemoji": ("hatemoji",)},
    "identity_attack": {
        "jigsaw": ("jigsaw",),
        "davidson": ("davidson",),
        "toxicspans": ("toxicspans",),
        "stormfront": ("stormfront",),
        **{name: (name,) for name in _NEW_TOXIC},
    },
    # Not ToxiGen: its 71 toxic "lewd" statements are sexual content, not obscene language.
    "obscene": {"jigsaw": ("jigsaw",), "davidson": ("davidson",), "toxicspans": ("toxicspans",)},
}
assert set(TEST_SOURCES) == set(LABELS) and set(ATTRIBUTES) < set(LABELS)
# Where the whole policy is run on a held-out round's models (``HeldOutPolicy``): the sources
# of discussion comments, what a news site receives (Wikipedia talk pages and Civil Comments'
# news comments); the others are tweets, forum posts and machine-written statements.
POLICY_SOURCES: tuple[str, ...] = ("jigsaw", "toxicspans")
# alt-profanity-check was trained on these; its figures there are in-distribution.
PROFANITY_CHECK_TRAINED_ON = frozenset({"davidson", "jigsaw"})
ECE_BINS = 10


def origin(source: str) -> str:
    """The dataset a row came from: ``youtube_clean`` -> ``youtube``, ``jigsaw_ham`` -> ``jigsaw``.

    Holding a source out removes every row derived from its files, from both models.
    """
    return source.split("_", 1)[0]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The policy's operating points: hold for review at ``hold``, reject at ``reject``."""

    hold: float = 0.5
    reject: float = 0.9

    def items(self) -> tuple[tuple[str, float], ...]:
        return (("hold", self.hold), ("reject", self.reject))


@dataclass(frozen=True, slots=True)
class AtThreshold:
    """Decisions ``score >= threshold``; None where undefined (no positives, no flags)."""

    threshold: float
    precision: float | None
    recall: float | None
    f1: float | None
    false_positive_rate: float | None


@dataclass(frozen=True, slots=True)
class Metrics:
    rows: int
    positives: int
    roc_auc: float | None  # None when the test rows hold one class only
    pr_auc: float | None  # average precision
    ece: float  # expected calibration error, ECE_BINS equal-width bins
    at: dict[str, AtThreshold]  # "hold", "reject"


@dataclass
class Split:
    """One held-out set for one label: true labels and every scorer's probabilities."""

    label: str
    held_out: str  # a source name, or "youtube/<video>"
    kind: str  # "source" or "video"
    train_rows: int
    y: np.ndarray
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # "ours", baseline names
    metrics: dict[str, Metrics] = field(default_factory=dict)
    # Figures that need the held-out models themselves, e.g. "span_f1" for TOXICSPANS.
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def both_classes(self) -> bool:
        return 0 < int(self.y.sum()) < len(self.y)


@dataclass
class Evaluation:
    splits: list[Split]
    thresholds: Thresholds
    baselines: dict[str, str | None]  # name -> None if used, else why it was not
    in_distribution: dict[str, Any]  # the committed manifest's cross-validated metrics
    data_dir: str
    seconds: float = 0.0

    def for_label(self, label: str, kind: str = "source") -> list[Split]:
        return [s for s in self.splits if s.label == label and s.kind == kind]


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Mean |observed rate - mean score| over equal-width score bins, weighted by bin size."""
    if len(y) == 0:
        return 0.0
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        in_bin = index == b
        if in_bin.any():
            total += in_bin.sum() * abs(float(y[in_bin].mean()) - float(p[in_bin].mean()))
    return float(total / len(y))


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def compute_metrics(y: np.ndarray, p: np.ndarray, thresholds: Thresholds) -> Metrics:
    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    both = 0 < y.sum() < len(y)
    at: dict[str, AtThreshold] = {}
    for name, t in thresholds.items():
        flagged = p >= t
        tp = int((flagged & (y == 1)).sum())
        fp = int((flagged & (y == 0)).sum())
        positives, negatives = int((y == 1).sum()), int((y == 0).sum())
        precision = _ratio(tp, tp + fp) if positives else None
        recall = _ratio(tp, positives)
        f1 = None
        if precision is not None and recall is not None:
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        at[name] = AtThreshold(t, precision, recall, f1, _ratio(fp, negatives))
    return Metrics(
        rows=len(y),
        positives=int(y.sum()),
        roc_auc=float(roc_auc_score(y, p)) if both else None,
        # Average precision sums float steps and can land a hair above 1.0 when perfect.
        pr_auc=min(1.0, float(average_precision_score(y, p))) if both else None,
        ece=expected_calibration_error(y, p),
        at=at,
    )


# --- baselines -------------------------------------------------------------------------


class HeldOutPolicy(Protocol):
    """What the policy decides with a held-out round's models (given by the caller: the
    policy lives outside ``classifiers``, which knows nothing of it).

    Called with a scorer of every model trained without the source, the source's toxicity
    rows and their labels (1 harmful); returns what the report shows (``"table"``, markdown)
    and anything else that pickles."""

    def __call__(self, scorer: Any, texts: list[str], harmful: np.ndarray) -> dict[str, Any]: ...


class Baseline(Protocol):
    """A reference scorer for some labels, trained (or not) on the same training fold.

    ``train_weights`` are the sample weights our model trains with on those rows (per-source
    balance, identity terms, equal class totals); a baseline may ignore them.
    """

    name: str
    labels: tuple[str, ...]

    def unavailable(self) -> str | None: ...

    def fit_predict(
        self,
        train_texts: Sequence[str],
        train_labels: Sequence[int],
        test_texts: Sequence[str],
        train_weights: np.ndarray | None = None,
    ) -> np.ndarray: ...


def _mbox(texts: Sequence[str]) -> str:
    # One message per text: an mbox "From " separator, an empty header, the body. Body
    # lines starting with "From " are escaped, or they would split the message.
    out = []
    for text in texts:
        lines = (">" + line if line.startswith("From ") else line for line in text.splitlines())
        out.append("From eval@localhost Thu Jan  1 00:00:00 1970\n\n" + "\n".join(lines) + "\n\n")
    return "".join(out)


class Bogofilter:
    """bogofilter (Bayesian spam filter) with a fresh wordlist per training fold."""

    name = "bogofilter"
    labels: tuple[str, ...] = ("spam",)

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary if binary is not None else shutil.which("bogofilter")

    def unavailable(self) -> str | None:
        if self.binary is None or not Path(self.binary).is_file():
            return "bogofilter is not installed (apt-get install bogofilter)"
        return None

    def _run(self, args: list[str], text: str) -> str:
        assert self.binary is not None
        # -C: ignore any user or system config, so results do not depend on the machine.
        done = subprocess.run(
            [self.binary, "-C", *args], input=text, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"bogofilter {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def fit_predict(
        self,
        train_texts: Sequence[str],
        train_labels: Sequence[int],
        test_texts: Sequence[str],
        train_weights: np.ndarray | None = None,
    ) -> np.ndarray:
        # Unweighted: bogofilter counts messages, as a site that installs it would train it.
        with tempfile.TemporaryDirectory(prefix="bogofilter-") as wordlist:
            spam = [t for t, y in zip(train_texts, train_labels, strict=True) if y == 1]
            ham = [t for t, y in zip(train_texts, train_labels, strict=True) if y == 0]
            self._run(["-d", wordlist, "-s", "-M"], _mbox(spam))
            self._run(["-d", wordlist, "-n", "-M"], _mbox(ham))
            # -TT: one spamicity per message, full precision; -e: exit 0 whatever the verdict.
            out = self._run(["-d", wordlist, "-M", "-TT", "-e"], _mbox(test_texts))
        scores = np.asarray([float(line) for line in out.split()], dtype=float)
        if len(scores) != len(test_texts):
            raise RuntimeError(f"bogofilter scored {len(scores)} of {len(test_texts)} messages")
        return scores


class ProfanityCheck:
    """alt-profanity-check: a pretrained linear SVM (Davidson + Jigsaw, among others).

    It ignores the training fold: it is what a site would install off the shelf. Its own
    model file is loaded by the package itself (joblib); we never load it ourselves.
    """

    name = "alt-profanity-check"
    # A profanity model: compared on toxicity, and on obscene, which is what it detects.
    labels: tuple[str, ...] = ("toxicity", "obscene")

    def unavailable(self) -> str | None:
        if importlib.util.find_spec("profanity_check") is None:
            return "alt-profanity-check is not installed (pip install alt-profanity-check)"
        return None

    def fit_predict(
        self,
        train_texts: Sequence[str],
        train_labels: Sequence[int],
        test_texts: Sequence[str],
        train_weights: np.ndarray | None = None,
    ) -> np.ndarray:
        from profanity_check import predict_prob

        return np.asarray(predict_prob(list(test_texts)), dtype=float)


class TfidfLogisticRegression:
    """The plain text classifier: TF-IDF word 1-2-grams and char_wb 2-5-grams into a logistic
    regression, refitted on each training fold for every label.

    Hyper-parameters are fixed (the usual ones), never tuned on held-out data. It trains on
    exactly our model's rows with our sample weights, so what ours adds over it is the
    featurisation (de-obfuscation, hashing, lexicon and metadata features) and the Platt
    calibration, not the data or its weighting. Without weights, classes are balanced.
    """

    name = "tfidf+lr"
    labels: tuple[str, ...] = LABELS

    def __init__(self, c: float = 4.0, max_char_features: int = 200_000) -> None:
        self.c = c
        self.max_char_features = max_char_features

    def unavailable(self) -> str | None:
        return None

    def pipeline(self, balanced: bool = True) -> Pipeline:
        common: dict[str, Any] = {"min_df": 2, "sublinear_tf": True, "dtype": np.float32}
        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), **common)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=(2, 5),
                        max_features=self.max_char_features,
                        **common,
                    ),
                ),
            ]
        )
        classifier = LogisticRegression(
            C=self.c, max_iter=1000, class_weight="balanced" if balanced else None
        )
        return Pipeline([("features", features), ("classifier", classifier)])

    def fit_predict(
        self,
        train_texts: Sequence[str],
        train_labels: Sequence[int],
        test_texts: Sequence[str],
        train_weights: np.ndarray | None = None,
    ) -> np.ndarray:
        # A fresh pipeline per call: its vocabulary and matrices die with it, so nothing
        # large outlives the split.
        model = self.pipeline(balanced=train_weights is None)
        model.fit(
            list(train_texts), np.asarray(train_labels), classifier__sample_weight=train_weights
        )
        return np.asarray(model.predict_proba(list(test_texts))[:, 1], dtype=float)


def default_baselines() -> list[Baseline]:
    return [Bogofilter(), ProfanityCheck(), TfidfLogisticRegression()]


# --- our models on a subset ------------------------------------------------------------


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
    ) -> Any:
        from classifiers.scorer import Scorer

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
    ) -> Any:
        """Span F1 of explanations from models that never saw TOXICSPANS: the honest figure
        (the shipped model trained on those very comments)."""
        from classifiers.explain import span_f1

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
    return Evaluation(
        splits=[split for number in sorted(results) for split in results[number]],
        thresholds=thresholds,
        baselines=status,
        in_distribution=dict(in_distribution or {}),
        data_dir=str(data_dir),
        seconds=time.perf_counter() - started,
    )
