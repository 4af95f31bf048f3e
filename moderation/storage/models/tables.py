"""The tables of the service's work: sites, articles, comments, the policy's decisions, the audit
log of status changes, the moderators' accounts, sessions, labels and rules, webhooks and the
Perspective-compatible analyses."""

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
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from moderation.domain.clock import utcnow
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


StatusType = Enum(
    CommentStatus,
    name="comment_status",
    native_enum=False,
    length=16,
    values_callable=lambda statuses: [s.value for s in statuses],
    validate_strings=True,
)


class Base(DeclarativeBase):
    # Every table is keyed by an id of its own, declared once here; sort_order keeps it the
    # first column, where the migrations put it (columns inherited from a base come last).
    id: Mapped[int] = mapped_column(Id, primary_key=True, sort_order=-1)


# The site every deployment starts with (migration 0006 creates it): the article pages this
# service renders itself, and every comment stored before sites existed.
DEFAULT_SITE_ID = 1


class Site(Base):
    """A website whose comments this deployment moderates: its public id (in the widget's
    script tag), the origins its pages are served from, its secret key and its own policy."""

    __tablename__ = "sites"

    slug: Mapped[str] = mapped_column(String(64), unique=True)  # the public site id
    name: Mapped[str] = mapped_column(String(200))
    # The site's front page (what Akismet clients send as `blog`).
    url: Mapped[str | None] = mapped_column(String(2000))
    # Origins ("https://news.example") whose pages may call the public API from a browser.
    origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Kept as it is, not hashed: it also signs the site's webhooks (HMAC needs the secret).
    secret_key: Mapped[str] = mapped_column(String(100), unique=True)
    # The key before the last rotation, accepted until `previous_key_expires_at` so a site can
    # deploy the new one without a gap.
    previous_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    previous_key_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Overrides of the deployment's policy (sites.SitePolicy): thresholds, pre-moderation, links.
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Article(Base):
    __tablename__ = "articles"
    # Two sites may both have an article "42".
    __table_args__ = (UniqueConstraint("site_id", "external_id"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), default=DEFAULT_SITE_ID)
    external_id: Mapped[str] = mapped_column(String(200))  # the site's own id
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped whenever a comment of the article is published or unpublished: the ETag and
    # Last-Modified of its public comment list, so a cache revalidates with one row read.
    comments_version: Mapped[int] = mapped_column(Integer, default=0)
    comments_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# The predicates of the retention indexes of comments, as SQL (the migration writes them too):
# decided comments that still have an address or user agent (a queued comment's address is
# still needed by the policy, for a ban by address, and a held one's by the moderator who may
# ban it); removed comments that still have their text. Written with NOT IN, which no index
# on the status can serve: SQLite (without statistics) would otherwise take the status index
# and sort every match for each batch, where the partial index gives them in order.
ADDRESSES_KEPT = (
    "(client_ip IS NOT NULL OR user_agent IS NOT NULL) AND status NOT IN ('queued', 'pending')"
)
REMOVED_TEXT_KEPT = "text_removed_at IS NULL AND status NOT IN ('queued', 'pending', 'approved')"


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        # The article page: approved comments of one article in id order.
        Index("ix_comments_article_status_id", "article_id", "status", "id"),
        # The sweep: queued comments by age.
        Index("ix_comments_status_created", "status", "created_at"),
        # The flood rule: copies of one text within a time window.
        Index("ix_comments_fingerprint_created", "body_fingerprint", "created_at"),
        # The author's history (storage/rules.py): their comments newest first, with the
        # status in the index so it is read without visiting the rows.
        Index("ix_comments_author_history", "author_email", "id", "status"),
        # Retention (storage/retention.py): only the rows that still hold what it clears, so
        # a daily run reads the day's rows, not the years of rows it cleared before.
        Index(
            "ix_comments_addresses_created",
            "created_at",
            postgresql_where=text(ADDRESSES_KEPT),
            sqlite_where=text(ADDRESSES_KEPT),
        ),
        Index(
            "ix_comments_removed_texts_decided",
            "decided_at",
            postgresql_where=text(REMOVED_TEXT_KEPT),
            sqlite_where=text(REMOVED_TEXT_KEPT),
        ),
    )

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    # The top-level comment of the thread, so a page of threads loads its replies in one query.
    root_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    # 0 for a top-level comment, its parent's + 1 for a reply: replies nest only so deep.
    depth: Mapped[int] = mapped_column(default=0, server_default="0")
    author_name: Mapped[str] = mapped_column(String(100))
    author_email: Mapped[str] = mapped_column(String(254))
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
    # How it arrived: form, api, widget, akismet (None: before 0006).
    channel: Mapped[str | None] = mapped_column(String(16))
    # SHA-256 of the author's reader token (a cookie, or the widget's local storage), so the
    # article page shows the author their own comment while it awaits moderation.
    reader_hash: Mapped[str | None] = mapped_column(String(64))
    # Sent as a test (Akismet's is_test): decided like any other; a moderator's decision on it
    # is no training label (only the site's own submit-spam/ham without is_test is).
    is_test: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When retention replaced the text of this removed comment with storage.retention's marker
    # (None: the text is the author's): such a text teaches no model and is never published.
    text_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Decision(Base):
    """The policy's decision on a comment: its scores, reasons and the model that scored it.

    One per comment (unique), which is what makes a redelivered task change nothing.
    """

    __tablename__ = "decisions"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), unique=True)
    status: Mapped[CommentStatus] = mapped_column(StatusType)
    spam: Mapped[float | None] = mapped_column(Float)
    toxicity: Mapped[float | None] = mapped_column(Float)
    scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    model_version: Mapped[str | None] = mapped_column(String(100))
    # The highest of the scores (1.0 when scoring failed: a human must look first), kept as a
    # column so the review queue sorts by it through an index.
    risk: Mapped[float | None] = mapped_column(Float, index=True)
    # The words that raised the scores, as character offsets into the body, per score; filled
    # for held and removed comments after the decision (the workspace highlights them).
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # A candidate model scoring beside the active one (`moderation models shadow`): what the
    # policy would have decided with it. Never acted on; the workspace shows disagreements.
    shadow_version: Mapped[str | None] = mapped_column(String(100))
    shadow_status: Mapped[CommentStatus | None] = mapped_column(StatusType)
    shadow_scores: Mapped[dict[str, float] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModerationEvent(Base):
    """The audit log: every status change, by the policy or a person, with from, to and why."""

    __tablename__ = "moderation_events"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[CommentStatus | None] = mapped_column(StatusType)
    to_status: Mapped[CommentStatus] = mapped_column(StatusType)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class User(Base):
    """A moderator or an admin of the workspace. Readers have no account."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # accounts.Role
    # argon2id, in its own encoded form (algorithm, parameters, salt and hash in one string).
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token for the moderation API. Only its SHA-256 is kept: the token itself is
    32 random bytes, shown once, so a fast hash is enough (no dictionary to guess from)."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BrowserSession(Base):
    """A signed-in browser: the cookie holds a random id, the table its SHA-256 and the CSRF
    token that every form of the session must send back."""

    __tablename__ = "browser_sessions"

    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """A failed sign-in, counted per account and per address to slow down guessing."""

    __tablename__ = "login_failures"

    user_name: Mapped[str] = mapped_column(String(100), index=True)
    client_ip: Mapped[str | None] = mapped_column(String(45), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ModeratorLabel(Base):
    """A person's decision on a scored comment, kept as a training label for the next model.

    The text and metadata are the comment's own row; `spam` and `toxic` say what the decision
    means for each model (None: it says nothing about that one); `ground` why a comment was
    removed (review.Ground: threat, hate, ...; None for an approval or a removal that gave none),
    which teaches the attribute models.
    """

    __tablename__ = "moderator_labels"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    spam: Mapped[bool | None] = mapped_column()
    toxic: Mapped[bool | None] = mapped_column()
    ground: Mapped[str | None] = mapped_column(String(16))
    model_version: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Report(Base):
    """A reader's report of a published comment; open until a moderator decides the comment."""

    __tablename__ = "reports"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # spam, abuse, off-topic, other
    text: Mapped[str | None] = mapped_column(String(1000))
    client_ip: Mapped[str | None] = mapped_column(String(45), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WordRule(Base):
    """A term of the admins' word lists: blocked, suspect, or an exception to a wildcard."""

    __tablename__ = "word_rules"
    __table_args__ = (UniqueConstraint("kind", "term"),)

    kind: Mapped[str] = mapped_column(String(16))  # wordlists.WordKind
    term: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthorRule(Base):
    """A moderator's word on an author: banned by email or address, or trusted by email."""

    __tablename__ = "author_rules"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    kind: Mapped[str] = mapped_column(String(16))  # authors.AuthorRuleKind
    value: Mapped[str] = mapped_column(String(254))  # the email, or the IP address
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A suspension: the rule stops holding at this moment by itself (every reader compares it
    # with the clock); None: until lifted.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthorNote(Base):
    """What a moderator wrote about an author for the other moderators, by the author's email
    (lower-cased, as bans name it)."""

    __tablename__ = "author_notes"

    author_email: Mapped[str] = mapped_column(String(254), index=True)
    note: Mapped[str] = mapped_column(String(1000))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEndpoint(Base):
    """A URL of a site that receives `comment.status_changed` events, signed with its key."""

    __tablename__ = "webhook_endpoints"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event for one endpoint: written in the transaction of the status change it reports
    (so no change goes unreported), then delivered by a worker with retries; the log of it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),)

    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Analysis(Base):
    """A text scored through the Perspective-compatible API with `doNotStore` false: kept with
    its scores (and any `suggestscore` feedback) for review and training. With `doNotStore`
    true nothing is written anywhere."""

    __tablename__ = "analyses"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    model_version: Mapped[str | None] = mapped_column(String(100))
    client_token: Mapped[str | None] = mapped_column(String(200))
    feedback: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
