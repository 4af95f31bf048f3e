"""SQL of articles: found or created as comments arrive, and the version of their published
comment list (the public list's ETag and Last-Modified). Functions take a Session and flush at
most; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.storage.models import DEFAULT_SITE_ID, Article, Comment


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
