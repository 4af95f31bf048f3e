"""A database as it is after months of use, for the retention tests: comments, reports, sign-in
failures, webhook deliveries, analyses and sessions of every age, written as the service writes
them and then moved back in time (their timestamps, never the code's clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, update

from moderation.domain.clock import utcnow
from moderation.domain.statuses import CommentStatus
from moderation.services import accounts
from moderation.services.accounts import Role
from moderation.storage import articles as article_store
from moderation.storage import comments as comment_store
from moderation.storage import review as review_store
from moderation.storage.db import session_scope
from moderation.storage.models import (
    DEFAULT_SITE_ID,
    Analysis,
    BrowserSession,
    Comment,
    Decision,
    Email,
    LoginFailure,
    ModerationEvent,
    Notice,
    Report,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.support.decisions import decision, record_decisions

IP = "203.0.113.7"
AGENT = "Mozilla/5.0 (retention test)"
MODERATOR = "mona"


def days_ago(days: float) -> Any:
    return utcnow() - timedelta(days=days)


def comment(database_url: str, status: CommentStatus, days: float, body: str = "") -> int:
    """A comment submitted `days` ago with an address and user agent, decided by the policy
    (`status`; none for queued) at once, as far back."""
    with session_scope(database_url) as session:
        article = article_store.article_for(session, "story-1", None, None)
        ((comment_id, _),) = comment_store.insert_comments(
            session,
            [
                {
                    "article_id": article.id,
                    "author_name": "Ann Reader",
                    "author_email": "ann@example.com",
                    "author_url": None,
                    "client_ip": IP,
                    "user_agent": AGENT,
                    "body": body or f"A {status.value} comment from {days} days ago.",
                }
            ],
        )
    if status is not CommentStatus.QUEUED:
        scores = {"spam": 0.1, "toxicity": 0.9}
        reasons = [{"rule": "toxicity", "value": 0.9, "threshold": 0.8, "op": ">="}]
        record_decisions(database_url, [decision(comment_id, status, scores, reasons=reasons)])
    with session_scope(database_url) as session:
        when = days_ago(days)
        session.execute(
            update(Comment)
            .where(Comment.id == comment_id)
            .values(
                created_at=when,
                decided_at=None if status is CommentStatus.QUEUED else when,
            )
        )
        session.execute(
            update(ModerationEvent)
            .where(ModerationEvent.comment_id == comment_id)
            .values(created_at=when)
        )
        session.execute(
            update(Decision).where(Decision.comment_id == comment_id).values(created_at=when)
        )
    return comment_id


def moderate(database_url: str, comment_id: int, to: CommentStatus, days: float) -> None:
    """A moderator's change of the comment's status `days` ago, with its training label."""
    with session_scope(database_url) as session:
        previous = session.get_one(Comment, comment_id).status
        action = {CommentStatus.APPROVED: "approve", CommentStatus.SPAM: "spam"}.get(to, "reject")
        label = {
            "comment_id": comment_id,
            "action": action,
            "spam": to is CommentStatus.SPAM,
            "toxic": to is CommentStatus.REJECTED,
            "model_version": "v-test",
        }
        review_store.record_changes(
            session,
            MODERATOR,
            [review_store.StatusChange(comment_id, previous, to, "by hand", label=label)],
        )
        session.execute(
            update(ModerationEvent)
            .where(ModerationEvent.comment_id == comment_id, ModerationEvent.actor == MODERATOR)
            .values(created_at=days_ago(days))
        )


def explain(database_url: str, comment_id: int) -> None:
    with session_scope(database_url) as session:
        spans = {"toxicity": [[2, 9, 0.7]]}
        comment_store.store_explanations(
            session, {comment_id: {"spans": spans, "signals": {}, "model_version": "v-test"}}
        )


@dataclass(frozen=True)
class Aged:
    """The comments of `aged_database`, by what retention should do with each."""

    approved_old: int  # 40 days: its address goes, its text stays
    approved_young: int  # 5 days: untouched
    spam_old: int  # 100 days: address and text go
    rejected_old_by_hand_lately: int  # removed by a moderator 10 days ago: its text stays
    rejected_middle: int  # 50 days: the address goes, the text stays
    reinstated: int  # rejected 100 days ago, approved by hand 95 days ago: text stays
    pending_old: int  # held 200 days: untouched
    queued_old: int  # 200 days, never decided: untouched


# What a run over `aged_database` clears, with the default periods (30, 90, 30, 90 days).
EXPECTED = {
    "comment_addresses": 5,
    "removed_texts": 1,
    "report_addresses": 2,
    "report_notes": 1,
    "login_failures": 1,
    "webhook_deliveries": 2,
    "emails": 2,
    "analyses": 1,
    "notice_contacts": 1,
    "expired_sessions": 1,
}


def aged_database(database_url: str) -> Aged:
    """Rows of every kind on both sides of their retention period (see EXPECTED)."""
    rejected_by_hand = comment(database_url, CommentStatus.APPROVED, 100)
    moderate(database_url, rejected_by_hand, CommentStatus.REJECTED, 10)
    reinstated = comment(database_url, CommentStatus.REJECTED, 100)
    moderate(database_url, reinstated, CommentStatus.APPROVED, 95)
    aged = Aged(
        approved_old=comment(database_url, CommentStatus.APPROVED, 40),
        approved_young=comment(database_url, CommentStatus.APPROVED, 5),
        spam_old=comment(database_url, CommentStatus.SPAM, 100, "Buy cheap pills, ann@example.com"),
        rejected_old_by_hand_lately=rejected_by_hand,
        rejected_middle=comment(database_url, CommentStatus.REJECTED, 50),
        reinstated=reinstated,
        pending_old=comment(database_url, CommentStatus.PENDING, 200),
        queued_old=comment(database_url, CommentStatus.QUEUED, 200),
    )
    explain(database_url, aged.spam_old)
    moderate(database_url, aged.spam_old, CommentStatus.SPAM, 100)  # a label to train on
    _others(database_url, aged)
    return aged


def _others(database_url: str, aged: Aged) -> None:
    with session_scope(database_url) as session:
        report = {"comment_id": aged.approved_old, "reason": "abuse", "client_ip": IP}
        session.execute(
            insert(Report),
            [
                # Resolved 95 days ago: address and note go.
                {
                    **report,
                    "text": "rude",
                    "created_at": days_ago(100),
                    "resolved_at": days_ago(95),
                },
                # Open, 40 days: the address goes, the note stays (nobody has looked yet).
                {**report, "text": "still rude", "created_at": days_ago(40), "resolved_at": None},
                {**report, "text": "new", "created_at": days_ago(5), "resolved_at": None},
            ],
        )
        session.execute(
            insert(LoginFailure),
            [{"user_name": "mona", "client_ip": IP, "created_at": days_ago(d)} for d in (40, 5)],
        )
        (endpoint,) = session.execute(
            insert(WebhookEndpoint)
            .values(
                site_id=DEFAULT_SITE_ID, url="https://hooks.example.org/", created_at=days_ago(200)
            )
            .returning(WebhookEndpoint.id)
        ).scalars()
        session.execute(insert(WebhookDelivery), [
            _delivery(endpoint, aged.approved_old, status, d)
            for status, d in (("delivered", 40), ("failed", 40), ("delivered", 5), ("pending", 40))
        ])  # fmt: skip
        # Decided 200 days ago: the notifier's contact goes; decided 100 days ago, or still
        # open after 300: it stays (a notifier may complain for six months after a decision).
        session.execute(insert(Notice), [
            {"comment_id": aged.approved_old, "site_id": DEFAULT_SITE_ID, "ground": "hate",
             "law": "StGB 130", "explanation": "it incites", "notifier_name": "Nora",
             "notifier_email": "nora@example.org", "good_faith": True,
             "token_hash": f"{n}" * 64, "status": status, "received_at": days_ago(received),
             "decided_at": None if decided is None else days_ago(decided),
             "outcome": None if decided is None else "kept"}
            for n, status, received, decided in (
                (1, "decided", 210, 200), (2, "decided", 110, 100), (3, "received", 300, None)
            )
        ])  # fmt: skip
        # A notifier's emails: sent or given up 40 days ago, they go; sent lately, or still
        # pending (the server is away), they stay.
        session.execute(insert(Email), [
            {"kind": "notice.decided", "recipient": "nora@example.org", "subject": status,
             "body": "Your notice was decided.", "status": status, "attempts": 1,
             "created_at": days_ago(d), "sent_at": days_ago(d) if status == "sent" else None}
            for status, d in (("sent", 40), ("failed", 40), ("sent", 5), ("pending", 40))
        ])  # fmt: skip
        analysis = {"site_id": DEFAULT_SITE_ID, "text": "scored"}
        session.execute(
            insert(Analysis), [{**analysis, "created_at": days_ago(d)} for d in (100, 5)]
        )
        user = accounts.add_user(session, MODERATOR, Role.MODERATOR, "correct horse battery")
        session.execute(insert(BrowserSession), [
            {"session_hash": f"{n}" * 64, "user_id": user.id, "csrf_token": "t" * 64,
             "created_at": days_ago(2), "expires_at": days_ago(d)}
            for n, d in ((1, 1), (2, -1))
        ])  # fmt: skip


def _delivery(endpoint: int, comment_id: int, status: str, days: float) -> dict[str, Any]:
    when = days_ago(days)
    return {
        "endpoint_id": endpoint,
        "event_id": f"{status}-{days}",
        "event_type": "comment.status_changed",
        "comment_id": comment_id,
        "payload": {"data": {"comment": {"author_name": "Ann Reader", "body": "text"}}},
        "status": status,
        "attempts": 1,
        "last_attempt_at": when,
        "delivered_at": when if status == "delivered" else None,
        "next_attempt_at": when if status == "pending" else None,
        "created_at": when,
    }
