"""The tables: articles, comments, the policy's decisions and the audit log of status changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from moderation.domain.statuses import CommentStatus

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit id.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored and returned in UTC, also on SQLite which drops the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        # SQLite keeps the wall-clock time and drops the offset: store the UTC instant.
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


StatusType = Enum(
    CommentStatus,
    name="comment_status",
    native_enum=False,
    length=16,
    values_callable=lambda statuses: [s.value for s in statuses],
    validate_strings=True,
)


class Base(DeclarativeBase):
    pass


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)  # the site's own id
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        # The article page: approved comments of one article in id order.
        Index("ix_comments_article_status_id", "article_id", "status", "id"),
        # The sweep: queued comments by age.
        Index("ix_comments_status_created", "status", "created_at"),
        # The flood rule: copies of one text within a time window.
        Index("ix_comments_fingerprint_created", "body_fingerprint", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    # The top-level comment of the thread, so a page of threads loads its replies in one query.
    root_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    author_name: Mapped[str] = mapped_column(String(100))
    author_email: Mapped[str] = mapped_column(String(254), index=True)
    author_url: Mapped[str | None] = mapped_column(String(2000))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    body: Mapped[str] = mapped_column(Text)
    # policy.body_fingerprint(body): 64 bits of the normalised text, so copies of a comment are
    # found through an index. NULL for a body without words and for rows stored before 0002.
    body_fingerprint: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[CommentStatus] = mapped_column(StatusType, default=CommentStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the sweep last re-sent it to the queue (None: only the API's first send).
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Decision(Base):
    """The policy's decision on a comment: its scores, reasons and the model that scored it.

    One per comment (unique), which is what makes a redelivered task change nothing.
    """

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), unique=True)
    status: Mapped[CommentStatus] = mapped_column(StatusType)
    spam: Mapped[float | None] = mapped_column(Float)
    toxicity: Mapped[float | None] = mapped_column(Float)
    scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    model_version: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModerationEvent(Base):
    """The audit log: every status change, by the policy or a person, with from, to and why."""

    __tablename__ = "moderation_events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[CommentStatus | None] = mapped_column(StatusType)
    to_status: Mapped[CommentStatus] = mapped_column(StatusType)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
