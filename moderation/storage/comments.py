"""SQL of comments: storing them, the published threads, what a worker reads to decide them,
their copies, the sweep's claims and their explanations. Functions take a Session and flush at
most; the caller commits. (Decisions: decisions.py; the review queues: review.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Interval, Table, and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from moderation.domain.clock import utcnow
from moderation.domain.statuses import CommentStatus
from moderation.storage.models import DEFAULT_SITE_ID, Article, Comment, Decision


@dataclass(frozen=True, slots=True)
class ParentInfo:
    article_id: int
    root_id: int
    depth: int


def parent_info(session: Session, comment_id: int) -> ParentInfo | None:
    row = session.execute(
        select(Comment.article_id, Comment.root_id, Comment.depth).where(Comment.id == comment_id)
    ).one_or_none()
    if row is None:
        return None
    return ParentInfo(article_id=row.article_id, root_id=row.root_id or comment_id, depth=row.depth)


def insert_comments(session: Session, rows: Sequence[dict[str, Any]]) -> list[tuple[int, datetime]]:
    """Insert queued comments in one statement; their ids and creation time, in input order."""
    if not rows:
        return []
    created_at = utcnow()
    # Core, not the ORM: a bulk insert needs no identity map or unit-of-work bookkeeping.
    table = cast(Table, Comment.__table__)
    result = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{**row, "status": CommentStatus.QUEUED, "created_at": created_at} for row in rows],
    )
    return [(comment_id, created_at) for comment_id in result.scalars()]


def comment_with_article(session: Session, comment_id: int) -> tuple[Comment, Article] | None:
    row = session.execute(
        select(Comment, Article)
        .join(Article, Comment.article_id == Article.id)
        .where(Comment.id == comment_id)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def approved_threads(
    session: Session, article_id: int, after_id: int, limit: int
) -> tuple[list[Comment], list[Comment]]:
    """One page of approved top-level comments (oldest first) and all approved replies to them."""
    roots = list(
        session.execute(
            select(Comment)
            .where(
                Comment.article_id == article_id,
                Comment.status == CommentStatus.APPROVED,
                Comment.parent_id.is_(None),
                Comment.id > after_id,
            )
            .order_by(Comment.id)
            .limit(limit)
        ).scalars()
    )
    if not roots:
        return [], []
    replies = list(
        session.execute(
            select(Comment)
            .where(
                Comment.root_id.in_([c.id for c in roots]),
                Comment.status == CommentStatus.APPROVED,
            )
            .order_by(Comment.id)
        ).scalars()
    )
    return roots, replies


# A reader has a handful of comments under one article; more than this is not a reader.
MAX_OWN_COMMENTS = 100


# Built once: every article page a commenter opens runs it (ix_comments_article_status_id
# narrows it to the article's unpublished comments before reader_hash is compared).
_OWN_UNPUBLISHED = (
    select(Comment)
    .where(
        Comment.article_id == bindparam("article_id"),
        Comment.status != CommentStatus.APPROVED,
        Comment.reader_hash == bindparam("reader_hash"),
    )
    .order_by(Comment.id)
    .limit(MAX_OWN_COMMENTS)
)


def own_unpublished(session: Session, article_id: int, reader_hash: str) -> list[Comment]:
    """The comments this reader token wrote under the article that are not published (yet):
    queued, held, or turned down. Oldest first."""
    return list(
        session.execute(
            _OWN_UNPUBLISHED, {"article_id": article_id, "reader_hash": reader_hash}
        ).scalars()
    )


@dataclass(frozen=True, slots=True)
class QueuedComment:
    """What a worker needs to score and decide one comment."""

    id: int
    body: str
    author_name: str
    author_email: str
    author_url: str | None
    # For counting its copies; None when it was not stored (a file being scored) or has none.
    body_fingerprint: int | None = None
    created_at: datetime | None = None
    # For a ban by address; None when it was not stored or the site did not pass it.
    client_ip: str | None = None
    # Whose policy decides it.
    site_id: int = DEFAULT_SITE_ID
    # The article's title where the site gave one: praise that names nothing of it is generic.
    article_title: str | None = None


# The columns a worker reads to score and decide a comment, in QueuedComment's field order.
_QUEUED_COLUMNS = (
    Comment.id,
    Comment.body,
    Comment.author_name,
    Comment.author_email,
    Comment.author_url,
    Comment.body_fingerprint,
    Comment.created_at,
    Comment.client_ip,
    Article.site_id,
    Article.title,
)


def queued_comments(session: Session, ids: Sequence[int]) -> list[QueuedComment]:
    # Typed loosely: SQLAlchemy's typing of a select stops at ten columns.
    rows: Sequence[Any] = session.execute(
        select(*_QUEUED_COLUMNS)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.id.in_(ids), Comment.status == CommentStatus.QUEUED)
    ).all()
    return [QueuedComment(*row) for row in rows]


def _copies_statement(dialect: str) -> Any:
    """Built once per dialect (a worker runs it for every batch; compiling it anew cost more
    than running it): each comment of `ids` with the comments sharing its fingerprint, stored
    up to it and no earlier than the window before its own creation."""
    earlier = aliased(Comment)
    since: ColumnElement[Any]
    if dialect == "sqlite":
        # SQLite keeps the UTC time as text ("2026-11-29 20:24:44.442724"), which compares in
        # time order; strftime moves it back by the window (to the millisecond).
        since = func.strftime("%Y-%m-%d %H:%M:%f", Comment.created_at, bindparam("back"))
    else:
        since = Comment.created_at - bindparam("back", type_=Interval())
    return (
        select(Comment.id, func.count(earlier.id))
        .join(
            earlier,
            and_(
                earlier.body_fingerprint == Comment.body_fingerprint,
                earlier.created_at >= since,
                earlier.id <= Comment.id,
            ),
        )
        .where(Comment.id.in_(bindparam("ids", expanding=True)))
        .group_by(Comment.id)
    )


_COPIES = {dialect: _copies_statement(dialect) for dialect in ("sqlite", "postgresql")}


def count_copies(
    session: Session, comments: Sequence[QueuedComment], window: timedelta
) -> dict[int, int]:
    """For each comment, how many comments with its fingerprint were stored up to it (by id,
    itself included) and no earlier than `window` before it: 1 for the first copy of a text.

    One query for the whole batch, whatever its size. The window is counted back from each
    comment's own creation, so a comment decided late (after an outage) is judged on what was
    posted around it, not around now. Other copies in the same batch count like any stored
    comment; ids, not timestamps, order them, since one intake group shares a created_at.
    Comments without a fingerprint (no words, or stored before it existed) are left out.
    """
    ids = [c.id for c in comments if c.body_fingerprint is not None]
    if not ids:
        return {}
    dialect = session.get_bind().dialect.name
    back: Any = f"-{window.total_seconds()} seconds" if dialect == "sqlite" else window
    rows = session.execute(_COPIES[dialect], {"ids": ids, "back": back}).all()
    return {comment_id: copies for comment_id, copies in rows}


def claim_stale_queued(session: Session, cutoff: datetime, limit: int) -> list[int]:
    """Ids of comments queued since before `cutoff` (by their last send), marked as sent now."""
    last_sent = func.coalesce(Comment.last_sent_at, Comment.created_at)
    ids = list(
        session.execute(
            select(Comment.id)
            .where(Comment.status == CommentStatus.QUEUED, last_sent < cutoff)
            .order_by(Comment.id)
            .limit(limit)
        ).scalars()
    )
    if ids:
        session.execute(
            update(Comment)
            .where(Comment.id.in_(ids), Comment.status == CommentStatus.QUEUED)
            .values(last_sent_at=utcnow())
        )
    return ids


def queued_backlog(session: Session) -> tuple[int, datetime | None]:
    """How many comments are still queued, and when the oldest of them was created: one
    statement on the (status, created_at) index."""
    count, oldest = session.execute(
        select(func.count(), func.min(Comment.created_at)).where(
            Comment.status == CommentStatus.QUEUED
        )
    ).one()
    return int(count), oldest


def count_by_status(session: Session) -> dict[CommentStatus, int]:
    rows = session.execute(select(Comment.status, func.count()).group_by(Comment.status)).all()
    return {CommentStatus(status): count for status, count in rows}


def store_explanations(session: Session, explanations: dict[int, dict[str, Any]]) -> None:
    """Attach explanations to the decisions of these comments (one statement per comment)."""
    for comment_id, explanation in explanations.items():
        session.execute(
            update(Decision)
            .where(Decision.comment_id == comment_id)
            .values(explanation=explanation)
        )


def comments_to_explain(session: Session, ids: Sequence[int]) -> list[QueuedComment]:
    """The decided comments among `ids` that have a decision and no explanation yet."""
    rows: Sequence[Any] = session.execute(
        select(*_QUEUED_COLUMNS)
        .join(Article, Article.id == Comment.article_id)
        .join(Decision, Decision.comment_id == Comment.id)
        .where(Comment.id.in_(ids), Decision.explanation.is_(None))
    ).all()
    return [QueuedComment(*row) for row in rows]


# What a moderator may look at: held, spam and removed comments (approved ones are not shown).
_HELD_OR_REMOVED = (CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.REJECTED)


def unexplained_held_or_removed(
    session: Session, decided_before: datetime, created_since: datetime, limit: int
) -> list[int]:
    """Ids of held and removed comments, newest first, decided before `decided_before` whose
    scored decision still has no explanation: its explain task was lost or failed.

    A decision without scores (the model failed) has nothing to explain. `created_since`
    bounds the scan to recent comments through the (status, created_at) index, so the query
    stays cheap however many removed comments the site has collected.
    """
    return list(
        session.execute(
            select(Comment.id)
            .join(Decision, Decision.comment_id == Comment.id)
            .where(
                Comment.status.in_(_HELD_OR_REMOVED),
                Comment.created_at >= created_since,
                Comment.decided_at < decided_before,
                Decision.spam.is_not(None),
                Decision.explanation.is_(None),
            )
            .order_by(Comment.id.desc())
            .limit(limit)
        ).scalars()
    )
