"""SQL of analyses: texts scored through the Perspective-compatible API with `doNotStore` false,
kept with their scores and any suggested scores (feedback) for review and training."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from moderation.domain import fields
from moderation.domain.clock import utcnow
from moderation.storage.models import Analysis

# The column's width; a longer token is kept cut (and matched cut).
CLIENT_TOKEN_LENGTH = 200


@dataclass(frozen=True, slots=True)
class AnalysisRecord:
    site_id: int
    text: str
    scores: dict[str, float]
    model_version: str | None
    client_token: str | None = None
    feedback: dict[str, Any] | None = None


def _token(client_token: str | None) -> str | None:
    return None if client_token is None else _storable(client_token)[:CLIENT_TOKEN_LENGTH]


def _storable(text: str) -> str:
    """Text as both databases can keep it: Perspective's clients may send what our comment API
    refuses (a NUL, a lone surrogate), and a scored text is kept for reference, not refused."""
    return fields.judged_text(text)


_INSERT = insert(Analysis)
_LATEST_WITH_TOKEN = (
    select(Analysis.id)
    .where(Analysis.site_id == bindparam("site_id"), Analysis.client_token == bindparam("token"))
    .order_by(Analysis.id.desc())
    .limit(1)
)
_SET_FEEDBACK = (
    update(Analysis)
    .where(Analysis.id == bindparam("analysis_id"))
    .values(feedback=bindparam("feedback"))
    .execution_options(synchronize_session=False)
)


def record_analyses(session: Session, records: Sequence[AnalysisRecord]) -> None:
    """One statement for a worker's batch."""
    if not records:
        return
    now = utcnow()
    session.execute(
        _INSERT,
        [
            {
                "site_id": r.site_id,
                "text": _storable(r.text),
                "scores": r.scores,
                "model_version": r.model_version,
                "client_token": _token(r.client_token),
                "feedback": r.feedback,
                "created_at": now,
            }
            for r in records
        ],
    )


def record_feedback(
    session: Session,
    site_id: int,
    client_token: str | None,
    feedback: dict[str, Any],
    text: str,
    keep_text: bool,
) -> int | None:
    """Put suggested scores on the site's latest analysis with this client token; without one,
    keep them on a new analysis of the text (unscored) unless the text must not be kept.
    Returns the analysis id, None when nothing was kept."""
    token = _token(client_token)
    if token is not None:
        found = session.execute(_LATEST_WITH_TOKEN, {"site_id": site_id, "token": token}).scalar()
        if found is not None:
            session.execute(_SET_FEEDBACK, {"analysis_id": found, "feedback": feedback})
            return int(found)
    if not keep_text:
        return None
    analysis = Analysis(
        site_id=site_id,
        text=_storable(text),
        scores={},
        model_version=None,
        client_token=token,
        feedback=feedback,
        created_at=utcnow(),
    )
    session.add(analysis)
    session.flush()
    return analysis.id
