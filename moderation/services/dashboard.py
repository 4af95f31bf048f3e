"""The workspace's dashboard: comments per status per day, what share the policy sends to spam
or to review, how long a comment waits for its decision, the queue depth and the model."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.domain.statuses import CommentStatus
from moderation.storage import review as store


class DayCounts(BaseModel):
    day: date
    counts: dict[str, int]  # status -> comments submitted that day, as they stand now


class Dashboard(BaseModel):
    days: list[DayCounts]
    decided: int  # by the policy, in the period
    spam_share: float | None  # of those, the share the policy called spam
    held_share: float | None  # ... and the share it sent to review
    median_decision_seconds: float | None  # submission to the policy's decision
    p90_decision_seconds: float | None
    queued: int  # accepted, waiting for a worker
    pending: int  # waiting for a moderator
    reported: int
    model_version: str | None  # of the newest decision: what the workers use now
    shadow_version: str | None  # a candidate scoring beside it, if any
    shadow_scored: int  # decisions in the period the shadow model scored too
    shadow_disagreements: int  # ... where it would have decided otherwise


def dashboard(session: Session, days: int = 14) -> Dashboard:
    now = utcnow()
    first = (now - timedelta(days=days - 1)).date()
    since = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    per_day: dict[date, dict[str, int]] = {
        first + timedelta(days=i): {s.value: 0 for s in CommentStatus} for i in range(days)
    }
    for day, status, count in store.daily_counts(session, since):
        found = per_day.get(date.fromisoformat(day[:10]))
        if found is not None:
            found[status] = count
    outcomes = store.policy_outcomes(session, since)
    decided = sum(outcomes.values())
    delays = sorted(store.decision_delays(session, since))
    counts = store.queue_counts(session)
    shadow_version, shadow_scored, shadow_differ = store.shadow_disagreements(session, since)
    return Dashboard(
        days=[DayCounts(day=d, counts=c) for d, c in per_day.items()],
        decided=decided,
        spam_share=outcomes.get("spam", 0) / decided if decided else None,
        held_share=outcomes.get("pending", 0) / decided if decided else None,
        median_decision_seconds=statistics.median(delays) if delays else None,
        p90_decision_seconds=delays[int(0.9 * (len(delays) - 1))] if delays else None,
        queued=counts.get("queued", 0),
        pending=counts.get("pending", 0),
        reported=counts.get("reported", 0),
        model_version=store.latest_model_version(session),
        shadow_version=shadow_version,
        shadow_scored=shadow_scored,
        shadow_disagreements=shadow_differ,
    )
