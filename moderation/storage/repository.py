"""SQL of accepting, queueing and deciding comments. Functions take a Session and flush at most;
the caller commits. (Accounts: staff.py; the review queues: review.py.)"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Interval, Table, and_, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from moderation.domain.statuses import CommentStatus
from moderation.storage import webhooks
from moderation.storage.models import (
    DEFAULT_SITE_ID,
    Article,
    Comment,
    Decision,
    ModerationEvent,
    utcnow,
)


@dataclass(frozen=True, slots=True)
class ArticleRef:
    id: int
    url: str | None


def article_for(
    session: Session,
    external_id: str,
    url: str | None,
    title: str | None,
    *,
    site_id: int = DEFAULT_SITE_ID,
) -> ArticleRef:
    """A site's article, creating the row the first time it is seen."""
    query = select(Article.id, Article.url).where(
        Article.site_id == site_id, Article.external_id == external_id
    )
    found = session.execute(query).one_or_none()
    if found is not None:
        return ArticleRef(found.id, found.url)
    values = {
        "site_id": site_id,
        "external_id": external_id,
        "url": url,
        "title": title,
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    # Two first comments on a new article can race; the loser's insert does nothing.
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(Article).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(Article).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported databases
        stmt = insert(Article).values(values)
    session.execute(stmt)
    row = session.execute(query).one()
    return ArticleRef(row.id, row.url)


def article_by_external_id(
    session: Session, external_id: str, *, site_id: int = DEFAULT_SITE_ID
) -> Article | None:
    if "\x00" in external_id:  # no stored id has one, and PostgreSQL refuses it in a query
        return None
    return session.execute(
        select(Article).where(Article.site_id == site_id, Article.external_id == external_id)
    ).scalar_one_or_none()


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
class CommentsVersion:
    """What the public comment list's ETag and Last-Modified are made of."""

    version: int
    changed_at: datetime | None


# Built once: a cache revalidating an article's comments costs this one row read.
_COMMENTS_VERSION = select(Article.comments_version, Article.comments_changed_at).where(
    Article.site_id == bindparam("site_id"), Article.external_id == bindparam("external_id")
)


def comments_version(
    session: Session, external_id: str, *, site_id: int = DEFAULT_SITE_ID
) -> CommentsVersion | None:
    if "\x00" in external_id:  # as in article_by_external_id: no article has one
        return None
    row = session.execute(
        _COMMENTS_VERSION, {"site_id": site_id, "external_id": external_id}
    ).one_or_none()
    return None if row is None else CommentsVersion(row[0] or 0, row[1])


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


@dataclass(frozen=True, slots=True)
class ShadowDecision:
    """What the policy would have decided with the shadow model's scores."""

    version: str
    status: CommentStatus
    scores: dict[str, float]


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    comment_id: int
    status: CommentStatus
    scores: dict[str, float]
    reasons: list[dict[str, Any]]
    reason_text: str
    model_version: str | None
    shadow: ShadowDecision | None = None


def risk_of(scores: dict[str, float]) -> float:
    """What the review queue sorts by: the highest score, or 1.0 for a comment decided without
    scores (the model failed), which a person should look at first."""
    return max(scores.values()) if scores else 1.0


def articles_changed(session: Session, comment_ids: Sequence[int]) -> None:
    """Bump the comment-list version of the articles of these comments, whose published
    status just changed (the public list's ETag and Last-Modified)."""
    if not comment_ids:
        return
    session.execute(
        _TOUCH_ARTICLES, {"ids": list(comment_ids), "now": utcnow()}, execution_options=_NO_SYNC
    )


# Built once: the decide path runs it for every batch that publishes something.
_TOUCH_ARTICLES = (
    update(Article)
    .where(
        Article.id.in_(
            select(Comment.article_id).where(Comment.id.in_(bindparam("ids", expanding=True)))
        )
    )
    .values(comments_version=Article.comments_version + 1, comments_changed_at=bindparam("now"))
)
_NO_SYNC = {"synchronize_session": False}


def record_decisions(
    session: Session,
    decisions: Sequence[DecisionRecord],
    actor: str = "policy",
    *,
    webhook_sites: Collection[int] | None = None,
) -> list[int]:
    """Move queued comments to their decided status, with decision and audit rows, in bulk.

    The update is guarded by `status = 'queued'`: a comment another worker already decided is
    left alone and gets no second decision row. Returns the ids this call decided.

    Each decision is also written as a webhook event for the endpoints of its site, in this
    transaction. `webhook_sites`, the sites with endpoints as a worker keeps them in memory,
    skips that query when empty (the hot path of a deployment without webhooks); None looks.
    """
    now = utcnow()
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
    if not decided:
        return []
    # One record per decided comment: the same id twice in a batch must not insert two rows.
    kept = list({r.comment_id: r for r in reversed(decisions) if r.comment_id in decided}.values())
    kept.reverse()
    articles_changed(session, [r.comment_id for r in kept if r.status is CommentStatus.APPROVED])
    session.execute(
        insert(Decision),
        [
            {
                "comment_id": r.comment_id,
                "status": r.status,
                "spam": r.scores.get("spam"),
                "toxicity": r.scores.get("toxicity"),
                "scores": r.scores,
                "reasons": r.reasons,
                "model_version": r.model_version,
                "risk": risk_of(r.scores),
                "shadow_version": r.shadow.version if r.shadow else None,
                "shadow_status": r.shadow.status if r.shadow else None,
                "shadow_scores": r.shadow.scores if r.shadow else None,
                "created_at": now,
            }
            for r in kept
        ],
    )
    session.execute(
        insert(ModerationEvent),
        [
            {
                "comment_id": r.comment_id,
                "actor": actor,
                "from_status": CommentStatus.QUEUED,
                "to_status": r.status,
                "reason": r.reason_text,
                "created_at": now,
            }
            for r in kept
        ],
    )
    if webhook_sites is None or webhook_sites:
        webhooks.record_status_changes(
            session,
            actor,
            [
                webhooks.StatusChange(r.comment_id, CommentStatus.QUEUED, r.status, r.reason_text)
                for r in kept
            ],
        )
    return [r.comment_id for r in kept]


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
