"""SQL of notices of illegal content: filing one, finding it by its token's hash, the open
ones for the moderators' queue, closing them, and their `notice.decided` webhook deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.storage import webhooks
from moderation.storage.models import Article, Comment, Notice, Site

NOTICE_DECIDED = "notice.decided"
OPEN = ("received", "under_review")


def insert_notice(session: Session, **values: Any) -> Notice:
    notice = Notice(**values, status="received", received_at=utcnow())
    session.add(notice)
    session.flush()
    return notice


def by_token_hash(session: Session, token_hash: str) -> Notice | None:
    return session.execute(
        select(Notice).where(Notice.token_hash == token_hash)
    ).scalar_one_or_none()


def for_update(session: Session, notice_id: int) -> Notice | None:
    return session.execute(
        select(Notice).where(Notice.id == notice_id).with_for_update()
    ).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class OpenNotice:
    notice: Notice
    comment: Comment
    article: Article
    site: str


def open_notices(session: Session, after_id: int, limit: int) -> list[OpenNotice]:
    """Open notices, oldest first (the law asks for timely handling: first in, first out)."""
    rows = session.execute(
        select(Notice, Comment, Article, Site.slug)
        .join(Comment, Comment.id == Notice.comment_id)
        .join(Article, Article.id == Comment.article_id)
        .join(Site, Site.id == Notice.site_id)
        .where(Notice.status.in_(OPEN), Notice.id > after_id)
        .order_by(Notice.id)
        .limit(limit)
    ).all()
    return [OpenNotice(n, c, a, slug) for n, c, a, slug in rows]


def count_open(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Notice).where(Notice.status.in_(OPEN))
        ).scalar_one()
    )


def mark_under_review(session: Session, notice_id: int) -> bool:
    """received -> under_review; False if it was not waiting (decided, or reviewed already)."""
    done = session.execute(
        update(Notice)
        .where(Notice.id == notice_id, Notice.status == "received")
        .values(status="under_review", reviewed_at=utcnow())
        .returning(Notice.id)
    ).first()
    return done is not None


def close(
    session: Session, ids: Sequence[int], outcome: str, reason: str, actor: str
) -> list[Notice]:
    """Close open notices with the outcome; the ones closed now (not those closed before)."""
    now = utcnow()
    closed = list(
        session.execute(
            select(Notice).where(Notice.id.in_(list(ids)), Notice.status.in_(OPEN))
        ).scalars()
    )
    for notice in closed:
        notice.status = "decided"
        notice.outcome = outcome
        notice.reason = reason
        notice.decided_by = actor
        notice.decided_at = now
        notice.reviewed_at = notice.reviewed_at or now
        notice.automated = False
    session.flush()
    return closed


def open_ids_of_comment(session: Session, comment_id: int) -> list[int]:
    return list(
        session.execute(
            select(Notice.id).where(Notice.comment_id == comment_id, Notice.status.in_(OPEN))
        ).scalars()
    )


def record_event(
    session: Session, notice: Notice, data: dict[str, Any], created_at: datetime
) -> list[int]:
    """One pending `notice.decided` delivery per enabled endpoint of the notice's site, in the
    caller's transaction (the event exists if and only if the decision commits)."""
    return webhooks.record_site_event(
        session, notice.site_id, notice.comment_id, NOTICE_DECIDED, data, created_at
    )
