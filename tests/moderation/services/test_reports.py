"""Readers' reports: the Reported queue, one count per address, hiding after enough readers
reported, the per-address limit, and a moderator's decision closing the reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from moderation.app import create_app
from moderation.domain.statuses import CommentStatus
from tests.conftest import RedisServer
from tests.moderation.conftest import VALID, settings_for
from tests.support.staff import Account, add_account, decided


@pytest.fixture
def app(database_url: str, redis_server: RedisServer) -> FastAPI:
    return create_app(
        settings_for(database_url, redis_server.url, reports_to_hide=3, reports_per_address=5)
    )


@pytest.fixture
def reader(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver", client=("203.0.113.1", 5000)) as client:
        yield client


@pytest.fixture
def moderator(database_url: str) -> Account:
    return add_account(database_url, "mona")


def published(client: TestClient, database_url: str, body: str) -> int:
    answer = client.post("/api/v1/comments", json={**VALID, "body": body})
    assert answer.status_code == 202, answer.text
    comment_id: int = answer.json()["id"]
    decided(database_url, comment_id, CommentStatus.APPROVED, {"spam": 0.01, "toxicity": 0.1})
    return comment_id


def report(app: FastAPI, comment_id: int, address: str, **body: Any) -> Any:
    with TestClient(app, base_url="https://testserver", client=(address, 5000)) as client:
        return client.post(
            f"/api/v1/comments/{comment_id}/reports", json={"reason": "abuse", **body}
        )


def article_bodies(client: TestClient) -> list[str]:
    thread = client.get(f"/api/v1/articles/{VALID['article_id']}/comments").json()
    return [c["body"] for c in thread["comments"]]


def test_a_report_puts_the_comment_in_the_reported_queue(
    app: FastAPI, reader: TestClient, database_url: str, moderator: Account
) -> None:
    comment_id = published(reader, database_url, "Sneaky insult in here")

    answer = reader.post(
        f"/api/v1/comments/{comment_id}/reports",
        json={"reason": "Abuse", "text": "calls people names"},
    )

    assert answer.status_code == 202, answer.text
    assert answer.json() == {"comment_id": comment_id, "hidden": False}
    queue = reader.get("/api/v1/moderation/queue?status=reported", headers=moderator.headers).json()
    assert [item["id"] for item in queue["items"]] == [comment_id]
    assert queue["items"][0]["reports"][0]["reason"] == "abuse"
    assert queue["items"][0]["reports"][0]["text"] == "calls people names"
    assert queue["counts"]["reported"] == 1
    # One report is not enough to take it off the page.
    assert article_bodies(reader) == ["Sneaky insult in here"]


def test_enough_readers_hide_the_comment_until_a_moderator_decides(
    app: FastAPI, reader: TestClient, database_url: str, moderator: Account
) -> None:
    comment_id = published(reader, database_url, "Contested remark")

    answers = [report(app, comment_id, f"198.51.100.{i}").json() for i in (1, 1, 2, 3)]

    # The same address twice counts once: hidden at the third different reader.
    assert [a["hidden"] for a in answers] == [False, False, False, True]
    assert article_bodies(reader) == []
    audit = reader.get(
        "/api/v1/moderation/audit", params={"comment": comment_id}, headers=moderator.headers
    ).json()["events"]
    assert (audit[0]["actor"], audit[0]["to_status"], audit[0]["reason"]) == (
        "readers",
        "pending",
        "3 reports (hidden from 3)",
    )

    decision = reader.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        json={"action": "approve", "note": "reports unfounded"},
        headers=moderator.headers,
    )

    assert decision.status_code == 200
    assert article_bodies(reader) == ["Contested remark"]
    queue = reader.get("/api/v1/moderation/queue?status=reported", headers=moderator.headers).json()
    assert queue["items"] == []
    assert queue["counts"]["reported"] == 0


def test_only_published_comments_can_be_reported(reader: TestClient, database_url: str) -> None:
    answer = reader.post("/api/v1/comments", json={**VALID, "body": "Not decided yet"})
    comment_id = answer.json()["id"]

    queued = reader.post(f"/api/v1/comments/{comment_id}/reports", json={"reason": "spam"})
    unknown = reader.post("/api/v1/comments/424242/reports", json={"reason": "spam"})

    assert queued.status_code == unknown.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "boring"}, "reason"),
        ({}, "reason"),
        ({"reason": "other", "text": "x" * 1001}, "text"),
        ({"reason": "other", "extra": 1}, "extra"),
    ],
)
def test_a_bad_report_names_its_field(
    reader: TestClient, database_url: str, body: dict[str, Any], field: str
) -> None:
    comment_id = published(reader, database_url, "Fine comment")

    answer = reader.post(f"/api/v1/comments/{comment_id}/reports", json=body)

    assert answer.status_code == 422, answer.text
    assert [f["field"] for f in answer.json()["fields"]] == [field]


def test_one_address_is_limited(app: FastAPI, reader: TestClient, database_url: str) -> None:
    ids = [published(reader, database_url, f"Comment {i}") for i in range(6)]

    answers = [report(app, comment_id, "192.0.2.7") for comment_id in ids]

    assert [a.status_code for a in answers] == [202] * 5 + [429]
    assert int(answers[-1].headers["retry-after"]) > 0


def test_a_form_post_reports_too(reader: TestClient, database_url: str) -> None:
    comment_id = published(reader, database_url, "Reported from a plain form")

    answer = reader.post(
        f"/api/v1/comments/{comment_id}/reports",
        data={"reason": "off-topic", "text": "", "submit": "Report"},
    )

    assert answer.status_code == 202, answer.text
