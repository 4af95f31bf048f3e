"""Retention on both databases, over rows moved back in time: what is past its period is
cleared, what is younger, queued or held is untouched, a second run clears nothing, and a
removed comment keeps its decision, reasons and audit without its text."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.domain.privacy import NOTICE_CLEARED, REMOVED_TEXT
from moderation.domain.statuses import CommentStatus
from moderation.services import retention
from moderation.storage.db import session_scope
from moderation.storage.models import (
    Analysis,
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
from moderation.storage.retention import PERSONAL_DATA, REMOVED_EXPLANATION
from moderation.storage.review import feedback_rows
from tests.support.retention import AGENT, EXPECTED, IP, Aged, aged_database

PERIODS = retention.RetentionPeriods()  # the defaults: 30, 90, 30 and 90 days


def run(database_url: str, **options: object) -> retention.RetentionRun:
    return retention.apply(lambda: session_scope(database_url), PERIODS, **options)  # type: ignore[arg-type]


def comments(database_url: str) -> dict[int, Comment]:
    with session_scope(database_url) as session:
        found = {c.id: c for c in session.execute(select(Comment)).scalars()}
        session.expunge_all()
    return found


def seen(comment: Comment) -> tuple[object, ...]:
    """What retention could change of a comment."""
    return (comment.body, comment.body_fingerprint, comment.client_ip, comment.user_agent,
            comment.status, comment.decided_at, comment.text_removed_at)  # fmt: skip


def count(session: Session, table: type[Base]) -> int:
    return session.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def aged(database_url: str) -> Aged:
    return aged_database(database_url)


def test_what_is_past_its_period_is_cleared_and_nothing_else(
    database_url: str, aged: Aged, caplog: pytest.LogCaptureFixture
) -> None:
    before = comments(database_url)
    with caplog.at_level(logging.INFO, logger="moderation.services.retention"):
        first = run(database_url, batch=2)  # several batches of each kind
    second = run(database_url)
    after = comments(database_url)

    assert first.cleared == EXPECTED and first.finished
    assert second.cleared == dict.fromkeys(EXPECTED, 0)
    addresses_gone = {
        aged.approved_old, aged.spam_old, aged.rejected_old_by_hand_lately,
        aged.rejected_middle, aged.reinstated,
    }  # fmt: skip
    for comment_id, comment in after.items():
        kept = (comment.client_ip, comment.user_agent)
        assert kept == ((None, None) if comment_id in addresses_gone else (IP, AGENT)), comment_id
        if comment_id != aged.spam_old:  # every other text, and every status, as it was
            assert (comment.body, comment.status) == (
                before[comment_id].body,
                before[comment_id].status,
            )
            assert comment.text_removed_at is None
    # The queued and the held comment, 200 days old, exactly as they were.
    for untouched in (aged.queued_old, aged.pending_old, aged.approved_young):
        assert seen(after[untouched]) == seen(before[untouched])
    # The counts are in the log at INFO, and nothing of what was cleared.
    line = next(r.getMessage() for r in caplog.records if "retention cleared" in r.getMessage())
    assert "comment_addresses=5" in line and "removed_texts=1" in line
    assert all(IP not in r.getMessage() and "pills" not in r.getMessage() for r in caplog.records)


def test_a_removed_text_goes_and_its_decision_reasons_and_audit_stay(
    database_url: str, aged: Aged
) -> None:
    with session_scope(database_url) as session:
        labelled_before = {r.comment_id for r in feedback_rows(session)}
        events_before = count(session, ModerationEvent)
    run(database_url)

    spam = comments(database_url)[aged.spam_old]
    assert spam.body == REMOVED_TEXT and spam.body_fingerprint is None
    assert spam.text_removed_at is not None
    assert spam.status is CommentStatus.SPAM and spam.author_email == "ann@example.com"
    with session_scope(database_url) as session:
        decision = session.execute(
            select(Decision).where(Decision.comment_id == aged.spam_old)
        ).scalar_one()
        assert decision.status is CommentStatus.SPAM
        assert decision.reasons == [
            {"rule": "toxicity", "value": 0.9, "threshold": 0.8, "op": ">="}
        ]
        assert decision.explanation == REMOVED_EXPLANATION  # offsets into a text that is gone
        assert count(session, ModerationEvent) == events_before
        # Its label no longer trains a model; the others do.
        labelled_after = {r.comment_id for r in feedback_rows(session)}
    assert labelled_before - labelled_after == {aged.spam_old}
    assert labelled_after == {aged.rejected_old_by_hand_lately, aged.reinstated}


def test_reports_sign_ins_deliveries_analyses_and_sessions(database_url: str, aged: Aged) -> None:
    run(database_url)

    with session_scope(database_url) as session:
        reports = session.execute(
            select(Report.text, Report.client_ip).order_by(Report.created_at)
        ).all()
        # The resolved one lost its address and note; the open one of 40 days its address.
        assert [tuple(r) for r in reports] == [(None, None), ("still rude", None), ("new", IP)]
        assert count(session, LoginFailure) == 1
        left = session.execute(select(WebhookDelivery.event_id).order_by(WebhookDelivery.id))
        assert list(left.scalars()) == ["delivered-5", "pending-40"]  # a pending one stays
        emails = session.execute(select(Email.subject).order_by(Email.id)).scalars()
        assert list(emails) == ["sent", "pending"]  # sent 5 days ago; still to send
        assert count(session, Analysis) == 1
        assert count(session, BrowserSession) == 1
        notices = session.execute(
            select(
                Notice.notifier_name, Notice.notifier_email, Notice.explanation, Notice.ground
            ).order_by(Notice.id)
        ).all()
        # The notice decided 200 days ago lost its notifier and explanation, not its ground.
        assert [tuple(n) for n in notices] == [
            ("", "", NOTICE_CLEARED, "hate"),
            ("Nora", "nora@example.org", "it incites", "hate"),
            ("Nora", "nora@example.org", "it incites", "hate"),
        ]


def test_a_dry_run_counts_and_changes_nothing(database_url: str, aged: Aged) -> None:
    before = comments(database_url)

    dry = run(database_url, dry_run=True)

    assert dry.cleared == EXPECTED and dry.dry_run
    assert {i: (c.body, c.client_ip) for i, c in comments(database_url).items()} == {
        i: (c.body, c.client_ip) for i, c in before.items()
    }
    assert run(database_url).cleared == EXPECTED  # all of it still there to clear


def test_a_run_past_its_deadline_stops_after_a_batch_and_the_next_goes_on(
    database_url: str, aged: Aged
) -> None:
    stopped = run(database_url, batch=2, deadline=time.monotonic())
    rest = run(database_url)

    # One batch at least, so that runs handing on to one another always end.
    assert not stopped.finished
    assert stopped.cleared == {**dict.fromkeys(EXPECTED, 0), "comment_addresses": 2}
    assert rest.finished
    assert rest.cleared == {**EXPECTED, "comment_addresses": EXPECTED["comment_addresses"] - 2}


def test_longer_periods_keep_more(database_url: str, aged: Aged) -> None:
    periods = retention.RetentionPeriods(
        ip_days=45, removed_text_days=365, webhook_days=60, analysis_days=365
    )

    done = retention.apply(lambda: session_scope(database_url), periods)

    assert done.cleared == {
        **EXPECTED,
        "comment_addresses": 4,  # not the approved comment of 40 days
        "removed_texts": 0,
        "report_addresses": 1,
        "report_notes": 0,
        "login_failures": 0,
        "webhook_deliveries": 0,
        "emails": 0,  # kept as long as webhook deliveries
        "analyses": 0,
    }


def test_every_column_that_may_hold_personal_data_has_its_place() -> None:
    """A new text column must be placed in storage.retention.PERSONAL_DATA (or here, with why
    it holds nobody's data), so that retention and docs/privacy.md keep up with the tables."""
    not_personal = {
        "sites": {"slug", "name", "url", "origins", "secret_key", "previous_key", "policy"},
        "articles": {"external_id", "url", "title"},
        "comments": {"status", "channel"},
        "decisions": {
            "status",
            "scores",
            "reasons",
            "model_version",
            "shadow_version",
            "shadow_status",
            "shadow_scores",
        },
        "moderation_events": {"from_status", "to_status"},
        "users": {"role", "password_hash"},
        "api_tokens": {"token_hash"},
        "moderator_labels": {"action", "ground", "model_version"},
        "reports": {"reason"},
        "word_rules": {"kind", "term", "note", "created_by"},
        "author_rules": {"kind", "created_by"},
        "erasures": {"requested_by", "texts"},
        "privacy_keys": {"name", "secret"},
        "webhook_endpoints": {"url"},
        "webhook_deliveries": {"event_id", "event_type", "status"},
        "analyses": {"scores", "model_version"},
        "notices": {"ground", "token_hash", "status", "outcome"},
        "appeals": {"status", "filed_with", "original_by"},
        "removal_grounds": {"key", "kind", "title", "description", "law"},
        "statements": {
            "status",
            "decided_by",
            "ground_key",
            "ground_kind",
            "ground_title",
            "ground_law",
            "redress",
        },
    }
    textual = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.type.python_type in (str, dict, list) or column.name == "body_fingerprint"
    }
    placed = {(t, c) for t, columns in PERSONAL_DATA.items() for c in columns}
    placed |= {(t, c) for t, columns in not_personal.items() for c in columns}
    assert textual - placed == set()
