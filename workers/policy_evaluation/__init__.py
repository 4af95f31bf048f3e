"""Decisions, not just scores: the policy's decisions through the worker's full scoring path,
on the labelled sets of news comments (`moderation evaluate-policy`; `report`, over the sets
of `sets`) and on held-out sources with models that never saw them (`moderation evaluate`;
`held_out`). `tables` holds the cells both reports' markdown share.

Every name is re-exported here, so callers need not know which module holds it."""

from workers.policy_evaluation.held_out import (
    POLICY_VARIANTS,
    HeldOutDecisions,
    HeldOutOutcome,
    held_out_policy_markdown,
)
from workers.policy_evaluation.report import (
    Miss,
    PolicyReport,
    build_report,
    evaluate_policy,
    policy_sections,
)
from workers.policy_evaluation.sets import (
    CLEAN,
    DECISION_OF,
    DECISION_SETS,
    DECISIONS,
    DEFAULT_SET,
    FROZEN_SET,
    HARMFUL,
    ISSUE_3,
    ISSUE_13,
    REMOVED,
    TARGETS,
    DecisionSet,
    EvaluationSetError,
    LabelledComment,
    Targets,
    load_set,
)

__all__ = [
    "CLEAN",
    "DECISIONS",
    "DECISION_OF",
    "DECISION_SETS",
    "DEFAULT_SET",
    "FROZEN_SET",
    "HARMFUL",
    "ISSUE_3",
    "ISSUE_13",
    "POLICY_VARIANTS",
    "REMOVED",
    "TARGETS",
    "DecisionSet",
    "EvaluationSetError",
    "HeldOutDecisions",
    "HeldOutOutcome",
    "LabelledComment",
    "Miss",
    "PolicyReport",
    "Targets",
    "build_report",
    "evaluate_policy",
    "held_out_policy_markdown",
    "load_set",
    "policy_sections",
]
