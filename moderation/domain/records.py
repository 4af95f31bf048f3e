"""Records shared by the layers: a decision as the workers, the Akismet-compatible check and
the moderators' actions write it, and what the review queue sorts by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moderation.domain.statuses import CommentStatus


@dataclass(frozen=True, slots=True)
class ShadowDecision:
    """What the policy would have decided with the shadow model's scores."""

    version: str
    status: CommentStatus
    scores: dict[str, float]


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    comment_id: int
    status: CommentStatus
    scores: dict[str, float]
    reasons: list[dict[str, Any]]
    reason_text: str
    model_version: str | None
    shadow: ShadowDecision | None = None


def risk_of(scores: dict[str, float]) -> float:
    """What the review queue sorts by: the highest score, or 1.0 for a comment decided without
    scores (the model failed), which a person should look at first."""
    return max(scores.values()) if scores else 1.0
