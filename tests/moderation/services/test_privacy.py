"""An author's export and erasure on both databases: the export holds everything written about
them; after the erasure no table, stored webhook payload, training row or log line at INFO
holds their email, name, URL, addresses or user agent; the other author is untouched; a ban
still holds; a second erasure finds nothing left."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

from moderation.domain.authors import Author
from moderation.domain.privacy import (
    ERASED_NAME,
    ERASED_NOTICE_TEXT,
    ERASED_TEXT,
    ErasureTexts,
    Identifiers,
)
from moderation.domain.statuses import CommentStatus
from moderation.services import authors, privacy
from moderation.storage import privacy as privacy_store
from moderation.storage import rules as rules_store
from moderation.storage.db import session_scope
from moderation.storage.models import Base, Comment, ModerationEvent, Notice, WebhookDelivery
from moderation.storage.retention import PERSONAL_DATA
from moderation.storage.review import feedback_rows
from tests.support.privacy import (
    OLIVE,
    ZED_AGENT,
    ZED_EMAIL,
    ZED_EMAIL_OTHER_CASE,
    ZED_IPS,
    ZED_NAME,
    ZED_URL,
    Scenario,
    pg_dump,
    table_dump,
    traces_in,
    write_scenario,
)


def _export(url: str, email: str) -> dict[str, Any]:
    with session_scope(url) as session:
        return privacy.export(session, email)


def _erase(url: str, email: str, texts: ErasureTexts = ErasureTexts.REPLACE) -> Any:
    with session_scope(url) as session:
        return privacy.erase(session, email, "ada", texts)


def _without_time(export: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in export.items() if k != "exported_at"}


def _comments(url: str) -> dict[int, Comment]:
    with session_scope(url) as session:
        found = {c.id: c for c in session.execute(select(Comment)).scalars()}
        session.expunge_all()
    return found


def test_the_export_holds_every_comment_decision_report_and_ban_of_the_author(
    database_url: str,
) -> None:
    s = write_scenario(database_url)

    found = _export(database_url, ZED_EMAIL_OTHER_CASE.upper())

    assert (found["format"], found["version"]) == ("moderation.author-export", 1)
    by_id = {c["id"]: c for c in found["comments"]}
    assert list(by_id) == [s.published, s.removed, s.waiting, s.replied_to]
    first = by_id[s.published]
    assert [first["author_name"], first["author_url"], first["user_agent"]] == [
        ZED_NAME,
        ZED_URL,
        ZED_AGENT,
    ]
    assert {c["author_email"] for c in by_id.values()} == {ZED_EMAIL, ZED_EMAIL_OTHER_CASE}
    assert {c["client_ip"] for c in by_id.values()} == set(ZED_IPS)
    assert first["article"] == {"id": "story-1", "url": None, "title": None}
    assert first["body"] == "Zed here: the council hid the costs."
    assert first["decision"]["status"] == "approved"
    assert first["decision"]["model_version"] == "v-test"
    assert by_id[s.waiting]["decision"] is None and by_id[s.waiting]["status"] == "queued"
    removed = by_id[s.removed]
    assert removed["status"] == "rejected"
    assert removed["decision"]["reasons"] == [{"rule": "toxicity", "value": 0.71, "limit": 0.6}]
    assert [(e["actor"], e["to_status"]) for e in removed["moderation_events"]] == [
        ("policy", "pending"),
        ("mona", "rejected"),
    ]
    assert ZED_NAME in removed["moderation_events"][1]["reason"]
    assert [(lb["action"], lb["ground"]) for lb in removed["training_labels"]] == [
        ("reject", "harassment")
    ]
    assert [(r["reason"], r["text"]) for r in first["reports"]] == [
        ("abuse", "Zebulon again, as ever")
    ]
    assert "client_ip" not in first["reports"][0]  # the reader's address is theirs
    assert [
        d["payload"]["data"]["comment"]["author_name"] for d in first["webhook_deliveries"]
    ] == [ZED_NAME]
    assert sorted((r["kind"], r["value"]) for r in found["author_rules"]) == [
        ("ban_email", ZED_EMAIL_OTHER_CASE),
        ("ban_ip", ZED_IPS[1]),
    ]
    assert [(n["note"], n["created_by"]) for n in found["author_notes"]] == [
        (f"{ZED_NAME} comes back under new names", "mona")
    ]
    (notice,) = found["notices_filed"]
    assert (notice["id"], notice["comment_id"], notice["outcome"]) == (s.notice, s.olive, "kept")
    assert (notice["notifier_name"], notice["notifier_email"]) == (ZED_NAME, ZED_EMAIL_OTHER_CASE)
    assert ZED_NAME in notice["explanation"]
    # The emails written to him about it, as sent (a notifier's emails: docs/operations.md).
    assert [(e["kind"], e["notice_id"], e["to"]) for e in found["emails"]] == [
        ("notice.received", s.notice, ZED_EMAIL_OTHER_CASE),
        ("notice.decided", s.notice, ZED_EMAIL_OTHER_CASE),
    ]
    assert "https://comments.example.org/notices/status/" in found["emails"][0]["body"]
    assert "An opinion about a plan" in found["emails"][1]["body"]
    assert found["erasures"] == []


def test_the_export_does_not_say_who_reported_the_author(database_url: str) -> None:
    s = write_scenario(database_url)

    olives = _export(database_url, OLIVE["author_email"])

    (commented,) = [c for c in olives["comments"] if c["id"] == s.olive]
    (event,) = [d for d in commented["webhook_deliveries"] if d["type"] == "notice.decided"]
    assert event["payload"]["data"]["notice"]["outcome"] == "kept"
    assert "notifier" not in event["payload"]["data"]
    assert olives["notices_filed"] == [] and olives["emails"] == []
    assert traces_in(json.dumps(olives)) == []


def test_after_the_erasure_no_table_holds_the_author_nor_does_the_log(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = write_scenario(database_url)
    olive_before = _export(database_url, OLIVE["author_email"])
    assert traces_in(table_dump(database_url))  # the search finds them while they are there

    with caplog.at_level(logging.INFO):
        result = _erase(database_url, ZED_EMAIL)

    assert traces_in(table_dump(database_url)) == []
    if database_url.startswith("postgresql"):
        dumped = pg_dump(database_url)
        assert "COPY public.comments" in dumped and traces_in(dumped) == []
    assert traces_in(caplog.text) == []
    assert "erasure 1: 4 comment(s), 1 label(s), " in caplog.text
    assert (result.erasure_id, result.comments, result.training_labels_deleted) == (1, 4, 1)
    assert result.bans_kept_as_hash == 2 and result.trust_lifted == 0
    assert result.author_notes_deleted == 1
    assert result.notices_cleared == 1
    assert result.emails_deleted == 2
    _the_notice_stays_without_its_notifier(database_url, s)
    assert _without_time(_export(database_url, OLIVE["author_email"])) == _without_time(
        olive_before
    )
    _the_threads_and_audit_hold(database_url, s)


def _the_notice_stays_without_its_notifier(url: str, s: Scenario) -> None:
    with session_scope(url) as session:
        notice = session.get(Notice, s.notice)
        assert notice is not None
        assert (notice.notifier_name, notice.notifier_email) == ("", "")
        assert (notice.ground, notice.outcome, notice.explanation) == (
            "defamation",
            "kept",
            ERASED_NOTICE_TEXT,
        )
        (payload,) = session.execute(
            select(WebhookDelivery.payload).where(WebhookDelivery.event_type == "notice.decided")
        ).scalars()
        assert payload["data"]["notifier"] == {"name": "", "email": ""}
        assert payload["data"]["notice"]["id"] == s.notice


def _the_threads_and_audit_hold(url: str, s: Scenario) -> None:
    comments = _comments(url)
    zeds = [comments[i] for i in (s.published, s.removed, s.waiting, s.replied_to)]
    assert {(c.author_name, c.author_email, c.body) for c in zeds} == {
        (ERASED_NAME, "", ERASED_TEXT)
    }
    # Published ones stay (replace): the thread under `replied_to` reads on; the waiting one
    # left the queue.
    assert [c.status for c in zeds] == [
        CommentStatus.APPROVED,
        CommentStatus.REJECTED,
        CommentStatus.REJECTED,
        CommentStatus.APPROVED,
    ]
    assert comments[s.olive_reply].author_name == OLIVE["author_name"]
    with session_scope(url) as session:
        events = session.execute(
            select(ModerationEvent.comment_id, ModerationEvent.actor, ModerationEvent.reason)
            .where(ModerationEvent.comment_id == s.removed)
            .order_by(ModerationEvent.id)
        ).all()
        assert [tuple(e) for e in events] == [
            (s.removed, "policy", "toxicity"),
            (s.removed, "mona", "reject (harassment): [removed] warned before, from [removed]"),
            (s.removed, "ada", "erased at the author's request (erasure 1)"),
        ]
        assert [r.comment_id for r in feedback_rows(session)] == []  # out of training
        payloads = session.execute(
            select(WebhookDelivery.payload).where(WebhookDelivery.comment_id == s.published)
        ).scalars()
        assert [p["data"]["comment"]["body"] for p in payloads] == [ERASED_TEXT]


def test_a_ban_holds_past_the_erasure_and_is_lifted_by_the_email(database_url: str) -> None:
    write_scenario(database_url)
    _erase(database_url, ZED_EMAIL)

    with session_scope(database_url) as session:
        asked = {1: Author(ZED_EMAIL_OTHER_CASE, None), 2: Author("x@example.org", ZED_IPS[1])}
        looked_up = authors.standings(session, asked, 10)
        kept = authors.standings(
            session,
            asked,
            10,
            rules_store.all_author_rules(session),
            privacy_store.stored_secret(session),
        )
        fresh = authors.standings(session, {3: Author("x@example.org", ZED_IPS[0])}, 10)
        assert [looked_up[1].banned_by, looked_up[2].banned_by] == ["email", "ip"]
        assert [kept[1].banned_by, kept[2].banned_by] == ["email", "ip"]
        assert fresh[3].banned_by is None

        assert authors.lift_rules(session, ZED_EMAIL.upper()) == 1
        assert authors.standings(session, asked, 10)[1].banned_by is None


def test_a_second_erasure_finds_nothing_and_says_when_the_first_ran(database_url: str) -> None:
    write_scenario(database_url)
    first = _erase(database_url, ZED_EMAIL)
    dump = table_dump(database_url)

    again = _erase(database_url, ZED_EMAIL_OTHER_CASE)

    assert again.erasure_id is None and again.comments == 0
    assert [(p.requested_by, p.comments) for p in again.previous_erasures] == [("ada", 4)]
    assert table_dump(database_url) == dump
    assert first.erasure_id == 1
    export = _export(database_url, ZED_EMAIL)
    assert export["comments"] == [] and len(export["erasures"]) == 1
    assert [r["kind"] for r in export["author_rules"]] == ["ban_email"]  # by its hash


def test_deleting_texts_takes_comments_off_the_page_but_keeps_those_replied_to(
    database_url: str,
) -> None:
    s = write_scenario(database_url)

    result = _erase(database_url, ZED_EMAIL, ErasureTexts.DELETE)

    comments = _comments(database_url)
    assert (comments[s.published].body, comments[s.published].status) == (
        "",
        CommentStatus.REJECTED,
    )
    assert (comments[s.replied_to].body, comments[s.replied_to].status) == (
        ERASED_TEXT,
        CommentStatus.APPROVED,
    )
    assert comments[s.olive_reply].status is CommentStatus.APPROVED
    assert result.comments_unpublished == 1
    assert traces_in(table_dump(database_url)) == []
    with session_scope(database_url) as session:
        payloads = list(
            session.execute(
                select(WebhookDelivery.payload)
                .where(WebhookDelivery.comment_id == s.published)
                .order_by(WebhookDelivery.id)
            ).scalars()
        )
    # The site hears that the comment left the page, without its author or text.
    assert [(p["data"]["status"], p["data"]["comment"]["body"]) for p in payloads] == [
        ("approved", ""),
        ("rejected", ""),
    ]


def test_an_email_nobody_used_exports_nothing_and_erases_nothing(database_url: str) -> None:
    write_scenario(database_url)
    dump = table_dump(database_url)

    assert _export(database_url, "nobody@example.org")["comments"] == []
    assert _erase(database_url, "nobody@example.org").erasure_id is None
    assert table_dump(database_url) == dump


def test_the_list_of_personal_data_names_real_columns() -> None:
    """The inventory of personal data (retention, erasure, docs/privacy.md) must name real
    columns: a renamed column must not drop out of it."""
    for table, columns in PERSONAL_DATA.items():
        known = set(Base.metadata.tables[table].columns.keys())
        assert set(columns) - {"*"} <= known, table


def test_scrubbing_finds_the_author_in_any_case_and_leaves_other_words_alone() -> None:
    found = Identifiers(["Ann.Lee@Example.com", "198.51.100.7"], ["Ann Lee", "Rule"])

    assert (
        found.scrub("ANN.LEE@example.COM wrote from 198.51.100.7")
        == "[removed] wrote from [removed]"
    )
    assert (
        found.scrub("Ann Lee, annotated by Lee; Annie")
        == "[removed], annotated by [removed]; Annie"
    )
    assert found.scrub_json([{"rule": "Rule of thumb", "value": 2}]) == [
        {"rule": "[removed] of thumb", "value": 2}
    ]
