"""The reference scorers our models are compared with on each held-out split."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from classifiers.evaluation.sources import LABELS

__all__ = [
    "PROFANITY_CHECK_TRAINED_ON",
    "Baseline",
    "Bogofilter",
    "ProfanityCheck",
    "TfidfLogisticRegression",
    "default_baselines",
]

# alt-profanity-check was trained on these; its figures there are in-distribution.
PROFANITY_CHECK_TRAINED_ON = frozenset({"davidson", "jigsaw"})


@dataclass(frozen=True, slots=True)
class _Fold:
    """One split as a baseline sees it: the training texts, their labels (1 positive) and
    weights, and the texts to score."""

    train_texts: Sequence[str]
    train_labels: Sequence[int]
    test_texts: Sequence[str]
    train_weights: np.ndarray | None

    def train_texts_labelled(self, label: int) -> list[str]:
        """The training texts whose label is ``label``, in their order."""
        return [t for t, y in zip(self.train_texts, self.train_labels, strict=True) if y == label]


class Baseline(ABC):
    """A reference scorer for some labels, trained (or not) on the same training fold.

    ``train_weights`` are the sample weights our model trains with on those rows (per-source
    balance, identity terms, equal class totals); a baseline may ignore them.
    """

    name: str
    labels: tuple[str, ...]

    def unavailable(self) -> str | None:
        """Why the baseline cannot run on this machine (what to install), or None."""
        return None

    def fit_predict(
        self,
        train_texts: Sequence[str],
        train_labels: Sequence[int],
        test_texts: Sequence[str],
        train_weights: np.ndarray | None = None,
    ) -> np.ndarray:
        """One score per test text, from a baseline trained (or not) on the training texts."""
        return self._scores(_Fold(train_texts, train_labels, test_texts, train_weights))

    @abstractmethod
    def _scores(self, fold: _Fold) -> np.ndarray: ...


def _mbox(texts: Sequence[str]) -> str:
    # One message per text: an mbox "From " separator, an empty header, the body. Body
    # lines starting with "From " are escaped, or they would split the message.
    out = []
    for text in texts:
        lines = (">" + line if line.startswith("From ") else line for line in text.splitlines())
        out.append("From eval@localhost Thu Jan  1 00:00:00 1970\n\n" + "\n".join(lines) + "\n\n")
    return "".join(out)


class Bogofilter(Baseline):
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

    def _scores(self, fold: _Fold) -> np.ndarray:
        # Unweighted: bogofilter counts messages, as a site that installs it would train it.
        with tempfile.TemporaryDirectory(prefix="bogofilter-") as wordlist:
            self._run(["-d", wordlist, "-s", "-M"], _mbox(fold.train_texts_labelled(1)))
            self._run(["-d", wordlist, "-n", "-M"], _mbox(fold.train_texts_labelled(0)))
            # -TT: one spamicity per message, full precision; -e: exit 0 whatever the verdict.
            out = self._run(["-d", wordlist, "-M", "-TT", "-e"], _mbox(fold.test_texts))
        scores = np.asarray([float(line) for line in out.split()], dtype=float)
        if len(scores) != len(fold.test_texts):
            raise RuntimeError(
                f"bogofilter scored {len(scores)} of {len(fold.test_texts)} messages"
            )
        return scores


class ProfanityCheck(Baseline):
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

    def _scores(self, fold: _Fold) -> np.ndarray:
        from profanity_check import predict_prob

        return np.asarray(predict_prob(list(fold.test_texts)), dtype=float)


class TfidfLogisticRegression(Baseline):
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

    def _scores(self, fold: _Fold) -> np.ndarray:
        # A fresh pipeline per call: its vocabulary and matrices die with it, so nothing
        # large outlives the split.
        model = self.pipeline(balanced=fold.train_weights is None)
        model.fit(
            list(fold.train_texts),
            np.asarray(fold.train_labels),
            classifier__sample_weight=fold.train_weights,
        )
        return np.asarray(model.predict_proba(list(fold.test_texts))[:, 1], dtype=float)


def default_baselines() -> list[Baseline]:
    return [Bogofilter(), ProfanityCheck(), TfidfLogisticRegression()]
