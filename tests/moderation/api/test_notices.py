"""Notices of illegal content through the JSON API, on SQLite and PostgreSQL: filing one (no
sign-in), the status URL and what it never shows, the moderators' queue, removing through the
decision path (audit log, status webhook, label) or keeping, the `notice.decided` webhook, the
origin rule, the per-address limit, and hostile input (4xx naming the field, never a 5xx)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from moderation.app import create_app
from moderation.domain.statuses import CommentStatus
from moderation.services import webhooks
from moderation.services.sites import DEFAULT_SITE
from moderation.storage.db import session_scope
from moderation.storage.models import ModerationEvent, ModeratorLabel, Notice, Statement
from tests.conftest import RedisServer
from tests.moderation.conftest import VALID, settings_for
from tests.support.staff import Account, add_account, decided
from tests.support.webhooks import HOOK, deliveries

NOTIFIER = {"notifier_name": "Nora Notifier", "notifier_email": "nora.private@example.net"}
NOTICE: dict[str, Any] = {
    "ground": "defamation",
    "law": "Criminal Code s. 186",
    "explanation": "It says the mayor took bribes, which a court found false.",
    **NOTIFIER,
    "good_faith": True,
}


@pytest.fixture
def app(database_url: str, redis_server: RedisServer) -> FastAPI:
    return create_app(settings_for(database_url, redis_server.url))


@pytest.fixture
def reader(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(
        app,
        base_url="https://testserver",
        client=("203.0.113.7", 5000),
        raise_server_exceptions=False,
    ) as client:
        yield client


@pytest.fixture
def moderator(database_url: str) -> Account:
    return add_account(database_url, "mona")


def published(client: TestClient, database_url: str, body: str = "The mayor takes bribes.") -> int:
    answer = client.post("/api/v1/comments", json={**VALID, "body": body})
    assert answer.status_code == 202, answer.text
    comment_id: int = answer.json()["id"]
    decided(database_url, comment_id, CommentStatus.APPROVED, {"spam": 0.01, "toxicity": 0.1})
    return comment_id


def file(client: TestClient, comment_id: int, **changes: Any) -> Any:
    return client.post("/api/v1/notices", json={**NOTICE, "comment_id": comment_id, **changes})


def token_of(status_url: str) -> str:
    return status_url.rsplit("/", 1)[1]


def test_anyone_files_a_notice_and_follows_it_by_its_status_url(
    reader: TestClient, database_url: str
) -> None:
    comment_id = published(reader, database_url)

    answer = file(reader, comment_id)

    assert answer.status_code == 201, answer.text
    filed = answer.json()
    assert filed["status"] == "received"
    assert filed["status_url"].startswith("https://testserver/notices/status/")
    token = token_of(filed["status_url"])
    assert len(token) >= 32
    status = reader.get(filed["status_api_url"])
    assert status.status_code == 200, status.text
    assert status.json() == {
        "id": filed["id"],
        "status": "received",
        "ground": "defamation",
        "received_at": status.json()["received_at"],
        "decided_at": None,
        "outcome": None,
        "reason": None,
    }
    page = reader.get(filed["status_url"])
    assert page.status_code == 200 and "Received, waiting for a moderator" in page.text
    for shown in (status.text, page.text):  # neither the notifier's nor the author's data
        for private in ("Nora", "nora.private", "Ann Reader", "ann@example.com", "bribes"):
            assert private not in shown
    with session_scope(database_url) as session:
        row = session.execute(select(Notice)).scalar_one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (row.token_hash, row.explanation, row.law)
    assert reader.get("/api/v1/notices/status/" + "x" * 32).status_code == 404


def test_a_removal_goes_through_the_decision_path_and_reaches_the_notifier_and_the_site(
    reader: TestClient, database_url: str, moderator: Account
) -> None:
    with session_scope(database_url) as session:
        webhooks.add_endpoint(session, DEFAULT_SITE, HOOK)
    comment_id = published(reader, database_url)
    first = file(reader, comment_id).json()
    second = file(reader, comment_id, ground="other", law="Press Act s. 3").json()

    queue = reader.get("/api/v1/moderation/notices", headers=moderator.headers).json()
    assert [n["id"] for n in queue["items"]] == [first["id"], second["id"]]
    assert queue["open"] == 2
    item = queue["items"][0]
    assert item["comment_body"] == "The mayor takes bribes."
    assert (item["article_id"], item["ground"], item["law"]) == (
        "story-1",
        "defamation",
        "Criminal Code s. 186",
    )
    reviewed = reader.post(
        f"/api/v1/moderation/notices/{first['id']}/review", headers=moderator.headers
    )
    assert reviewed.json()["status"] == "under_review"
    assert reader.get(first["status_api_url"]).json()["status"] == "under_review"

    answer = reader.post(
        f"/api/v1/moderation/notices/{first['id']}/decision",
        headers=moderator.headers,
        json={"outcome": "removed", "reason": "Defamatory per the court ruling."},
    )

    assert answer.status_code == 200, answer.text
    for notice in (first, second):  # every open notice of the comment is closed
        shown = reader.get(notice["status_api_url"]).json()
        assert (shown["status"], shown["outcome"]) == ("decided", "removed")
        assert shown["reason"] == "Defamatory per the court ruling."
        assert shown["decided_at"] is not None
    thread = reader.get(f"/api/v1/articles/{VALID['article_id']}/comments").json()
    assert thread["comments"] == []
    with session_scope(database_url) as session:
        event = session.execute(
            select(ModerationEvent).where(ModerationEvent.actor == "mona")
        ).scalar_one()
        assert event.to_status is CommentStatus.REJECTED
        # Defamation has no house rule of its own: the removal is stated on illegal content,
        # with the law the notice names; it teaches no model.
        assert event.reason == (
            f"reject (illegal): notice {first['id']} (Criminal Code s. 186): "
            "Defamatory per the court ruling."
        )
        label = session.execute(select(ModeratorLabel)).scalar_one()
        assert (label.action, label.ground) == ("reject", "other")
        statement = session.execute(select(Statement)).scalar_one()
        assert (statement.ground_key, statement.ground_kind) == ("illegal", "illegal")
        rows = list(session.execute(select(Notice).order_by(Notice.id)).scalars())
        assert [(r.outcome, r.decided_by, r.automated) for r in rows] == [
            ("removed", "mona", False)
        ] * 2
    sent = {d.event_type: d.payload for d in deliveries(database_url)}
    assert sent["comment.status_changed"]["data"]["status"] == "rejected"
    event_data = sent["notice.decided"]["data"]
    assert event_data["notice"]["outcome"] == "removed"
    assert event_data["notice"]["comment_id"] == comment_id
    assert event_data["notifier"]["email"] == "nora.private@example.net"
    assert [d.event_type for d in deliveries(database_url)].count("notice.decided") == 2
    again = reader.post(
        f"/api/v1/moderation/notices/{first['id']}/decision",
        headers=moderator.headers,
        json={"outcome": "kept", "reason": "second thoughts"},
    )
    assert again.status_code == 409, again.text
    assert reader.get("/api/v1/moderation/notices", headers=moderator.headers).json()["open"] == 0


def test_the_moderator_picks_the_ground_a_removal_is_stated_on(
    reader: TestClient, database_url: str, moderator: Account
) -> None:
    hateful, defamatory = (published(reader, database_url, body) for body in ("One", "Two"))
    first = file(reader, hateful, ground="hate_speech", law="").json()
    second = file(reader, defamatory).json()

    queue = reader.get("/api/v1/moderation/notices", headers=moderator.headers).json()
    defaults = {n["id"]: n["removal_ground"] for n in queue["items"]}
    assert defaults == {first["id"]: "hate", second["id"]: "illegal"}
    assert ("off_topic", "Off topic") in [tuple(g) for g in queue["items"][0]["removal_grounds"]]

    def decide(notice: dict[str, Any], **body: Any) -> Any:
        return reader.post(
            f"/api/v1/moderation/notices/{notice['id']}/decision",
            headers=moderator.headers,
            json={"outcome": "removed", "reason": "Removed.", **body},
        )

    unknown = decide(second, ground="not_a_ground_here")
    keep_with_ground = decide(second, outcome="kept", ground="hate")
    assert (unknown.status_code, unknown.json()["fields"][0]["field"]) == (422, "ground")
    assert (keep_with_ground.status_code, keep_with_ground.json()["fields"][0]["field"]) == (
        422,
        "body.ground",
    )
    assert decide(first).status_code == 200
    assert decide(second, ground="harassment").status_code == 200
    with session_scope(database_url) as session:
        stated = dict(session.execute(select(Statement.comment_id, Statement.ground_key)).all())
        labels = dict(
            session.execute(select(ModeratorLabel.comment_id, ModeratorLabel.ground)).all()
        )
    assert stated == {hateful: "hate", defamatory: "harassment"}
    assert labels == {hateful: "hate", defamatory: "harassment"}


def test_a_kept_comment_stays_published_and_the_notifier_reads_why(
    reader: TestClient, database_url: str, moderator: Account
) -> None:
    comment_id = published(reader, database_url, "The mayor was wrong about the budget.")
    filed = file(reader, comment_id).json()

    answer = reader.post(
        f"/api/v1/moderation/notices/{filed['id']}/decision",
        headers=moderator.headers,
        json={"outcome": "Kept", "reason": "Opinion on a public matter, not defamation."},
    )

    assert answer.status_code == 200, answer.text
    page = reader.get(filed["status_url"]).text
    assert "No action: the comment was kept" in page
    assert "Opinion on a public matter, not defamation." in page
    thread = reader.get(f"/api/v1/articles/{VALID['article_id']}/comments").json()
    assert [c["id"] for c in thread["comments"]] == [comment_id]


def test_only_published_comments_take_notices(reader: TestClient, database_url: str) -> None:
    waiting = reader.post("/api/v1/comments", json=VALID).json()["id"]

    assert file(reader, waiting).status_code == 404
    assert file(reader, 999_999).status_code == 404


def test_a_page_of_another_origin_cannot_file_a_notice(
    reader: TestClient, database_url: str
) -> None:
    comment_id = published(reader, database_url)

    answer = reader.post(
        "/api/v1/notices",
        json={**NOTICE, "comment_id": comment_id},
        headers={"Origin": "https://evil.example"},
    )

    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "origin_not_allowed"


def test_notices_are_limited_per_address(database_url: str, redis_server: RedisServer) -> None:
    app = create_app(
        settings_for(database_url, redis_server.url, rate_notices_per_address="2/minute")
    )
    with TestClient(app, base_url="https://testserver", client=("203.0.113.8", 1)) as client:
        comment_id = published(client, database_url)
        answers = [file(client, comment_id) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2].headers["retry-after"]) >= 1
    assert answers[2].json()["fields"][0]["rule"] == "rate_notices_per_address"


HOSTILE: list[tuple[str, dict[str, Any], str, str]] = [
    ("explanation too long", {"explanation": "x" * 5001}, "explanation", "max_length"),
    ("explanation missing", {"explanation": None}, "explanation", "required"),
    ("explanation blank", {"explanation": "   "}, "explanation", "required"),
    ("law too long", {"law": "s" * 301}, "law", "max_length"),
    ("name too long", {"notifier_name": "N" * 101}, "notifier_name", "max_length"),
    ("bad email", {"notifier_email": "nora@@example"}, "notifier_email", "email"),
    ("email too long", {"notifier_email": "n" * 250 + "@x.org"}, "notifier_email", "max_length"),
    ("no good faith", {"good_faith": None}, "good_faith", "required"),
    ("good faith false", {"good_faith": False}, "good_faith", "good_faith"),
    ("unknown ground", {"ground": "annoying"}, "ground", "enum"),
    ("other without law", {"ground": "other", "law": ""}, "law", "required"),
    ("NUL in explanation", {"explanation": "a\x00b"}, "explanation", "control_characters"),
    ("bidi in name", {"notifier_name": "Nora\u202e"}, "notifier_name", "bidi_control"),
    ("lone surrogate", {"explanation": "a\ud800"}, "explanation", "unicode"),
    ("extra field", {"client_ip": "1.2.3.4"}, "client_ip", "unknown_field"),
    ("comment id too big", {"comment_id": 2**63}, "comment_id", "max_value"),
]


@pytest.mark.parametrize(
    ("changes", "field", "rule"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_hostile_notices_are_refused_naming_the_field(
    reader: TestClient, database_url: str, changes: dict[str, Any], field: str, rule: str
) -> None:
    comment_id = published(reader, database_url)
    body = {**NOTICE, "comment_id": comment_id, **changes}
    body = {k: v for k, v in body.items() if v is not None}

    # Escaped JSON: a lone surrogate can be sent only as "\ud800".
    answer = reader.post(
        "/api/v1/notices", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 422, answer.text
    assert (field, rule) in [(f["field"], f["rule"]) for f in answer.json()["fields"]]
    with session_scope(database_url) as session:
        assert session.execute(select(Notice)).first() is None


@pytest.mark.parametrize(
    ("content", "media_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"comment_id=1", "application/x-www-form-urlencoded", 415),
        (b"\xff\xfe", "application/json", 400),
    ],
)
def test_unreadable_bodies_are_4xx(
    reader: TestClient, content: bytes, media_type: str, status: int
) -> None:
    answer = reader.post("/api/v1/notices", content=content, headers={"Content-Type": media_type})

    assert answer.status_code == status, answer.text


def test_no_personal_data_reaches_the_logs_at_info(
    reader: TestClient, database_url: str, moderator: Account, caplog: pytest.LogCaptureFixture
) -> None:
    comment_id = published(reader, database_url)
    with caplog.at_level(logging.INFO):
        filed = file(reader, comment_id).json()
        reader.get(filed["status_url"])
        reader.post(
            f"/api/v1/moderation/notices/{filed['id']}/decision",
            headers=moderator.headers,
            json={"outcome": "removed", "reason": "unlawful"},
        )

    # The service's own lines (the test client's httpx logs the URLs it calls: not ours).
    ours = [r for r in caplog.records if r.name.startswith("moderation")]
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in ours)
    assert ours  # the requests were logged at all
    for private in (
        "Nora",
        "nora.private@example.net",
        "203.0.113.7",
        token_of(filed["status_url"]),
    ):
        assert private not in logged
