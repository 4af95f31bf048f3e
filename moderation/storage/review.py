"""SQL of the moderators' work: the review queues, their decisions, labels and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.domain.statuses import CommentStatus
from moderation.storage import articles as article_store
from moderation.storage import webhooks
from moderation.storage.db import count_rows
from moderation.storage.models import (
    Article,
    Comment,
    Decision,
    ModerationEvent,
    ModeratorLabel,
    Report,
)

SelectT = TypeVar("SelectT", bound=Select)
_open_report = exists().where(Report.comment_id == Comment.id, Report.resolved_at.is_(None))
_risk = func.coalesce(Decision.risk, 0.0)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    status: CommentStatus | None  # None with reported=True: any status with open reports
    reported: bool = False
    article: str | None = None  # the site's article id
    site_id: int | None = None  # one site's comments only
    author: str | None = None  # part of the name or the email
    text: str | None = None  # part of the body
    # Only comments the shadow model would have decided otherwise than the active one.
    disagreements: bool = False


@dataclass(frozen=True, slots=True)
class QueueCursor:
    """Where the previous page ended, in the order being read."""

    risk: float
    id: int


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(query: SelectT, where: QueueFilter) -> SelectT:
    if where.reported:
        query = query.where(_open_report)
    if where.status is not None:
        query = query.where(Comment.status == where.status)
    if where.site_id is not None:
        query = query.where(Article.site_id == where.site_id)
    if where.article:
        query = query.where(Article.external_id == where.article)
    if where.author:
        pattern = _like(where.author.lower())
        query = query.where(
            or_(
                func.lower(Comment.author_name).like(pattern, escape="\\"),
                func.lower(Comment.author_email).like(pattern, escape="\\"),
            )
        )
    if where.text:
        query = query.where(func.lower(Comment.body).like(_like(where.text.lower()), escape="\\"))
    if where.disagreements:
        query = query.where(
            Decision.shadow_status.is_not(None), Decision.shadow_status != Decision.status
        )
    return query


def queue_page(
    session: Session, where: QueueFilter, sort: str, after: QueueCursor | None, limit: int
) -> list[tuple[Comment, Article, Decision | None]]:
    """One page of comments in the queue: by risk (highest first), oldest or newest first."""
    query = _filtered(
        select(Comment, Article, Decision)
        .join(Article, Comment.article_id == Article.id)
        .outerjoin(Decision, Decision.comment_id == Comment.id),
        where,
    )
    if sort == "risk":
        if after is not None:
            query = query.where(
                or_(_risk < after.risk, (_risk == after.risk) & (Comment.id < after.id))
            )
        query = query.order_by(_risk.desc(), Comment.id.desc())
    elif sort == "oldest":
        if after is not None:
            query = query.where(Comment.id > after.id)
        query = query.order_by(Comment.id)
    else:
        if after is not None:
            query = query.where(Comment.id < after.id)
        query = query.order_by(Comment.id.desc())
    return [(row[0], row[1], row[2]) for row in session.execute(query.limit(limit)).all()]


def queue_counts(session: Session) -> dict[str, int]:
    """Comments per status, and those with open reports (the Reported tab)."""
    counts = {
        str(status): count
        for status, count in session.execute(
            select(Comment.status, func.count()).group_by(Comment.status)
        ).all()
    }
    counts["reported"] = session.execute(
        select(func.count(func.distinct(Report.comment_id))).where(Report.resolved_at.is_(None))
    ).scalar_one()
    return counts


@dataclass(frozen=True, slots=True)
class AuthorHistory:
    approved: int
    rejected: int
    spam: int
    pending: int
    first_seen: datetime


def author_histories(session: Session, emails: Sequence[str]) -> dict[str, AuthorHistory]:
    if not emails:
        return {}
    rows = session.execute(
        select(Comment.author_email, Comment.status, func.count(), func.min(Comment.created_at))
        .where(Comment.author_email.in_(set(emails)))
        .group_by(Comment.author_email, Comment.status)
    ).all()
    counts: dict[str, dict[str, Any]] = {}
    for email, status, count, first in rows:
        found = counts.setdefault(email, {"first_seen": first})
        found[str(status)] = count
        found["first_seen"] = min(found["first_seen"], first)
    return {
        email: AuthorHistory(
            approved=found.get("approved", 0),
            rejected=found.get("rejected", 0),
            spam=found.get("spam", 0),
            pending=found.get("pending", 0),
            first_seen=found["first_seen"],
        )
        for email, found in counts.items()
    }


def reports_of(session: Session, comment_ids: Sequence[int]) -> dict[int, list[Report]]:
    found: dict[int, list[Report]] = {}
    if not comment_ids:
        return found
    for report in session.execute(
        select(Report).where(Report.comment_id.in_(comment_ids)).order_by(Report.id)
    ).scalars():
        found.setdefault(report.comment_id, []).append(report)
    return found


def comments_by_id(session: Session, ids: Sequence[int]) -> dict[int, Comment]:
    if not ids:
        return {}
    rows = session.execute(select(Comment).where(Comment.id.in_(set(ids)))).scalars()
    return {c.id: c for c in rows}


def author_comments(
    session: Session, email: str, statuses: Sequence[CommentStatus] | None = None, limit: int = 500
) -> list[tuple[Comment, Article]]:
    """An author's comments (by email) with their articles, newest first."""
    query = (
        select(Comment, Article)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.author_email == email)
    )
    if statuses is not None:
        query = query.where(Comment.status.in_(statuses))
    rows = session.execute(query.order_by(Comment.id.desc()).limit(limit)).all()
    return [(c, a) for c, a in rows]


def last_events(session: Session, ids: Sequence[int]) -> dict[int, ModerationEvent]:
    """The latest audit event of each comment among `ids` that has one."""
    if not ids:
        return {}
    latest = (
        select(func.max(ModerationEvent.id))
        .where(ModerationEvent.comment_id.in_(ids))
        .group_by(ModerationEvent.comment_id)
    )
    rows = session.execute(select(ModerationEvent).where(ModerationEvent.id.in_(latest)))
    return {e.comment_id: e for e in rows.scalars()}


def comments_for_update(session: Session, ids: Sequence[int]) -> dict[int, Comment]:
    query = select(Comment).where(Comment.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        # Two moderators deciding the same comment at once: the second waits for the first.
        query = query.with_for_update()
    return {c.id: c for c in session.execute(query).scalars()}


def model_versions(session: Session, ids: Sequence[int]) -> dict[int, str | None]:
    rows = session.execute(
        select(Decision.comment_id, Decision.model_version).where(Decision.comment_id.in_(ids))
    ).all()
    return {comment_id: version for comment_id, version in rows}


@dataclass(frozen=True, slots=True)
class StatusChange(webhooks.StatusChange):
    """A person's (or a site's) status change, with the training label it carries."""

    # ModeratorLabel columns; None: it teaches nothing. By keyword only, like `statement`:
    # two optional trailing fields given by position were mistaken for one another.
    label: dict[str, Any] | None = field(default=None, kw_only=True)


def record_changes(session: Session, actor: str, changes: Sequence[StatusChange]) -> None:
    """Apply people's status changes with their audit events and labels; close open reports."""
    if not changes:
        return
    now = utcnow()
    for change in changes:
        session.execute(
            update(Comment)
            .where(Comment.id == change.comment_id)
            .values(
                status=change.to_status,
                decided_at=func.coalesce(Comment.decided_at, now),
            )
        )
    session.execute(
        insert(ModerationEvent),
        [
            {
                "comment_id": c.comment_id,
                "actor": actor,
                "from_status": c.from_status,
                "to_status": c.to_status,
                "reason": c.reason,
                "created_at": now,
            }
            for c in changes
        ],
    )
    article_store.articles_changed(
        session,
        [c.comment_id for c in changes if CommentStatus.APPROVED in (c.from_status, c.to_status)],
    )
    webhooks.record_status_changes(session, actor, changes)
    labels = [{**c.label, "actor": actor, "created_at": now} for c in changes if c.label]
    if labels:
        session.execute(insert(ModeratorLabel), labels)
    session.execute(
        update(Report)
        .where(Report.comment_id.in_([c.comment_id for c in changes]), Report.resolved_at.is_(None))
        .values(resolved_at=now)
    )


def last_event(session: Session, comment_id: int) -> ModerationEvent | None:
    return session.execute(
        select(ModerationEvent)
        .where(ModerationEvent.comment_id == comment_id)
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def forget_label(session: Session, comment_id: int, actor: str, since: datetime) -> None:
    """An undone decision is not a label: drop the one it wrote."""
    session.execute(
        delete(ModeratorLabel).where(
            ModeratorLabel.comment_id == comment_id,
            ModeratorLabel.actor == actor,
            ModeratorLabel.created_at >= since,
        )
    )


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    comment_id: int | None = None
    since: datetime | None = None


def audit_events(
    session: Session, where: AuditFilter, after_id: int | None, limit: int | None
) -> list[ModerationEvent]:
    """Status changes, newest first."""
    query = select(ModerationEvent)
    if where.actor is not None:
        query = query.where(ModerationEvent.actor == where.actor)
    if where.comment_id is not None:
        query = query.where(ModerationEvent.comment_id == where.comment_id)
    if where.since is not None:
        query = query.where(ModerationEvent.created_at >= where.since)
    if after_id is not None:
        query = query.where(ModerationEvent.id < after_id)
    query = query.order_by(ModerationEvent.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def reports_since(session: Session, client_ip: str | None, since: datetime) -> int:
    """Reports sent from one address since `since` (for the per-address limit)."""
    if client_ip is None:
        return 0
    return count_rows(session, Report, Report.client_ip == client_ip, Report.created_at >= since)


def has_open_report_from(session: Session, comment_id: int, client_ip: str | None) -> bool:
    if client_ip is None:
        return False
    return (
        session.execute(
            select(Report.id).where(
                Report.comment_id == comment_id,
                Report.client_ip == client_ip,
                Report.resolved_at.is_(None),
            )
        ).first()
        is not None
    )


def insert_report(
    session: Session, comment_id: int, reason: str, text: str | None, client_ip: str | None
) -> None:
    session.add(
        Report(
            comment_id=comment_id,
            reason=reason,
            text=text,
            client_ip=client_ip,
            created_at=utcnow(),
        )
    )
    session.flush()


def open_reports(session: Session, comment_id: int) -> int:
    return count_rows(
        session, Report, Report.comment_id == comment_id, Report.resolved_at.is_(None)
    )


def hide_reported(session: Session, comment_id: int, reason: str) -> bool:
    """Take a published comment off the page until a moderator decides (readers reported it).
    False if it was no longer published (another request hid it first)."""
    now = utcnow()
    hidden = session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status == CommentStatus.APPROVED)
        .values(status=CommentStatus.PENDING)
        .returning(Comment.id)
    ).first()
    if hidden is None:
        return False
    article_store.articles_changed(session, [comment_id])
    session.execute(
        insert(ModerationEvent).values(
            comment_id=comment_id,
            actor="readers",
            from_status=CommentStatus.APPROVED,
            to_status=CommentStatus.PENDING,
            reason=reason,
            created_at=now,
        )
    )
    webhooks.record_status_changes(
        session,
        "readers",
        [webhooks.StatusChange(comment_id, CommentStatus.APPROVED, CommentStatus.PENDING, reason)],
    )
    return True


def daily_counts(session: Session, since: datetime) -> list[tuple[str, str, int]]:
    """(day as YYYY-MM-DD in UTC, status, comments) for comments submitted since `since`."""
    day = func.date(Comment.created_at)
    if session.get_bind().dialect.name == "postgresql":
        # date() of a timestamptz follows the session's zone; the dashboard speaks UTC.
        day = func.date(func.timezone("UTC", Comment.created_at))
    rows = session.execute(
        select(day, Comment.status, func.count())
        .where(Comment.created_at >= since)
        .group_by(day, Comment.status)
    ).all()
    return [(str(d), str(status), int(n)) for d, status, n in rows]


def policy_outcomes(session: Session, since: datetime) -> dict[str, int]:
    """What the policy decided (before any person) for comments decided since `since`."""
    rows = session.execute(
        select(Decision.status, func.count())
        .where(Decision.created_at >= since)
        .group_by(Decision.status)
    ).all()
    return {str(status): int(n) for status, n in rows}


def decision_delays(session: Session, since: datetime, limit: int = 5000) -> list[float]:
    """Seconds from submission to the policy's decision, for the latest decisions since."""
    rows = session.execute(
        select(Comment.created_at, Decision.created_at)
        .join(Decision, Decision.comment_id == Comment.id)
        .where(Decision.created_at >= since)
        .order_by(Decision.id.desc())
        .limit(limit)
    ).all()
    return [(decided - submitted).total_seconds() for submitted, decided in rows]


def latest_model_version(session: Session) -> str | None:
    """The model version of the newest scored decision: what the workers are using now."""
    return session.execute(
        select(Decision.model_version)
        .where(Decision.model_version.is_not(None))
        .order_by(Decision.id.desc())
        .limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    comment_id: int
    body: str
    spam: bool | None
    toxic: bool | None
    ground: str | None = None  # why it was removed (review.Ground's value), if a moderator said


def feedback_rows(session: Session) -> list[FeedbackRow]:
    """Every comment a moderator decided, with the latest decision's labels, oldest first;
    not those whose text retention removed (the marker would teach the model a falsehood, and
    a copy of the text kept for training would keep what retention is there to end)."""
    latest = (
        select(func.max(ModeratorLabel.id).label("id"))
        .group_by(ModeratorLabel.comment_id)
        .subquery()
    )
    rows = session.execute(
        select(
            ModeratorLabel.comment_id,
            Comment.body,
            ModeratorLabel.spam,
            ModeratorLabel.toxic,
            ModeratorLabel.ground,
        )
        .join(latest, latest.c.id == ModeratorLabel.id)
        .join(Comment, Comment.id == ModeratorLabel.comment_id)
        .where(Comment.text_removed_at.is_(None))
        .order_by(ModeratorLabel.comment_id)
    ).all()
    return [FeedbackRow(*row) for row in rows]


def shadow_disagreements(session: Session, since: datetime) -> tuple[str | None, int, int]:
    """The newest shadow version, and since `since`: decisions it scored, and how many of
    them it would have decided otherwise."""
    version = session.execute(
        select(Decision.shadow_version)
        .where(Decision.shadow_version.is_not(None))
        .order_by(Decision.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if version is None:
        return None, 0, 0
    scored, differ = session.execute(
        select(
            func.count(),
            func.count().filter(Decision.shadow_status != Decision.status),
        ).where(Decision.shadow_version == version, Decision.created_at >= since)
    ).one()
    return version, int(scored), int(differ)
