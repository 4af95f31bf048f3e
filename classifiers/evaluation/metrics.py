"""Operating points, the metrics of one held-out split, and the records an evaluation returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = [
    "ECE_BINS",
    "AtThreshold",
    "Evaluation",
    "Metrics",
    "Split",
    "Thresholds",
    "compute_metrics",
    "expected_calibration_error",
]

ECE_BINS = 10


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
