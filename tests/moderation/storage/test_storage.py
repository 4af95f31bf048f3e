"""Storage on both databases: migrations, comments, guarded decisions, the sweep, threads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, func, select, text, update
from sqlalchemy.orm import Session

from moderation.domain.errors import InvalidComment
from moderation.domain.policy import body_fingerprint
from moderation.domain.records import DecisionRecord
from moderation.domain.schemas import CommentSubmission
from moderation.domain.statuses import CommentStatus
from moderation.services import comments as service
from moderation.storage import articles as article_store
from moderation.storage import comments as comment_store
from moderation.storage import decisions as decision_store
from moderation.storage.db import engine_for, session_scope
from moderation.storage.migrate import alembic_config, upgrade
from moderation.storage.models import Comment, Decision, ModerationEvent, utcnow
from tests.conftest import _postgres_database
from tests.support.decisions import decision, record_decisions


def add_comments(
    database_url: str, count: int = 1, article: str = "story", **values: Any
) -> list[int]:
    """Stores `count` queued comments the way the API does and returns their ids."""
    with session_scope(database_url) as session:
        ref = article_store.article_for(session, article, None, None)
        rows = [
            {
                "article_id": ref.id,
                "parent_id": None,
                "root_id": None,
                "author_name": f"Reader {n}",
                "author_email": f"reader{n}@example.com",
                "author_url": None,
                "client_ip": "203.0.113.7",
                "user_agent": "Browser/1.0",
                "body": f"Comment number {n}",
                **values,
            }
            for n in range(count)
        ]
        return [comment_id for comment_id, _ in comment_store.insert_comments(session, rows)]


def reply_to(database_url: str, parent_id: int, article: str = "story") -> int:
    with session_scope(database_url) as session:
        ref = article_store.article_for(session, article, None, None)
        parent = comment_store.parent_info(session, parent_id)
        assert parent is not None
        ((comment_id, _),) = comment_store.insert_comments(
            session,
            [
                {
                    "article_id": ref.id,
                    "parent_id": parent_id,
                    "root_id": parent.root_id,
                    "author_name": "Replier",
                    "author_email": "replier@example.com",
                    "author_url": None,
                    "client_ip": None,
                    "user_agent": None,
                    "body": f"Reply to {parent_id}",
                }
            ],
        )
        return comment_id


def record(comment_id: int, status: CommentStatus) -> DecisionRecord:
    scores = {"spam": 0.1, "toxicity": 0.2}
    return decision(
        comment_id, status, scores, reason_text=f"policy: {status.value}", model_version="test-1"
    )


def decide(database_url: str, ids: list[int], status: CommentStatus) -> list[int]:
    return record_decisions(database_url, [record(i, status) for i in ids])


def count(session: Session, model: Any, comment_id: int) -> int:
    query = select(func.count()).select_from(model).where(model.comment_id == comment_id)
    return session.execute(query).scalar_one()


def test_migrations_reach_head_and_match_the_models(database_url: str) -> None:
    config = alembic_config(database_url)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine_for(database_url).connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()

    assert current == head
    command.check(config)  # raises when the models and the migrations disagree


def test_insert_and_read_a_comment(database_url: str) -> None:
    (comment_id,) = add_comments(database_url, body="Hello \U0001f44b, مرحبا")

    with session_scope(database_url) as session:
        found = comment_store.comment_with_article(session, comment_id)
        assert found is not None
        comment, article = found
        assert article.external_id == "story"
        assert comment.body == "Hello \U0001f44b, مرحبا"
        assert comment.author_email == "reader0@example.com"
        assert comment.status is CommentStatus.QUEUED
        assert comment.decided_at is None
        assert comment_store.comment_with_article(session, comment_id + 1000) is None


def test_article_is_created_once(database_url: str) -> None:
    with session_scope(database_url) as session:
        first = article_store.article_for(session, "once", "https://x.example/once", "Once")
        again = article_store.article_for(session, "once", None, None)

    assert first == again
    assert again.url == "https://x.example/once"


def test_timestamps_come_back_timezone_aware_utc(database_url: str) -> None:
    (comment_id,) = add_comments(database_url)
    decide(database_url, [comment_id], CommentStatus.APPROVED)

    with session_scope(database_url) as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        for stamp in (comment.created_at, comment.decided_at):
            assert stamp is not None
            assert stamp.tzinfo is not None
            assert stamp.utcoffset() == timedelta(0)


def test_a_timestamp_with_another_offset_keeps_its_instant(database_url: str) -> None:
    (comment_id,) = add_comments(database_url)
    paris_noon = datetime(2030, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(database_url) as session:
        session.execute(
            update(Comment).where(Comment.id == comment_id).values(last_sent_at=paris_noon)
        )

    with session_scope(database_url) as session:
        stored = session.get(Comment, comment_id)
        assert stored is not None
        assert stored.last_sent_at == paris_noon
        assert stored.last_sent_at.utcoffset() == timedelta(0)
        assert stored.last_sent_at.hour == 10


def test_naive_timestamps_are_refused(database_url: str) -> None:
    (comment_id,) = add_comments(database_url)

    with pytest.raises(Exception, match="naive datetime"), session_scope(database_url) as s:
        s.execute(
            update(Comment).where(Comment.id == comment_id).values(decided_at=datetime(2030, 1, 1))
        )


def test_record_decisions_twice_keeps_one_decision_and_one_event(database_url: str) -> None:
    (comment_id,) = add_comments(database_url)

    assert decide(database_url, [comment_id], CommentStatus.APPROVED) == [comment_id]
    assert decide(database_url, [comment_id], CommentStatus.SPAM) == []

    with session_scope(database_url) as session:
        assert count(session, Decision, comment_id) == 1
        assert count(session, ModerationEvent, comment_id) == 1
        comment = session.get(Comment, comment_id)
        assert comment is not None
        assert comment.status is CommentStatus.APPROVED
        event = session.execute(
            select(ModerationEvent).where(ModerationEvent.comment_id == comment_id)
        ).scalar_one()
        assert (event.from_status, event.to_status) == (
            CommentStatus.QUEUED,
            CommentStatus.APPROVED,
        )
        assert event.actor == "policy"
        decision = session.execute(
            select(Decision).where(Decision.comment_id == comment_id)
        ).scalar_one()
        assert decision.status is CommentStatus.APPROVED
        assert decision.spam == 0.1
        assert decision.toxicity == 0.2
        assert decision.model_version == "test-1"


def test_record_decisions_with_the_same_comment_twice_in_one_batch(database_url: str) -> None:
    (comment_id,) = add_comments(database_url)

    with session_scope(database_url) as session:
        decided = decision_store.record_decisions(
            session,
            [
                record(comment_id, CommentStatus.APPROVED),
                record(comment_id, CommentStatus.APPROVED),
            ],
        )

    assert decided == [comment_id]
    with session_scope(database_url) as session:
        assert count(session, Decision, comment_id) == 1
        assert count(session, ModerationEvent, comment_id) == 1


def test_record_decisions_in_bulk_with_mixed_statuses(database_url: str) -> None:
    ids = add_comments(database_url, 4)
    statuses = [
        CommentStatus.APPROVED,
        CommentStatus.PENDING,
        CommentStatus.SPAM,
        CommentStatus.REJECTED,
    ]

    with session_scope(database_url) as session:
        decided = decision_store.record_decisions(
            session, [record(i, s) for i, s in zip(ids, statuses, strict=True)]
        )

    assert sorted(decided) == sorted(ids)
    with session_scope(database_url) as session:
        assert comment_store.count_by_status(session) == {s: 1 for s in statuses}
        assert comment_store.queued_comments(session, ids) == []


def test_queued_comments_returns_only_queued_ones(database_url: str) -> None:
    first, second = add_comments(database_url, 2)
    decide(database_url, [first], CommentStatus.APPROVED)

    with session_scope(database_url) as session:
        queued = comment_store.queued_comments(session, [first, second])

    assert [q.id for q in queued] == [second]
    assert queued[0].author_email == "reader1@example.com"


def age(database_url: str, ids: list[int], by: timedelta) -> None:
    with session_scope(database_url) as session:
        session.execute(
            update(Comment).where(Comment.id.in_(ids)).values(created_at=datetime.now(UTC) - by)
        )


def test_claim_stale_queued_returns_old_queued_comments_once(database_url: str) -> None:
    old = add_comments(database_url, 3)
    old_decided = add_comments(database_url, 1)
    fresh = add_comments(database_url, 2)
    age(database_url, old + old_decided, timedelta(hours=1))
    decide(database_url, old_decided, CommentStatus.APPROVED)
    cutoff = datetime.now(UTC) - timedelta(minutes=5)

    with session_scope(database_url) as session:
        claimed = comment_store.claim_stale_queued(session, cutoff, limit=100)
    with session_scope(database_url) as session:
        again = comment_store.claim_stale_queued(session, cutoff, limit=100)

    assert claimed == old
    assert again == []
    with session_scope(database_url) as session:
        for comment_id in old:
            comment = session.get(Comment, comment_id)
            assert comment is not None
            assert comment.last_sent_at is not None
            assert comment.last_sent_at > cutoff
            assert comment.status is CommentStatus.QUEUED
        for comment_id in fresh:
            comment = session.get(Comment, comment_id)
            assert comment is not None
            assert comment.last_sent_at is None


def test_claim_stale_queued_respects_the_limit(database_url: str) -> None:
    ids = add_comments(database_url, 5)
    age(database_url, ids, timedelta(hours=1))
    cutoff = datetime.now(UTC) - timedelta(minutes=5)

    with session_scope(database_url) as session:
        first = comment_store.claim_stale_queued(session, cutoff, limit=2)
    with session_scope(database_url) as session:
        rest = comment_store.claim_stale_queued(session, cutoff, limit=100)

    assert first == ids[:2]
    assert rest == ids[2:]


def test_claim_stale_queued_claims_again_after_a_later_cutoff(database_url: str) -> None:
    ids = add_comments(database_url, 2)
    age(database_url, ids, timedelta(hours=1))
    with session_scope(database_url) as session:
        comment_store.claim_stale_queued(session, datetime.now(UTC) - timedelta(minutes=5), 100)

    later = datetime.now(UTC) + timedelta(minutes=5)
    with session_scope(database_url) as session:
        assert comment_store.claim_stale_queued(session, later, 100) == ids


def test_threads_nest_replies_oldest_first(database_url: str) -> None:
    first, second = add_comments(database_url, 2)
    reply_a = reply_to(database_url, first)
    reply_b = reply_to(database_url, first)
    nested = reply_to(database_url, reply_a)
    decide(database_url, [first, second, reply_a, reply_b, nested], CommentStatus.APPROVED)

    with session_scope(database_url) as session:
        page = service.article_comments(session, "story", None, limit=10)

    assert [c.id for c in page.comments] == [first, second]
    assert [r.id for r in page.comments[0].replies] == [reply_a, reply_b]
    assert [r.id for r in page.comments[0].replies[0].replies] == [nested]
    assert page.comments[0].replies[0].replies[0].parent_id == reply_a
    assert page.comments[1].replies == []
    assert page.next_cursor is None


def test_threads_paginate_with_a_cursor(database_url: str) -> None:
    ids = add_comments(database_url, 5)
    reply = reply_to(database_url, ids[2])
    decide(database_url, [*ids, reply], CommentStatus.APPROVED)

    seen: list[int] = []
    cursor = None
    pages = 0
    with session_scope(database_url) as session:
        while True:
            page = service.article_comments(session, "story", cursor, limit=2)
            pages += 1
            seen.extend(c.id for c in page.comments)
            if page.comments and page.comments[-1].id == ids[2]:
                assert [r.id for r in page.comments[-1].replies] == [reply]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor

    assert seen == ids
    assert pages == 3


def test_a_page_of_exactly_the_limit_has_no_next_cursor(database_url: str) -> None:
    ids = add_comments(database_url, 2)
    decide(database_url, ids, CommentStatus.APPROVED)

    with session_scope(database_url) as session:
        page = service.article_comments(session, "story", None, limit=2)

    assert [c.id for c in page.comments] == ids
    assert page.next_cursor is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "bm90LWEtY3Vyc29y",  # "not-a-cursor"
        "YWZ0ZXI6eA",  # "after:x"
        "YmVmb3JlOjU",  # "before:5"
        "YWZ0ZXI6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",  # "after:" and a number over 64 bits
        "YWZ0ZXI6LTE",  # "after:-1"
        "_w",  # not UTF-8
    ],
)
def test_a_bad_cursor_is_refused_naming_the_cursor(database_url: str, cursor: str) -> None:
    ids = add_comments(database_url, 1)
    decide(database_url, ids, CommentStatus.APPROVED)

    with session_scope(database_url) as session, pytest.raises(InvalidComment) as raised:
        service.article_comments(session, "story", cursor, limit=2)

    assert raised.value.status_code == 400
    assert [p.field for p in raised.value.problems] == ["cursor"]


def test_only_approved_comments_and_replies_to_approved_parents_are_listed(
    database_url: str,
) -> None:
    approved, queued, spam, pending = add_comments(database_url, 4)
    orphan = reply_to(database_url, queued)  # approved, but its parent is not
    deep_orphan = reply_to(database_url, approved)
    under_orphan = reply_to(database_url, deep_orphan)
    held_reply = reply_to(database_url, approved)
    decide(database_url, [approved, orphan, under_orphan], CommentStatus.APPROVED)
    decide(database_url, [spam], CommentStatus.SPAM)
    decide(database_url, [pending, held_reply, deep_orphan], CommentStatus.PENDING)

    with session_scope(database_url) as session:
        page = service.article_comments(session, "story", None, limit=10)

    assert [c.id for c in page.comments] == [approved]
    assert page.comments[0].replies == []  # held_reply is pending; under_orphan's parent too
    dumped = page.model_dump_json()
    for hidden in (queued, spam, pending, orphan, under_orphan, held_reply, deep_orphan):
        assert f'"id":{hidden},' not in dumped


def test_other_articles_comments_are_not_listed(database_url: str) -> None:
    (mine,) = add_comments(database_url, 1, article="mine")
    (theirs,) = add_comments(database_url, 1, article="theirs")
    decide(database_url, [mine, theirs], CommentStatus.APPROVED)

    with session_scope(database_url) as session:
        page = service.article_comments(session, "mine", None, limit=10)
        unknown = service.article_comments(session, "no-such-article", None, limit=10)

    assert [c.id for c in page.comments] == [mine]
    assert unknown.comments == []
    assert unknown.next_cursor is None


def test_parent_info_points_replies_at_the_thread_root(database_url: str) -> None:
    (root,) = add_comments(database_url)
    reply = reply_to(database_url, root)
    nested = reply_to(database_url, reply)

    with session_scope(database_url) as session:
        assert comment_store.parent_info(session, root) is not None
        nested_comment = session.get(Comment, nested)
        assert nested_comment is not None
        assert nested_comment.root_id == root
        assert comment_store.parent_info(session, 10**6) is None


# --- the flood rule's copies --------------------------------------------------------------------

FLOOD = "WAKE UP PEOPLE, the council is hiding the real cost of the park from you!"
OTHER = "The council should publish the full cost breakdown before construction starts."


def submit(database_url: str, *bodies: str, article: str = "story") -> list[int]:
    """Stores comments the way the API does (the service, in one transaction)."""
    client = service.ClientInfo(ip="203.0.113.7", user_agent="Browser/1.0")
    items = [
        (
            CommentSubmission(
                article_id=article,
                author_name=f"Reader {n}",
                author_email=f"reader{n}@example.com",
                body=body,
            ),
            client,
        )
        for n, body in enumerate(bodies)
    ]
    with session_scope(database_url) as session:
        results = service.submit_comments(session, items)
    ids = []
    for result in results:
        assert isinstance(result, service.AcceptedComment)
        ids.append(result.id)
    return ids


def fingerprints(database_url: str, ids: list[int]) -> list[int | None]:
    with session_scope(database_url) as session:
        found = dict(
            session.execute(
                select(Comment.id, Comment.body_fingerprint).where(Comment.id.in_(ids))
            ).all()
        )
    return [found[i] for i in ids]


def copies_of(database_url: str, ids: list[int], window: timedelta) -> dict[int, int]:
    with session_scope(database_url) as session:
        queued = comment_store.queued_comments(session, ids)
        return comment_store.count_copies(session, queued, window)


def test_a_stored_comment_keeps_the_fingerprint_of_its_normalised_text(database_url: str) -> None:
    ids = submit(database_url, FLOOD, FLOOD.upper() + "!!!", OTHER, "?!")

    stored = fingerprints(database_url, ids)
    assert stored[0] == body_fingerprint(FLOOD)
    assert stored[0] is not None
    assert stored[1] == stored[0]  # the same text in capitals with more exclamation marks
    assert stored[2] == body_fingerprint(OTHER) != stored[0]
    assert stored[3] is None  # no text to compare
    with session_scope(database_url) as session:
        (queued,) = comment_store.queued_comments(session, ids[:1])
    assert queued.body_fingerprint == stored[0]
    assert queued.created_at is not None and queued.created_at.tzinfo is not None


def test_copies_are_counted_within_the_window_up_to_each_comment(database_url: str) -> None:
    window = timedelta(minutes=10)
    (too_old,) = submit(database_url, FLOOD, article="a")
    age(database_url, [too_old], timedelta(minutes=11))
    earlier = submit(database_url, FLOOD, article="b") + submit(database_url, FLOOD, article="c")
    age(database_url, earlier, timedelta(minutes=9))
    # One intake group: three more copies, as any capitals, between two other texts.
    batch = submit(database_url, OTHER, FLOOD, FLOOD.lower(), f"  {FLOOD}  ", "Another text.")
    (later,) = submit(database_url, FLOOD, article="d")  # after the batch: not counted for it

    counts = copies_of(database_url, batch, window)

    assert counts == {batch[0]: 1, batch[1]: 3, batch[2]: 4, batch[3]: 5, batch[4]: 1}
    assert copies_of(database_url, [later], window) == {later: 6}
    assert copies_of(database_url, [too_old], window) == {too_old: 1}
    assert copies_of(database_url, batch[1:2], timedelta(minutes=20))[batch[1]] == 4
    assert copies_of(database_url, batch[1:2], timedelta(minutes=5))[batch[1]] == 1


def test_copies_are_counted_back_from_each_comments_own_time(database_url: str) -> None:
    # Decided long after it was posted (the queue was down): judged on what was posted then.
    long_before, before = submit(database_url, FLOOD, FLOOD)
    (late,) = submit(database_url, FLOOD)
    age(database_url, [long_before], timedelta(minutes=45))
    age(database_url, [before], timedelta(minutes=35))
    age(database_url, [late], timedelta(minutes=30))

    assert copies_of(database_url, [late], timedelta(minutes=10)) == {late: 2}


def test_copies_ignore_comments_without_a_fingerprint(database_url: str) -> None:
    # Stored before migration 0002 (or without words): no fingerprint, so never counted.
    (legacy,) = add_comments(database_url, 1, body=FLOOD)
    (new,) = submit(database_url, FLOOD)

    assert fingerprints(database_url, [legacy]) == [None]
    assert copies_of(database_url, [legacy, new], timedelta(minutes=10)) == {new: 1}
    assert copies_of(database_url, [legacy], timedelta(minutes=10)) == {}
    with session_scope(database_url) as session:
        assert comment_store.count_copies(session, [], timedelta(minutes=10)) == {}


def test_copies_of_a_large_batch_are_counted_in_one_query(database_url: str) -> None:
    texts = [f"{OTHER} Point number {n % 50}." for n in range(400)]  # 50 texts, 8 copies each
    ids = submit(database_url, *texts)
    statements: list[str] = []

    def count_statement(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = engine_for(database_url)
    with session_scope(database_url) as session:
        queued = comment_store.queued_comments(session, ids)
        event.listen(engine, "before_cursor_execute", count_statement)
        try:
            counts = comment_store.count_copies(session, queued, timedelta(minutes=10))
        finally:
            event.remove(engine, "before_cursor_execute", count_statement)

    assert len(statements) == 1
    assert sorted(counts.values()) == sorted([n // 50 + 1 for n in range(400)])
    assert counts[ids[0]] == 1 and counts[ids[50]] == 2 and counts[ids[399]] == 8


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, before any migration."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        yield from _postgres_database()


def test_upgrade_from_0001_keeps_old_comments_and_fingerprints_new_ones(
    unmigrated_url: str,
) -> None:
    upgrade(unmigrated_url, "0001")
    with engine_for(unmigrated_url).connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0001"
    # Written as 0001's schema has it: no fingerprint, no site, no channel yet.
    with engine_for(unmigrated_url).begin() as connection:
        connection.execute(
            text("INSERT INTO articles (external_id, created_at) VALUES ('story', :now)"),
            {"now": utcnow()},
        )
        old = connection.execute(
            text(
                "INSERT INTO comments (article_id, author_name, author_email, body, status,"
                " created_at) SELECT id, 'Old Reader', 'old@example.com', :body, 'queued', :now"
                " FROM articles RETURNING id"
            ),
            {"body": FLOOD, "now": utcnow()},
        ).scalar_one()

    upgrade(unmigrated_url)

    config = alembic_config(unmigrated_url)
    command.check(config)
    (new,) = submit(unmigrated_url, FLOOD)
    assert fingerprints(unmigrated_url, [old, new]) == [None, body_fingerprint(FLOOD)]
    assert copies_of(unmigrated_url, [old, new], timedelta(minutes=10)) == {new: 1}
    # And back: 0002 can be undone and done again with the rows in place.
    command.downgrade(config, "0001")
    upgrade(unmigrated_url)
    assert fingerprints(unmigrated_url, [old, new]) == [None, None]
    with session_scope(unmigrated_url) as session:
        assert session.get(Comment, old) is not None
