"""SQL of appeals: the key of the signed links, filing one, finding the latest of each
statement, the open ones for the moderators' queue, deciding them, and their audit events and
webhook deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.domain.statuses import AppealStatus, CommentStatus
from moderation.storage import privacy, webhooks
from moderation.storage.models import Appeal, Article, Comment, ModerationEvent, Site, Statement

APPEAL_FILED = "appeal.filed"
APPEAL_DECIDED = "appeal.decided"
_KEY_NAME = "appeals"
_KEY_CACHE = "appeal_link_key"


def link_key(session: Session) -> bytes:
    """The deployment's key for the appeal links, made at its first use (kept in the database,
    which the API and the workers share; once per session)."""
    key: bytes | None = session.info.get(_KEY_CACHE)
    if key is None:
        key = privacy.secret(session, _KEY_NAME)
        session.info[_KEY_CACHE] = key
    return key


def statement(session: Session, statement_id: int) -> Statement | None:
    return session.get(Statement, statement_id)


def insert_appeal(session: Session, **values: Any) -> Appeal:
    appeal = Appeal(**values, status=AppealStatus.OPEN.value, filed_at=utcnow())
    session.add(appeal)
    session.flush()
    return appeal


def for_update(session: Session, appeal_id: int) -> Appeal | None:
    return session.execute(
        select(Appeal).where(Appeal.id == appeal_id).with_for_update()
    ).scalar_one_or_none()


def of_statement(session: Session, statement_id: int) -> list[Appeal]:
    return list(
        session.execute(
            select(Appeal).where(Appeal.statement_id == statement_id).order_by(Appeal.id)
        ).scalars()
    )


def latest_by_statement(session: Session, ids: Sequence[int]) -> dict[int, Appeal]:
    """The newest appeal of each statement among `ids` that has one."""
    if not ids:
        return {}
    found: dict[int, Appeal] = {}
    for row in session.execute(
        select(Appeal).where(Appeal.statement_id.in_(list(ids))).order_by(Appeal.id)
    ).scalars():
        found[row.statement_id] = row
    return found


def open_of_comment(session: Session, comment_id: int) -> Appeal | None:
    return session.execute(
        select(Appeal).where(
            Appeal.comment_id == comment_id, Appeal.status == AppealStatus.OPEN.value
        )
    ).scalar_one_or_none()


def open_comment_ids() -> Any:
    """The comments with an open appeal, as a subquery: retention keeps their texts."""
    return select(Appeal.comment_id).where(Appeal.status == AppealStatus.OPEN.value)


@dataclass(frozen=True, slots=True)
class OpenAppeal:
    appeal: Appeal
    statement: Statement
    comment: Comment
    article: Article
    site: str


def open_appeals(session: Session, after_id: int, limit: int) -> list[OpenAppeal]:
    """Open appeals, oldest first (Art. 20 asks for timely handling)."""
    rows = session.execute(
        select(Appeal, Statement, Comment, Article, Site.slug)
        .join(Statement, Statement.id == Appeal.statement_id)
        .join(Comment, Comment.id == Appeal.comment_id)
        .join(Article, Article.id == Comment.article_id)
        .join(Site, Site.id == Appeal.site_id)
        .where(Appeal.status == AppealStatus.OPEN.value, Appeal.id > after_id)
        .order_by(Appeal.id)
        .limit(limit)
    ).all()
    return [OpenAppeal(a, s, c, art, slug) for a, s, c, art, slug in rows]


def count_open(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Appeal).where(Appeal.status == AppealStatus.OPEN.value)
        ).scalar_one()
    )


def reinstated_for_reader(
    session: Session, article_id: int, reader_hash: str
) -> list[tuple[Appeal, Comment]]:
    """The reinstating appeals of this reader's comments under an article, newest first (an
    upheld one is told with the statement, which stays)."""
    rows = session.execute(
        select(Appeal, Comment)
        .join(Comment, Comment.id == Appeal.comment_id)
        .where(
            Comment.article_id == article_id,
            Comment.reader_hash == reader_hash,
            Appeal.status == AppealStatus.REINSTATED.value,
        )
        .order_by(Appeal.id.desc())
    ).all()
    return [(a, c) for a, c in rows]


def record_audit(
    session: Session, comment_id: int, status: CommentStatus, actor: str, reason: str
) -> None:
    """An appeal's step in the audit log: the comment's status stays what it is."""
    session.add(
        ModerationEvent(
            comment_id=comment_id,
            actor=actor,
            from_status=status,
            to_status=status,
            reason=reason,
            created_at=utcnow(),
        )
    )
    session.flush()


def record_event(
    session: Session, appeal: Appeal, event_type: str, data: dict[str, Any], at: datetime
) -> list[int]:
    return webhooks.record_site_event(
        session, appeal.site_id, appeal.comment_id, event_type, data, at
    )
