"""SQL of the notifiers' email outbox: writing an email in the caller's transaction, claiming
due ones for one attempt under a lease, recording the attempt (fenced by its number), and the
overdue ones the sweep hands out again; the lease and fence are storage.outbox's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.domain.emails import EmailStatus, EmailText
from moderation.storage import outbox
from moderation.storage.models import Email

_WRITTEN = "emails_written"


def insert_email(session: Session, recipient: str, text: EmailText, notice_id: int) -> int:
    now = utcnow()
    email = Email(
        notice_id=notice_id,
        kind=text.kind.value,
        recipient=recipient,
        subject=text.subject,
        body=text.body,
        status=EmailStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(email)
    session.flush()
    session.info.setdefault(_WRITTEN, []).append(email.id)
    return email.id


def written(session: Session) -> list[int]:
    """The ids of the emails written in this session so far, forgotten once read."""
    ids: list[int] = session.info.pop(_WRITTEN, [])
    return ids


def claim(
    session: Session, ids: Sequence[int], now: datetime, lease_until: datetime
) -> dict[int, int]:
    """Take the pending, due emails among `ids` for one attempt (storage.outbox): {email id:
    attempt number}."""
    return outbox.claim(session, Email, ids, now, lease_until)


def outgoing(session: Session, ids: Sequence[int]) -> list[Email]:
    if not ids:
        return []
    return list(session.execute(select(Email).where(Email.id.in_(list(ids)))).scalars())


def record_attempt(
    session: Session,
    email_id: int,
    attempt: int,
    status: EmailStatus,
    error: str | None,
    next_attempt_at: datetime | None,
) -> bool:
    """The outcome of one attempt, unless another worker's attempt took over meanwhile."""
    outcome = {
        "status": status.value,
        "last_error": error,
        "next_attempt_at": next_attempt_at,
        "sent_at": utcnow() if status is EmailStatus.SENT else None,
    }
    return outbox.record_attempt(session, Email, email_id, attempt, outcome)


def overdue(session: Session, cutoff: datetime, limit: int) -> list[int]:
    """Pending emails due since before `cutoff`: their task was lost or their worker died."""
    return list(
        session.execute(
            select(Email.id)
            .where(Email.status == EmailStatus.PENDING.value, Email.next_attempt_at < cutoff)
            .order_by(Email.id)
            .limit(limit)
        ).scalars()
    )
