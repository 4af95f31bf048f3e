"""The leased outbox webhook deliveries and notifiers' emails are both sent from: a row is
pending until an attempt succeeds or the last one fails. A worker claims due rows for one
attempt (the attempt counted, the row leased until a time past the task's hard limit, so a
worker that dies mid-attempt leaves it to the sweep), and records the attempt's outcome only
if no other worker claimed the row since: the attempt number is the fence.

Written once here for both tables (storage.webhook_sending, storage.emails), which share the
columns it needs: id, status, attempts, next_attempt_at."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from moderation.storage.models import Email, WebhookDelivery

PENDING = "pending"  # DeliveryStatus.PENDING and EmailStatus.PENDING

Outbox = type[WebhookDelivery] | type[Email]


def claim(
    session: Session,
    table: Outbox,
    ids: Sequence[int],
    now: datetime,
    lease_until: datetime,
    **also: Any,
) -> dict[int, int]:
    """Take the pending, due rows among `ids` for one attempt (with the columns `also` sets):
    {row id: attempt number}, the number `record_attempt` checks."""
    if not ids:
        return {}
    rows = session.execute(
        update(table)
        .where(
            table.id.in_(list(ids)),
            table.status == PENDING,
            or_(table.next_attempt_at.is_(None), table.next_attempt_at <= now),
        )
        .values(attempts=table.attempts + 1, next_attempt_at=lease_until, **also)
        .returning(table.id, table.attempts)
    ).all()
    return {row_id: attempts for row_id, attempts in rows}


def record_attempt(
    session: Session, table: Outbox, row_id: int, attempt: int, outcome: dict[str, Any]
) -> bool:
    """Write an attempt's `outcome` (status and the columns that go with it), unless the row
    moved on meanwhile (its lease ran out and another worker claimed it: that worker's
    attempt is the one to keep)."""
    done = session.execute(
        update(table)
        .where(table.id == row_id, table.attempts == attempt, table.status == PENDING)
        .values(**outcome)
        .returning(table.id)
    ).first()
    return done is not None
