"""The tables of people's rights under the DSA and the GDPR: erasures and the deployment's
privacy keys, notices of illegal content, each site's removal grounds, statements of reasons
and appeals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from moderation.domain.clock import utcnow
from moderation.domain.statuses import CommentStatus
from moderation.storage.models.tables import Base, StatusType, UTCDateTime


class Erasure(Base):
    """An author's data erased at their request: who asked it done, when and how much, and a
    salted hash of the email (never the email), so a repeated request can be answered."""

    __tablename__ = "erasures"

    subject: Mapped[str] = mapped_column(String(80), index=True)  # privacy.keyed(email)
    requested_by: Mapped[str] = mapped_column(String(200))
    texts: Mapped[str] = mapped_column(String(16))  # privacy.ErasureTexts
    comments: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrivacyKey(Base):
    """The deployment's random salt for the hashes an erasure keeps (bans, erasure records),
    made at the first erasure. Kept in the database, which every API and worker shares."""

    __tablename__ = "privacy_keys"

    name: Mapped[str] = mapped_column(String(32), unique=True)
    secret: Mapped[str] = mapped_column(String(128))  # hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notice(Base):
    """A notice of illegal content (DSA Art. 16) about a comment: who sent it and why, the
    hash of its status URL's token, and the outcome with its timestamps (the transparency
    counts read these)."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_status_received", "status", "received_at"),)

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    ground: Mapped[str] = mapped_column(String(32))  # domain.notices.NoticeGround
    law: Mapped[str | None] = mapped_column(String(300))
    explanation: Mapped[str] = mapped_column(Text)
    notifier_name: Mapped[str] = mapped_column(String(100))
    notifier_email: Mapped[str] = mapped_column(String(254))
    good_faith: Mapped[bool] = mapped_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="received")  # NoticeStatus
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))  # NoticeOutcome
    reason: Mapped[str | None] = mapped_column(String(1000))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    # Whether automated means took the decision (Art. 15(1)(b) counts); a person's: false.
    automated: Mapped[bool] = mapped_column(default=False, server_default=false())


class RemovalGround(Base):
    """A ground a site removes comments on (statements.GroundKind: a house rule, or illegal
    content with its law named), edited by admins. Retired grounds stay: statements name them."""

    __tablename__ = "removal_grounds"
    __table_args__ = (UniqueConstraint("site_id", "key"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    key: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    law: Mapped[str | None] = mapped_column(String(200))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Statement(Base):
    """A statement of reasons for one removal (DSA Art. 17), written with the decision. The
    ground's key, title, kind and law are copied as they were, so editing the catalogue later
    does not change what the author was told."""

    __tablename__ = "statements"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    status: Mapped[CommentStatus] = mapped_column(StatusType)
    decided_by: Mapped[str] = mapped_column(String(16))  # statements.BY_POLICY, BY_PERSON
    actor: Mapped[str] = mapped_column(String(200))  # "policy", or the moderator's name
    ground_key: Mapped[str] = mapped_column(String(32))
    ground_kind: Mapped[str] = mapped_column(String(16))
    ground_title: Mapped[str] = mapped_column(String(200))
    ground_law: Mapped[str | None] = mapped_column(String(200))
    facts: Mapped[str] = mapped_column(Text)
    automated_detection: Mapped[bool] = mapped_column()
    automated_decision: Mapped[bool] = mapped_column()
    redress: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Appeal(Base):
    """An author's appeal against a removal (DSA Art. 20): the statement it contests, their
    explanation, who took the original decision (the policy, or which moderator: another
    person decides the appeal), and the outcome with its times (the transparency counts read
    `status`, `filed_at`, `decided_at`)."""

    __tablename__ = "appeals"
    __table_args__ = (
        # At most one open appeal per comment; a second filing is refused with a 409.
        Index(
            "ux_appeals_open_comment",
            "comment_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_appeals_status_filed", "status", "filed_at"),
    )

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # AppealStatus
    explanation: Mapped[str] = mapped_column(Text)
    # How it was filed: "reader" (the reader token that wrote the comment) or "link" (signed).
    filed_with: Mapped[str] = mapped_column(String(16))
    # The decision appealed: statements.BY_POLICY or BY_PERSON, and the policy or moderator.
    original_by: Mapped[str] = mapped_column(String(16))
    original_actor: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # Reinstated on the record, but retention had removed the text: nothing was republished.
    text_gone: Mapped[bool] = mapped_column(default=False, server_default=false())


class Email(Base):
    """The outbox of the notifiers' emails (only when the deployment configures SMTP): written
    in the transaction that files or decides the notice, sent by a worker, retried with
    backoff. The last error never holds the address."""

    __tablename__ = "emails"
    __table_args__ = (Index("ix_emails_status_next", "status", "next_attempt_at"),)

    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # domain.emails.EmailKind
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # EmailStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
