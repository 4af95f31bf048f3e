"""A month of one site's moderation, scripted for the transparency tests: comments decided by
the policy and by two moderators on several grounds, notices removed, kept and still open,
appeals, and rows just outside the month. Each step runs the product's own code, then what it
wrote is moved to the step's instant (the rows' timestamps, never the code's clock), as
tests/support/retention.py does.

November 2026 ([2026-11-01, 2026-12-01)) is the period; EXPECTED_* are its numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.domain.notices import NoticeDecision, NoticeGround, NoticeSubmission
from moderation.domain.statuses import CommentStatus
from moderation.services import accounts, notices
from moderation.services.accounts import Role, Staff
from moderation.services.review import Action, Ground, moderate
from moderation.storage import articles as article_store
from moderation.storage import comments as comment_store
from moderation.storage import notices as notice_store
from moderation.storage.db import session_scope
from moderation.storage.models import (
    DEFAULT_SITE_ID,
    Appeal,
    Comment,
    Decision,
    ModerationEvent,
    ModeratorLabel,
    Notice,
    Statement,
)
from tests.support.decisions import decision, record_decisions
from tests.support.sites import add_site
from tests.support.staff import add_account

SITE = "daily"
PERIOD = ("2026-11-01", "2026-12-01")
AUTHOR = {"author_name": "Ann Reader", "author_email": "ann@example.com"}
NOTE = "Ann Reader (ann@example.com) attacks a group."
BODY = "Comment number {n}, written by Ann Reader for the transparency scenario."
SPAM = [{"rule": "spam", "value": 0.97, "threshold": 0.9, "op": ">="}]
TOXIC = [{"rule": "toxicity", "value": 0.93, "threshold": 0.8, "op": ">="}]
HELD_TOXIC = [{"rule": "toxicity", "value": 0.6, "threshold": 0.5, "op": ">="}]
PREMODERATED = [{"rule": "premoderation", "value": True}]


def day(d: int, hours: float = 0) -> datetime:
    """An instant of November 2026 (day 0 is October 31st, negative days go further back)."""
    return datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=d - 1, hours=hours)


@contextmanager
def at(database_url: str, when: datetime) -> Iterator[Session]:
    """Run a step, then move every row it wrote (events, decisions, statements, labels,
    notices' times, comments' decision times) to `when`."""
    since = utcnow()
    with session_scope(database_url) as session:
        yield session
    with session_scope(database_url) as session:
        for model in (ModerationEvent, Decision, Statement, ModeratorLabel):
            session.execute(update(model).where(model.created_at >= since).values(created_at=when))
        session.execute(update(Comment).where(Comment.decided_at >= since).values(decided_at=when))
        for column in ("received_at", "reviewed_at", "decided_at"):
            field = getattr(Notice, column)
            session.execute(update(Notice).where(field >= since).values({column: when}))


@dataclass
class Scenario:
    site_id: int
    comments: dict[str, int]
    notices: dict[str, int]
    mona: Staff
    otto: Staff


def _comment(database_url: str, site_id: int, n: int, when: datetime) -> int:
    with session_scope(database_url) as session:
        article = article_store.article_for(session, "story-1", None, None, site_id=site_id)
        ((comment_id, _),) = comment_store.insert_comments(
            session,
            [{**AUTHOR, "article_id": article.id, "author_url": None, "client_ip": "203.0.113.7",
              "user_agent": "scenario", "body": BODY.format(n=n)}],
        )  # fmt: skip
        session.execute(update(Comment).where(Comment.id == comment_id).values(created_at=when))
    return comment_id


def _policy(
    database_url: str, comment_id: int, status: CommentStatus, reasons: list[dict[str, Any]],
    when: datetime,
) -> None:  # fmt: skip
    scores = {"spam": 0.97 if reasons is SPAM else 0.1, "toxicity": 0.9}
    with at(database_url, when):
        record_decisions(database_url, [decision(comment_id, status, scores, reasons=reasons)])


def _notice(database_url: str, comment_id: int, ground: NoticeGround, when: datetime) -> int:
    submission = NoticeSubmission(
        comment_id=comment_id,
        ground=ground,
        law="StGB 130" if ground is NoticeGround.OTHER else None,
        explanation="It breaks the law.",
        notifier_name="Nora Notifier",
        notifier_email="nora@example.org",
        good_faith=True,
    )
    with at(database_url, when) as session:
        return notices.file_notice(session, submission).id


def _decide_notice(
    database_url: str, who: Staff, notice_id: int, outcome: str, when: datetime
) -> None:
    with at(database_url, when) as session:
        notices.decide_notice(
            session, who, notice_id, NoticeDecision(outcome=outcome, reason="Looked at it.")
        )


def _remove_as_illegal(database_url: str, who: Staff, comment_id: int, notice_id: int,
                       when: datetime) -> None:  # fmt: skip
    """A moderator removes a noticed comment on the catalogue's illegal-content ground (the
    workspace offers it beside the house rules), then closes the notice as removed."""
    note = f"notice {notice_id}: incites to terrorism."
    with at(database_url, when) as session:
        moderate(session, who, [comment_id], Action.REJECT, note, "illegal")
        notice_store.close(session, [notice_id], "removed", "Illegal.", who.name)


def _moderate(database_url: str, who: Staff, comment_id: int, ground: Ground, note: str,
              when: datetime) -> None:  # fmt: skip
    with at(database_url, when) as session:
        moderate(session, who, [comment_id], Action.REJECT, note, ground)


def _staff(database_url: str, name: str, role: Role = Role.MODERATOR) -> Staff:
    account = add_account(database_url, name, role)
    with session_scope(database_url) as session:
        found = accounts.staff_for_token(session, account.token)
    assert found is not None
    return found


def build(database_url: str) -> Scenario:
    """The month (see EXPECTED_REPORT for what it counts to)."""
    site_id = add_site(database_url, SITE).id
    mona, otto = _staff(database_url, "mona"), _staff(database_url, "otto", Role.ADMIN)
    created = {
        # October: before the period
        "october": day(-2), "october_removed": day(-8),
        # November
        "approved": day(1), "spam": day(2), "toxic": day(3), "held_hate": day(4),
        "premoderated": day(5), "notice_hate": day(6), "notice_kept": day(7),
        "notice_open": day(8), "notice_illegal": day(9),
        # December: after it
        "late": day(34),
    }  # fmt: skip
    c = {name: _comment(database_url, site_id, n, created[name]) for n, name in enumerate(created)}
    c["other_site"] = _comment(database_url, DEFAULT_SITE_ID, 50, day(3))
    approved, removed = CommentStatus.APPROVED, CommentStatus.REJECTED
    for name, status, reasons, when in (
        ("october", approved, [], day(-2, 1)),
        ("october_removed", removed, TOXIC, day(-7)),
        ("approved", approved, [], day(1, 1)),
        ("spam", CommentStatus.SPAM, SPAM, day(2, 2)),
        ("toxic", removed, TOXIC, day(3, 3)),
        ("held_hate", CommentStatus.PENDING, HELD_TOXIC, day(4, 4)),
        ("premoderated", CommentStatus.PENDING, PREMODERATED, day(5, 1)),
        ("notice_hate", approved, [], day(6, 1)),
        ("notice_kept", approved, [], day(7, 1)),
        ("notice_open", approved, [], day(8, 1)),
        ("notice_illegal", approved, [], day(9, 1)),
        ("late", removed, TOXIC, day(35)),
        ("other_site", CommentStatus.SPAM, SPAM, day(3, 5)),
    ):
        _policy(database_url, c[name], status, reasons, when)

    _moderate(database_url, mona, c["held_hate"], Ground.HATE, NOTE, day(4, 6))
    _moderate(database_url, otto, c["premoderated"], Ground.OTHER, "", day(5, 2))

    n = {
        # received in October, decided on November 2nd: 72 hours
        "before": _notice(database_url, c["october"], NoticeGround.FRAUD, day(-1, 12)),
        "hate": _notice(database_url, c["notice_hate"], NoticeGround.HATE_SPEECH, day(11)),
        "kept": _notice(database_url, c["notice_kept"], NoticeGround.DEFAMATION, day(12)),
        "open": _notice(database_url, c["notice_open"], NoticeGround.OTHER, day(13)),
        "illegal": _notice(
            database_url, c["notice_illegal"], NoticeGround.TERRORIST_CONTENT, day(14)
        ),
    }
    _decide_notice(database_url, otto, n["before"], "kept", day(2, 12))  # 72 h
    _decide_notice(database_url, mona, n["hate"], "removed", day(11, 2))  # 2 h
    _decide_notice(database_url, otto, n["kept"], "kept", day(13, 6))  # 30 h
    _remove_as_illegal(database_url, mona, c["notice_illegal"], n["illegal"], day(14, 5))  # 5 h
    return Scenario(site_id, c, n, mona, otto)


# --- appeals ------------------------------------------------------------------------------


def add_appeals(database_url: str, scenario: Scenario) -> None:
    """Appeals of the scenario's removals, written as rows with the times the report counts:
    reinstated after 12 hours, upheld after 24, upheld after 174 (filed in October), one still
    open; one of another site. (tests/e2e/test_appeals_browser.py files and decides them
    through the service; here only the counting is at stake.)"""
    c = scenario.comments
    carol = _staff(database_url, "carol")
    rows = [
        (c["held_hate"], scenario.site_id, "reinstated", day(15), day(15, 12), scenario.otto),
        (c["premoderated"], scenario.site_id, "upheld", day(16), day(17), scenario.mona),
        (c["october_removed"], scenario.site_id, "upheld", day(-6), day(1, 6), carol),
        (c["spam"], scenario.site_id, "open", day(20), None, None),
        (c["other_site"], DEFAULT_SITE_ID, "upheld", day(3), day(4), scenario.otto),
    ]
    with session_scope(database_url) as session:
        for comment_id, site_id, status, filed_at, decided_at, decider in rows:
            statement = session.scalars(
                select(Statement)
                .where(Statement.comment_id == comment_id)
                .order_by(Statement.id.desc())
                .limit(1)
            ).one()
            session.add(
                Appeal(
                    comment_id=comment_id,
                    statement_id=statement.id,
                    site_id=site_id,
                    status=status,
                    explanation="I only described what happened.",
                    filed_with="reader",
                    original_by=statement.decided_by,
                    original_actor=statement.actor,
                    filed_at=filed_at,
                    decided_at=decided_at,
                    decided_by=decider.id if decider else None,
                    decided_by_name=decider.name if decider else None,
                    note="Looked at it again." if decider else None,
                )
            )
