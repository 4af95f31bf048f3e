"""Leave-one-source-out evaluation of the spam and toxicity models against simple baselines,
and the agreement of their explanations with TOXICSPANS.

- ``sources``: the held-out sources and, per label, which of their rows are tested;
- ``metrics``: operating points, per-split metrics and the records ``evaluate`` returns;
- ``baselines``: the reference scorers (bogofilter, alt-profanity-check, TF-IDF + LR);
- ``rounds``: what each round trains on and tests, and running one round;
- ``run``: ``evaluate``, every round in this process or in worker processes;
- ``spans``: character F1 of the explanations against the TOXICSPANS raters.
"""

from classifiers.evaluation.baselines import (
    PROFANITY_CHECK_TRAINED_ON,
    Baseline,
    Bogofilter,
    ProfanityCheck,
    TfidfLogisticRegression,
    default_baselines,
)
from classifiers.evaluation.metrics import (
    ECE_BINS,
    AtThreshold,
    Evaluation,
    Metrics,
    Split,
    Thresholds,
    compute_metrics,
    expected_calibration_error,
)
from classifiers.evaluation.rounds import (
    HeldOut,
    HeldOutPolicy,
    Rounds,
    plan,
    subset,
    train_on_subset,
)
from classifiers.evaluation.run import evaluate
from classifiers.evaluation.sources import (
    HELD_OUT_SOURCES,
    LABELS,
    POLICY_SOURCES,
    TEST_SOURCES,
    origin,
)
from classifiers.evaluation.spans import SPAN_THRESHOLD, SPAN_TOP_K, char_f1, span_f1

__all__ = [
    "ECE_BINS",
    "HELD_OUT_SOURCES",
    "LABELS",
    "POLICY_SOURCES",
    "PROFANITY_CHECK_TRAINED_ON",
    "SPAN_THRESHOLD",
    "SPAN_TOP_K",
    "TEST_SOURCES",
    "AtThreshold",
    "Baseline",
    "Bogofilter",
    "Evaluation",
    "HeldOut",
    "HeldOutPolicy",
    "Metrics",
    "ProfanityCheck",
    "Rounds",
    "Split",
    "TfidfLogisticRegression",
    "Thresholds",
    "char_f1",
    "compute_metrics",
    "default_baselines",
    "evaluate",
    "expected_calibration_error",
    "origin",
    "plan",
    "span_f1",
    "subset",
    "train_on_subset",
]
