"""Statements of reasons (DSA Art. 17), end to end through the API on SQLite and PostgreSQL: a
comment the real worker removes shows its statement to its author (status URL, article page,
their list of unpublished comments) and to nobody else; the webhook event and the moderation
API carry it; a moderator's removal is stated as a person's decision."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from classifiers import DEFAULT_MODEL_DIR
from moderation.domain.statements import DEFAULT_REDRESS
from moderation.domain.statuses import CommentStatus
from moderation.services import webhooks
from moderation.services.accounts import Role
from moderation.storage.db import session_scope
from moderation.storage.models import WebhookDelivery
from tests.support.decisions import decide, decision, record_decisions
from tests.support.staff import add_account
from tests.support.worker_env import worker_module

SPAM = "Great article! Earn $500 a day from home, visit http://cheap-pills.example.com now!!!"
HOOK = "https://hooks.example.org/moderation"
AUTHOR = {"X-Reader-Token": "author-token"}
SOMEONE_ELSE = {"X-Reader-Token": "someone-elses-token"}


@pytest.fixture
def worker_tasks(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    """The worker's decide task, run in this process on the test's database with the real
    model; a site that removes spam from 0.9 (the default is 0.99)."""
    yield from worker_module(
        "workers.tasks",
        monkeypatch,
        database_url,
        tmp_path / "data",
        model_dir=str(DEFAULT_MODEL_DIR),
        spam_reject_threshold="0.9",
    )


def post(client: TestClient, body: str, article: str = "story-1") -> int:
    answer = client.post(
        "/api/v1/comments",
        json={
            "article_id": article,
            "author_name": "Sam Seller",
            "author_email": "sam@example.org",
            "body": body,
        },
        headers=AUTHOR,
    )
    assert answer.status_code == 202, answer.text
    return int(answer.json()["id"])


def status_url(client: TestClient, comment_id: int, headers: dict[str, str]) -> dict[str, Any]:
    client.cookies.clear()
    answer = client.get(f"/api/v1/comments/{comment_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def event_statements(database_url: str, comment_id: int) -> list[dict[str, Any] | None]:
    with session_scope(database_url) as session:
        payloads = session.execute(
            select(WebhookDelivery.payload)
            .where(WebhookDelivery.comment_id == comment_id)
            .order_by(WebhookDelivery.id)
        ).scalars()
        return [payload["data"]["statement"] for payload in payloads]


def hook_default_site(database_url: str) -> None:
    with session_scope(database_url) as session:
        webhooks.add_endpoint(session, "default", HOOK)


def test_a_comment_the_policy_removes_states_its_reasons_to_its_author_alone(
    client: TestClient, worker_tasks: ModuleType, database_url: str
) -> None:
    hook_default_site(database_url)
    comment_id = post(client, SPAM)

    assert worker_tasks.decide_comments.run([comment_id])["decided"] == 1

    mine = status_url(client, comment_id, AUTHOR)
    assert mine["status"] == "spam"
    statement = mine["statement"]
    assert statement["decision"] == "removed as spam"
    assert statement["decided_by"] == "policy"
    assert statement["ground"] == {
        "key": "spam",
        "kind": "house_rule",
        "title": "Spam",
        "law": None,
    }
    assert re.fullmatch(
        r"The site's automated checks found: spam [01]\.\d\d >= 0\.9\.", statement["facts"]
    )
    assert (statement["automated_detection"], statement["automated_decision"]) == (True, True)
    assert statement["redress"] == DEFAULT_REDRESS
    # The appeal page, by a signed link (docs/appeals.md), while the window is open.
    assert re.fullmatch(r"http://testserver/appeals/\d+\.[\w-]{22}", statement["appeal"])
    assert statement["appeal_status"] is None
    # Another reader's token, and a visitor without any, learn the status and nothing more.
    assert status_url(client, comment_id, SOMEONE_ELSE)["statement"] is None
    assert status_url(client, comment_id, {})["statement"] is None

    # The author's article page and their list of unpublished comments say it too.
    page = client.get("/articles/story-1", headers=AUTHOR).text
    assert 'aria-label="Statement of reasons"' in page and "removed as spam" in page
    for headers in (SOMEONE_ELSE, {}):
        client.cookies.clear()
        assert "Statement of reasons" not in client.get("/articles/story-1", headers=headers).text
    listed = client.get("/api/v1/articles/story-1/comments", headers=AUTHOR).json()
    assert listed["not_published"][0]["statement"] == statement

    # The site's webhook event carries it, the worker's appeal link a path while the
    # deployment does not name its public address (MODERATION_PUBLIC_URL); moderators see it
    # with who decided.
    path = statement["appeal"].removeprefix("http://testserver")
    assert event_statements(database_url, comment_id) == [{**statement, "appeal": path}]
    moderator = add_account(database_url, "mo")
    seen = client.get(
        f"/api/v1/moderation/comments/{comment_id}/statements", headers=moderator.headers
    ).json()
    assert seen["statements"] == [{**statement, "actor": "policy"}]


def test_a_moderators_removal_is_stated_as_a_persons_decision(
    client: TestClient, database_url: str
) -> None:
    hook_default_site(database_url)
    held, published = post(client, "Someone should pay the mayor a visit."), post(client, "Meh.")
    toxicity = {"rule": "toxicity", "value": 0.7, "threshold": 0.5, "op": ">="}
    record_decisions(database_url, [decision(held, CommentStatus.PENDING, reasons=[toxicity])])
    decide(database_url, [published], CommentStatus.APPROVED)
    moderator = add_account(database_url, "mo")

    for comment_id, body in (
        (held, {"action": "reject", "ground": "threat", "note": "threatens the mayor"}),
        (published, {"action": "reject", "ground": "harassment"}),
    ):
        answer = client.post(
            f"/api/v1/moderation/comments/{comment_id}/decision",
            json=body,
            headers=moderator.headers,
        )
        assert answer.status_code == 200, answer.text

    statement = status_url(client, held, AUTHOR)["statement"]
    assert statement["decided_by"] == "person" and statement["decision"] == "removed"
    assert statement["ground"]["key"] == "threats"
    # The policy held it first: detected by automated means, decided by a person.
    assert (statement["automated_detection"], statement["automated_decision"]) == (True, False)
    assert "toxicity 0.70 >= 0.5" in statement["facts"]
    assert statement["facts"].endswith("A moderator removed it: threatens the mayor")
    assert event_statements(database_url, held)[-1] == statement

    # Published by the policy, found by a person: nothing automated about it.
    other = status_url(client, published, AUTHOR)["statement"]
    assert other["ground"]["key"] == "harassment"
    assert (other["automated_detection"], other["automated_decision"]) == (False, False)
    assert other["facts"] == "A moderator removed it."
    # Put back, the comment has no statement to show; its history stays for moderators.
    client.post(
        f"/api/v1/moderation/comments/{published}/undo", headers=moderator.headers
    ).raise_for_status()
    assert status_url(client, published, AUTHOR)["statement"] is None
    history = client.get(
        f"/api/v1/moderation/comments/{published}/statements", headers=moderator.headers
    ).json()
    assert [s["actor"] for s in history["statements"]] == ["mo"]


def test_admins_keep_the_catalogue_and_statements_keep_their_words(
    client: TestClient, database_url: str
) -> None:
    admin, moderator = add_account(database_url, "ada", Role.ADMIN), add_account(database_url, "mo")
    grounds = "/api/v1/admin/sites/default/grounds"

    seeded = client.get(grounds, headers=admin.headers).json()
    assert [g["key"] for g in seeded] == [
        "spam", "harassment", "hate", "threats", "off_topic", "obscene", "banned", "other",
        "illegal",
    ]  # fmt: skip
    assert seeded[-1]["kind"] == "illegal" and "Digital Services Act" in seeded[-1]["law"]
    assert client.get(grounds, headers=moderator.headers).status_code == 403
    assert (
        client.get("/api/v1/admin/sites/nowhere/grounds", headers=admin.headers).status_code == 404
    )

    incitement = {"key": "incitement", "kind": "illegal", "title": "Incitement to hatred"}
    refused = client.post(grounds, json=incitement, headers=admin.headers)
    assert refused.status_code == 422 and "law" in refused.text
    added = client.post(grounds, json={**incitement, "law": "StGB §130"}, headers=admin.headers)
    assert added.status_code == 201 and added.json()["law"] == "StGB §130"
    again = client.post(grounds, json={**incitement, "law": "StGB §130"}, headers=admin.headers)
    assert again.status_code == 409
    assert client.post(grounds, json=incitement, headers=moderator.headers).status_code == 403

    # A removal stated on "spam", then the ground reworded and retired: the statement keeps
    # the words its author was given.
    comment_id = post(client, "Buy cheap watches at my shop.")
    decide(database_url, [comment_id], CommentStatus.SPAM)
    changed = client.patch(
        f"{grounds}/spam", json={"title": "Advertising", "retired": True}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["retired"]) == ("Advertising", True)
    assert status_url(client, comment_id, AUTHOR)["statement"]["ground"]["title"] == "Spam"
    listed = {g["key"]: g for g in client.get(grounds, headers=admin.headers).json()}
    assert listed["spam"]["retired"] and listed["incitement"]["kind"] == "illegal"
    no_law = client.patch(f"{grounds}/incitement", json={"law": ""}, headers=admin.headers)
    assert no_law.status_code == 422
    assert client.patch(f"{grounds}/nothing", json={}, headers=admin.headers).status_code == 404
