"""SQL of the Akismet-compatible API: the decisions requests wait for, the comment a submission
refers to, and a site's checks this month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from moderation.domain.statuses import CommentStatus
from moderation.storage.models import Article, Comment, Decision

# Built once: the decision feed runs it every half second while requests wait.
_DECIDED = (
    select(Comment.id, Comment.status, Decision.spam)
    .outerjoin(Decision, Decision.comment_id == Comment.id)
    .where(
        Comment.id.in_(bindparam("ids", expanding=True)),
        Comment.status != CommentStatus.QUEUED,
    )
)


def decided(session: Session, ids: list[int]) -> list[tuple[int, CommentStatus, float | None]]:
    """(id, status, spam score) of those of `ids` that are decided (by the policy or a person)."""
    if not ids:
        return []
    return [(row.id, row.status, row.spam) for row in session.execute(_DECIDED, {"ids": ids})]


@dataclass(frozen=True, slots=True)
class CheckedComment:
    """A comment of a site as a submission finds it."""

    id: int
    status: CommentStatus
    spam: float | None
    model_version: str | None  # of the model that scored it; None if none did


_COLUMNS: tuple[Any, ...] = (
    Comment.id,
    Comment.status,
    Decision.spam,
    Decision.model_version,
)


def _checked(query: Any, session: Session) -> CheckedComment | None:
    row = session.execute(query.limit(1)).one_or_none()
    return None if row is None else CheckedComment(*row)


def _of_site(site_id: int) -> Any:
    return (
        select(*_COLUMNS)
        .join(Article, Article.id == Comment.article_id)
        .outerjoin(Decision, Decision.comment_id == Comment.id)
        .where(Article.site_id == site_id)
    )


def comment_of_site(session: Session, site_id: int, comment_id: int) -> CheckedComment | None:
    return _checked(_of_site(site_id).where(Comment.id == comment_id), session)


def latest_match(
    session: Session, site_id: int, author_email: str, body: str
) -> CheckedComment | None:
    """The site's most recent comment by this email with exactly this text (the email is
    indexed; an author has few comments to compare the text of)."""
    if "\x00" in body or "\x00" in author_email:  # PostgreSQL refuses NUL in a query
        return None
    return _checked(
        _of_site(site_id)
        .where(Comment.author_email == author_email, Comment.body == body)
        .order_by(Comment.id.desc()),
        session,
    )


def checks_since(session: Session, site_id: int, since: datetime) -> int:
    """Comments the site sent through the Akismet-compatible API since `since`."""
    return session.execute(
        select(func.count())
        .select_from(Comment)
        .join(Article, Article.id == Comment.article_id)
        .where(
            Article.site_id == site_id,
            Comment.channel == "akismet",
            Comment.created_at >= since,
        )
    ).scalar_one()
