"""SQL of retention: for each kind of personal data kept for a while, which rows are past their
period and how they are cleared, a batch at a time (services/retention.py runs them).

Each kind is a `Due`: the rows that still hold the data and are older than a cut-off, taken
oldest first through an index that holds them (a partial one for comments, models.py), and
what clearing does to them: an update that empties the columns, or a delete. The conditions
are checked again in the statement that clears, so a row that changed meanwhile (a comment a
moderator reinstated) is left alone, and a second run finds nothing.

`PERSONAL_DATA` says, for every table, what of it is personal and how long it stays: the one
list of where personal data lives, which docs/privacy.md explains and a test holds against
the models (a new column must be placed in it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, exists, func, select, text, update
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.domain.privacy import NOTICE_CLEARED, REMOVED_TEXT
from moderation.domain.statuses import AppealStatus
from moderation.storage.db import count_rows
from moderation.storage.models import (
    ADDRESSES_KEPT,
    REMOVED_TEXT_KEPT,
    Analysis,
    Appeal,
    Base,
    BrowserSession,
    Comment,
    Decision,
    Email,
    LoginFailure,
    ModerationEvent,
    Notice,
    Report,
    WebhookDelivery,
)

# What the explanation of such a comment becomes: its spans were offsets into the text.
REMOVED_EXPLANATION: dict[str, Any] = {"spans": {}, "signals": {}, "text_removed": True}

_ENDED_DELIVERIES = ("delivered", "failed")


def _sql(predicate: str) -> ColumnElement[bool]:
    """A partial index's own predicate, as it is written there (SQLite uses such an index only
    for a query that repeats its terms), in brackets: SQLAlchemy joins text() to other
    conditions as it is, and an OR would otherwise swallow them."""
    return text(f"({predicate})")  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Due:
    """The rows of a table past their period, and what clearing them means."""

    table: type[Base]
    where: Sequence[ColumnElement[bool]]
    oldest_first: Any  # the indexed column the batches are taken in order of
    values: Mapping[str, Any] | None  # None: the rows are deleted
    # Run on the ids a batch cleared, in its transaction (a removed text's explanation).
    then: Callable[[Session, list[int]], None] | None = None


def comment_addresses(before: datetime) -> Due:
    """IP addresses and user agents of decided comments submitted before `before`."""
    return Due(
        Comment,
        [_sql(ADDRESSES_KEPT), Comment.created_at < before],
        Comment.created_at,
        {"client_ip": None, "user_agent": None},
    )


def removed_texts(before: datetime) -> Due:
    """Texts of spam and rejected comments whose last status change (by the policy or a person:
    the audit log has each) was before `before`. `decided_at` is the first decision, never
    later than the last change, so the partial index narrows them down."""
    changed_since = exists().where(
        ModerationEvent.comment_id == Comment.id, ModerationEvent.created_at >= before
    )
    # An open appeal may reinstate it: its text stays until the appeal is decided.
    appealed = exists().where(
        Appeal.comment_id == Comment.id, Appeal.status == AppealStatus.OPEN.value
    )
    return Due(
        Comment,
        [_sql(REMOVED_TEXT_KEPT), Comment.decided_at < before, ~changed_since, ~appealed],
        Comment.decided_at,
        {"body": REMOVED_TEXT, "body_fingerprint": None, "text_removed_at": utcnow()},
        then=_forget_explanations,
    )


def _forget_explanations(session: Session, comment_ids: list[int]) -> None:
    session.execute(
        update(Decision)
        .where(Decision.comment_id.in_(comment_ids), Decision.explanation.is_not(None))
        .values(explanation=REMOVED_EXPLANATION)
    )


def report_addresses(before: datetime) -> Due:
    """Addresses of readers' reports sent before `before`."""
    return Due(
        Report,
        [Report.client_ip.is_not(None), Report.created_at < before],
        Report.created_at,
        {"client_ip": None},
    )


def report_notes(before: datetime) -> Due:
    """What readers wrote with reports resolved before `before` (the reason stays)."""
    return Due(
        Report,
        [Report.text.is_not(None), Report.resolved_at < before],
        Report.created_at,
        {"text": None},
    )


def login_failures(before: datetime) -> Due:
    """Failed sign-ins (a name and an address) before `before`."""
    return Due(LoginFailure, [LoginFailure.created_at < before], LoginFailure.created_at, None)


def webhook_deliveries(before: datetime) -> Due:
    """Deliveries delivered or given up before `before` (a pending one is never touched)."""
    ended = func.coalesce(
        WebhookDelivery.delivered_at, WebhookDelivery.last_attempt_at, WebhookDelivery.created_at
    )
    return Due(
        WebhookDelivery,
        [
            WebhookDelivery.status.in_(_ENDED_DELIVERIES),
            WebhookDelivery.created_at < before,
            ended < before,
        ],
        WebhookDelivery.created_at,
        None,
    )


def emails(before: datetime) -> Due:
    """Notifiers' emails sent or given up before `before` (a pending one is never touched)."""
    ended = func.coalesce(Email.sent_at, Email.created_at)
    return Due(
        Email,
        [Email.status.in_(("sent", "failed")), Email.created_at < before, ended < before],
        Email.created_at,
        None,
    )


def analyses(before: datetime) -> Due:
    """Texts scored through the Perspective-compatible API and kept, before `before`."""
    return Due(Analysis, [Analysis.created_at < before], Analysis.created_at, None)


def notice_contacts(before: datetime) -> Due:
    """The notifier's name, email and explanation of notices decided before `before` (the
    ground, law, outcome and times stay: the transparency counts read them)."""
    return Due(
        Notice,
        [Notice.decided_at < before, Notice.notifier_email != ""],
        Notice.id,
        {"notifier_name": "", "notifier_email": "", "explanation": NOTICE_CLEARED},
    )


def expired_sessions(before: datetime) -> Due:
    """Workspace sign-ins that expired before `before` (they let nobody in any more)."""
    return Due(BrowserSession, [BrowserSession.expires_at < before], BrowserSession.id, None)


def count_due(session: Session, due: Due) -> int:
    """How many rows a run would clear now (a dry run)."""
    return count_rows(session, due.table, *due.where)


def clear_batch(session: Session, due: Due, limit: int) -> int:
    """Clear at most `limit` of the due rows, oldest first; how many were cleared. The caller
    commits: one batch, one short transaction, whatever the size of the table."""
    table: Table = due.table.__table__  # type: ignore[assignment]
    query = select(table.c.id).where(*due.where).order_by(due.oldest_first).limit(limit)
    ids = list(session.execute(query).scalars())
    if not ids:
        return 0
    statement: Any = delete(table) if due.values is None else update(table).values(dict(due.values))
    cleared = list(
        session.execute(
            statement.where(table.c.id.in_(ids), *due.where).returning(table.c.id)
        ).scalars()
    )
    if cleared and due.then is not None:
        due.then(session, cleared)
    return len(cleared)


# Where personal data lives, table by table: the columns that hold it, and how long they stay
# (the kind that clears them, or why they are kept). Tables absent here hold none.
PERSONAL_DATA: dict[str, dict[str, str]] = {
    "comments": {
        "client_ip": "comment_addresses",
        "user_agent": "comment_addresses",
        "body": "removed_texts (a published or held text stays while it is shown or waits)",
        "body_fingerprint": "removed_texts",
        "author_name": "kept with the comment: shown with it; erasure removes it",
        "author_email": "kept with the comment: bans, trust and the author's history",
        "author_url": "kept with the comment: shown with it; erasure removes it",
        "reader_hash": "kept with the comment: its author sees its status and reasons",
    },
    "decisions": {"explanation": "removed_texts (offsets into the text)"},
    "moderation_events": {
        "actor": "kept: the audit log (a moderator's name)",
        "reason": "kept: the audit log; an erasure removes the author's identifiers from it",
    },
    "moderator_labels": {"actor": "kept: who taught the model (a moderator's name)"},
    "reports": {"client_ip": "report_addresses", "text": "report_notes"},
    "login_failures": {"user_name": "login_failures", "client_ip": "login_failures"},
    "browser_sessions": {"session_hash": "expired_sessions", "csrf_token": "expired_sessions"},
    "users": {"name": "kept while the account exists (staff)"},
    "api_tokens": {"label": "kept while the account exists (staff)"},
    "author_rules": {
        "value": "kept while the ban or trust holds (after an erasure, as a salted hash)",
        "note": "kept with the rule; an erasure removes the author's identifiers from it",
    },
    "author_notes": {
        "author_email": "kept while moderators need it; an erasure deletes the author's notes",
        "note": "kept while moderators need it; an erasure deletes the author's notes",
        "created_by": "kept with the note (a moderator's name)",
    },
    "notices": {
        "notifier_name": "notice_contacts",
        "notifier_email": "notice_contacts",
        "explanation": "notice_contacts",
        "law": "kept: the transparency counts (the law a notice named)",
        "reason": "kept: the moderator's reason, shown at the notice's status URL",
        "decided_by": "kept: the audit (a moderator's name)",
    },
    "statements": {
        "facts": "kept: the statement of reasons (DSA Art. 17, 24); an erasure scrubs the "
        "author's identifiers from a moderator's words",
        "actor": "kept: the audit (a moderator's name)",
    },
    "appeals": {
        "explanation": "kept with the appeal (the complaint record, DSA Art. 20); an erasure "
        "removes it",
        "note": "kept: the decision on the appeal, shown to its author; an erasure scrubs the "
        "author's identifiers from it",
        "original_actor": "kept: the audit (a moderator's name)",
        "decided_by_name": "kept: the audit (a moderator's name)",
    },
    "erasures": {"subject": "kept: a salted hash of the erased email, to answer a repeat"},
    "webhook_deliveries": {"payload": "webhook_deliveries", "last_error": "webhook_deliveries"},
    "analyses": {"text": "analyses", "client_token": "analyses", "feedback": "analyses"},
    "emails": {
        "recipient": "emails (as long as webhook deliveries); an erasure deletes them",
        "subject": "emails",
        "body": "emails (the status URL's token, the moderator's reason)",
        "kind": "emails",
        "status": "emails",
        "last_error": "emails (never the address)",
    },
}
