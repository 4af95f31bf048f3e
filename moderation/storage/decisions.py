"""SQL of deciding: queued comments move to their status with a decision row, an audit event
and their sites' webhook events, in one transaction. The caller commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, update
from sqlalchemy.orm import Session

from moderation.domain import statements
from moderation.domain.appeals import AppealLinks
from moderation.domain.clock import utcnow
from moderation.domain.records import DecisionRecord, risk_of
from moderation.domain.statuses import CommentStatus
from moderation.storage import statements as statement_store
from moderation.storage import webhooks
from moderation.storage.articles import articles_changed
from moderation.storage.models import Comment, Decision, ModerationEvent


def record_decisions(
    session: Session,
    decisions: Sequence[DecisionRecord],
    actor: str = "policy",
    *,
    webhook_sites: Collection[int] | None = None,
    redress: str = statements.DEFAULT_REDRESS,
    appeals: AppealLinks | None = None,
) -> list[int]:
    """Move queued comments to their decided status, with decision and audit rows, in bulk.

    The update is guarded by `status = 'queued'`: a comment another worker already decided is
    left alone and gets no second decision row. Returns the ids this call decided.

    Each decision is also written as a webhook event for the endpoints of its site, in this
    transaction. `webhook_sites`, the sites with endpoints as a worker keeps them in memory,
    skips that query when empty (the hot path of a deployment without webhooks); None looks.

    A removal (rejected, spam) gets its statement of reasons, `redress` telling the author
    how to seek redress; the webhook event carries it, with its appeal link made as `appeals`
    says.
    """
    now = utcnow()
    decided = _move_queued(session, decisions, now)
    if not decided:
        return []
    # One record per decided comment: the same id twice in a batch must not insert two rows.
    kept = list({r.comment_id: r for r in reversed(decisions) if r.comment_id in decided}.values())
    kept.reverse()
    articles_changed(session, [r.comment_id for r in kept if r.status is CommentStatus.APPROVED])
    session.execute(insert(Decision), [_decision_row(r, now) for r in kept])
    session.execute(insert(ModerationEvent), [_event_row(r, actor, now) for r in kept])
    stated = statement_store.record_statements(
        session,
        [
            statements.by_policy(r.comment_id, r.status, r.reasons)
            for r in kept
            if r.status in statements.REMOVED
        ],
        redress,
        appeals,
    )
    if webhook_sites is None or webhook_sites:
        changes = [
            webhooks.StatusChange(
                r.comment_id,
                CommentStatus.QUEUED,
                r.status,
                r.reason_text,
                statement=stated.get(r.comment_id),
            )
            for r in kept
        ]
        webhooks.record_status_changes(session, actor, changes)
    return [r.comment_id for r in kept]


def _move_queued(session: Session, decisions: Sequence[DecisionRecord], now: datetime) -> set[int]:
    """The ids among `decisions` still queued, now moved to their status (one UPDATE a status)."""
    by_status: dict[CommentStatus, list[int]] = {}
    for record in decisions:
        by_status.setdefault(record.status, []).append(record.comment_id)
    decided: set[int] = set()
    for status, ids in by_status.items():
        result = session.execute(
            update(Comment)
            .where(and_(Comment.id.in_(ids), Comment.status == CommentStatus.QUEUED))
            .values(status=status, decided_at=now)
            .returning(Comment.id)
        )
        decided.update(result.scalars())
    return decided


def _decision_row(record: DecisionRecord, now: datetime) -> dict[str, Any]:
    shadow = record.shadow
    return {
        "comment_id": record.comment_id,
        "status": record.status,
        "spam": record.scores.get("spam"),
        "toxicity": record.scores.get("toxicity"),
        "scores": record.scores,
        "reasons": record.reasons,
        "model_version": record.model_version,
        "risk": risk_of(record.scores),
        "shadow_version": shadow.version if shadow else None,
        "shadow_status": shadow.status if shadow else None,
        "shadow_scores": shadow.scores if shadow else None,
        "created_at": now,
    }


def _event_row(record: DecisionRecord, actor: str, now: datetime) -> dict[str, Any]:
    return {
        "comment_id": record.comment_id,
        "actor": actor,
        "from_status": CommentStatus.QUEUED,
        "to_status": record.status,
        "reason": record.reason_text,
        "created_at": now,
    }
