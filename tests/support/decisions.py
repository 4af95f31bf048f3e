"""Decisions recorded as a worker records them, for tests that need decided comments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moderation.domain.records import DecisionRecord, ShadowDecision
from moderation.domain.statuses import CommentStatus
from moderation.storage import decisions as decision_store
from moderation.storage.db import session_scope


def decision(
    comment_id: int,
    status: CommentStatus,
    scores: dict[str, float] | None = None,
    *,
    reasons: list[dict[str, Any]] | None = None,
    reason_text: str | None = None,
    model_version: str | None = "v-test",
    shadow: ShadowDecision | None = None,
) -> DecisionRecord:
    """The policy's decision as a worker makes it; unless given, its reason text names the
    rules that fired, or says "ok" when none did."""
    reasons = reasons or []
    if reason_text is None:
        reason_text = "; ".join(str(reason["rule"]) for reason in reasons) or "ok"
    return DecisionRecord(
        comment_id=comment_id,
        status=status,
        scores=scores or {},
        reasons=reasons,
        reason_text=reason_text,
        model_version=model_version,
        shadow=shadow,
    )


def record_decisions(database_url: str, decisions: Iterable[DecisionRecord]) -> list[int]:
    """Record the decisions in one transaction, as a worker does; the ids it decided."""
    with session_scope(database_url) as session:
        return decision_store.record_decisions(session, list(decisions))


def decide(database_url: str, ids: list[int], status: CommentStatus) -> list[int]:
    """How the worker publishes or holds comments: each with the scores of a clear-cut one."""
    return record_decisions(
        database_url, [decision(i, status, {"spam": 0.0, "toxicity": 0.0}) for i in ids]
    )
