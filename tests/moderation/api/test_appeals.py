"""Appeals (DSA Art. 20) through the API on SQLite and PostgreSQL: the author appeals a removal
with their reader token or the statement's signed link, within the window, one open appeal at
a time; a moderator other than the one who removed it decides; the author sees the outcome;
the audit log and the webhooks carry each step; retention and erasure keep their rules."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from moderation.domain.clock import utcnow
from moderation.domain.privacy import ERASED_TEXT, REMOVED_TEXT
from moderation.domain.statuses import CommentStatus
from moderation.services import privacy, retention, webhooks
from moderation.storage.db import session_scope
from moderation.storage.models import (
    Appeal,
    Comment,
    Decision,
    ModerationEvent,
    Statement,
    WebhookDelivery,
)
from tests.support.decisions import decision, record_decisions
from tests.support.staff import add_account, post_sign_in

AUTHOR = {"X-Reader-Token": "author-token"}
SOMEONE_ELSE = {"X-Reader-Token": "someone-elses-token"}
INSULT = {"rule": "toxicity", "value": 0.97, "threshold": 0.9, "op": ">="}


def removed_by_policy(client: TestClient, database_url: str, body: str = "You idiot.") -> int:
    answer = client.post(
        "/api/v1/comments",
        json={
            "article_id": "story-1",
            "author_name": "Ann",
            "author_email": "ann@example.org",
            "body": body,
        },
        headers=AUTHOR,
    )
    assert answer.status_code == 202, answer.text
    comment_id = int(answer.json()["id"])
    record_decisions(database_url, [decision(comment_id, CommentStatus.REJECTED, reasons=[INSULT])])
    return comment_id


def statement_of(client: TestClient, comment_id: int, headers: dict[str, str]) -> Any:
    client.cookies.clear()
    return client.get(f"/api/v1/comments/{comment_id}", headers=headers).json()["statement"]


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def events(database_url: str, comment_id: int) -> list[tuple[str, str]]:
    with session_scope(database_url) as session:
        rows = session.execute(
            select(ModerationEvent.actor, ModerationEvent.reason)
            .where(ModerationEvent.comment_id == comment_id)
            .order_by(ModerationEvent.id)
        ).all()
    return [(a, r) for a, r in rows]


def webhook_types(database_url: str, comment_id: int) -> list[str]:
    with session_scope(database_url) as session:
        return list(
            session.execute(
                select(WebhookDelivery.event_type)
                .where(WebhookDelivery.comment_id == comment_id)
                .order_by(WebhookDelivery.id)
            ).scalars()
        )


def test_the_author_appeals_a_policy_removal_and_another_person_reinstates_it(
    client: TestClient, database_url: str
) -> None:
    with session_scope(database_url) as session:
        webhooks.add_endpoint(session, "default", "https://hooks.example.org/m")
    comment_id = removed_by_policy(client, database_url)
    mine = statement_of(client, comment_id, AUTHOR)
    assert mine["appeal"].startswith("http://testserver/appeals/")
    assert statement_of(client, comment_id, SOMEONE_ELSE) is None

    # Only the token that wrote it may appeal by comment id; anyone else learns nothing.
    body = {"comment_id": comment_id, "explanation": "It was a joke between friends."}
    refused = client.post("/api/v1/appeals", json=body, headers=SOMEONE_ELSE)
    assert refused.status_code == 404
    filed = client.post("/api/v1/appeals", json=body, headers=AUTHOR)
    assert filed.status_code == 201, filed.text
    assert filed.json()["status"] == "open"
    again = client.post("/api/v1/appeals", json=body, headers=AUTHOR)
    assert again.status_code == 409 and "under review" in again.json()["message"]
    assert statement_of(client, comment_id, AUTHOR)["appeal_status"] == "open"

    moderator = add_account(database_url, "mo")
    queue = client.get("/api/v1/moderation/appeals", headers=moderator.headers).json()
    (item,) = queue["items"]
    assert (item["explanation"], item["may_decide"], item["decided_by"]) == (
        "It was a joke between friends.",
        True,
        "policy",
    )
    decided = client.post(
        f"/api/v1/moderation/appeals/{item['id']}/decision",
        json={"outcome": "reinstated", "note": "Banter, not an insult."},
        headers=moderator.headers,
    )
    assert decided.status_code == 200, decided.text
    status = client.get(f"/api/v1/comments/{comment_id}", headers=AUTHOR).json()
    assert status["status"] == "approved" and status["comment"]["body"] == "You idiot."

    page = client.get(f"/api/v1/appeals/{token_of(mine['appeal'])}").json()
    assert page["appeal"]["status"] == "reinstated"
    assert page["appeal"]["note"] == "Banter, not an insult."
    assert page["can_appeal"] is False
    assert [r for _, r in events(database_url, comment_id)][-2:] == [
        f"appeal {item['id']} filed",
        f"approve: appeal {item['id']} reinstated: Banter, not an insult.",
    ]
    assert webhook_types(database_url, comment_id) == [
        "comment.status_changed",
        "appeal.filed",
        "comment.status_changed",
        "appeal.decided",
    ]


def test_the_moderator_who_removed_it_cannot_decide_and_appeals_are_limited(
    client: TestClient, database_url: str
) -> None:
    comment_id = removed_by_policy(client, database_url, "Meh.")
    remover, other = add_account(database_url, "remover"), add_account(database_url, "other")
    client.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        json={"action": "approve"},
        headers=remover.headers,
    ).raise_for_status()
    client.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        json={"action": "reject", "ground": "harassment", "note": "rude"},
        headers=remover.headers,
    ).raise_for_status()
    link = statement_of(client, comment_id, AUTHOR)["appeal"]
    token = token_of(link)

    for _attempt in range(2):
        filed = client.post("/api/v1/appeals", json={"token": token, "explanation": "Not rude."})
        assert filed.status_code == 201, filed.text
        (item,) = client.get("/api/v1/moderation/appeals", headers=remover.headers).json()["items"]
        assert item["may_decide"] is False and "another moderator" in item["cannot_decide_because"]
        plain = client.base_url
        client.base_url = plain.copy_with(scheme="https")  # the session cookie is Secure
        post_sign_in(client, "remover")
        html = client.get("/moderation/appeals").text
        assert "disabled" in html and "You cannot decide this appeal" in html
        client.cookies.clear()
        client.base_url = plain
        same = client.post(
            f"/api/v1/moderation/appeals/{item['id']}/decision",
            json={"outcome": "upheld", "note": "Still rude."},
            headers=remover.headers,
        )
        assert same.status_code == 403 and "another moderator" in same.json()["message"]
        upheld = client.post(
            f"/api/v1/moderation/appeals/{item['id']}/decision",
            json={"outcome": "upheld", "note": "Still rude."},
            headers=other.headers,
        )
        assert upheld.status_code == 200, upheld.text
        twice = client.post(
            f"/api/v1/moderation/appeals/{item['id']}/decision",
            json={"outcome": "reinstated", "note": "x"},
            headers=other.headers,
        )
        assert twice.status_code == 409
    seen = statement_of(client, comment_id, AUTHOR)
    assert (seen["appeal_status"], seen["appeal_note"]) == ("upheld", "Still rude.")
    third = client.post("/api/v1/appeals", json={"token": token, "explanation": "Please."})
    assert third.status_code == 409 and "2 times" in third.json()["message"]
    assert "You cannot appeal this decision" in client.get(f"/appeals/{token}").text


def test_a_tampered_link_is_unknown_and_a_closed_window_refuses(
    client: TestClient, database_url: str
) -> None:
    comment_id = removed_by_policy(client, database_url)
    token = token_of(statement_of(client, comment_id, AUTHOR)["appeal"])
    statement_id, signature = token.split(".")
    for forged in (f"{int(statement_id) + 1}.{signature}", f"{statement_id}.{'A' * 22}", "1"):
        answer = client.post("/api/v1/appeals", json={"token": forged, "explanation": "x"})
        assert answer.status_code == 404, forged
        assert client.get(f"/appeals/{forged}").status_code == 404
    with session_scope(database_url) as session:
        session.execute(update(Statement).values(created_at=utcnow() - timedelta(days=200)))
    closed = client.post("/api/v1/appeals", json={"token": token, "explanation": "Late."})
    assert closed.status_code == 410 and "ended on" in closed.json()["message"]
    assert statement_of(client, comment_id, AUTHOR)["appeal"] is None
    page = client.get(f"/appeals/{token}").text
    assert "You cannot appeal this decision: the time to appeal" in page
    too_long = client.post("/api/v1/appeals", json={"token": token, "explanation": "x" * 2001})
    assert too_long.status_code == 422 and too_long.json()["fields"][0]["field"] == "explanation"


def test_retention_keeps_an_appealed_text_and_a_reinstatement_after_it_went_publishes_nothing(
    client: TestClient, database_url: str
) -> None:
    kept, gone = removed_by_policy(client, database_url), removed_by_policy(client, database_url)
    for comment_id in (kept, gone):
        client.post(
            "/api/v1/appeals",
            json={"comment_id": comment_id, "explanation": "Wrong."},
            headers=AUTHOR,
        ).raise_for_status()
    long_ago = utcnow() - timedelta(days=120)
    with session_scope(database_url) as session:
        session.execute(update(Comment).values(decided_at=long_ago))
        session.execute(update(ModerationEvent).values(created_at=long_ago))
        session.execute(update(Decision).values(created_at=long_ago))
        # The second appeal was decided (upheld) before: nothing holds that text any more.
        session.execute(update(Appeal).where(Appeal.comment_id == gone).values(status="upheld"))
    retention.apply(lambda: session_scope(database_url), retention.RetentionPeriods())
    with session_scope(database_url) as session:
        bodies = dict(session.execute(select(Comment.id, Comment.body)).all())
        assert bodies == {kept: "You idiot.", gone: REMOVED_TEXT}
        session.execute(update(Appeal).where(Appeal.comment_id == gone).values(status="open"))
        appeal_id = session.execute(select(Appeal.id).where(Appeal.comment_id == gone)).scalar_one()
    moderator = add_account(database_url, "mo")
    answer = client.post(
        f"/api/v1/moderation/appeals/{appeal_id}/decision",
        json={"outcome": "reinstated", "note": "Fair point."},
        headers=moderator.headers,
    )
    assert answer.status_code == 200, answer.text
    assert "cannot be published again" in answer.json()["message"]
    assert client.get(f"/api/v1/comments/{gone}").json()["status"] == "rejected"
    # The author's page says why the reversed decision left the comment unpublished.
    page = client.get("/articles/story-1", headers=AUTHOR).text
    (said,) = re.findall(r'<dd class="statement-appeal" data-status="reinstated">([^<]*)', page)
    assert "cannot be published again" in said


def test_an_erasure_removes_the_explanation_and_an_export_lists_the_appeals(
    client: TestClient, database_url: str
) -> None:
    with session_scope(database_url) as session:
        webhooks.add_endpoint(session, "default", "https://hooks.example.org/m")
    comment_id = removed_by_policy(client, database_url)
    client.post(
        "/api/v1/appeals",
        json={"comment_id": comment_id, "explanation": "I am Ann from Leeds."},
        headers=AUTHOR,
    ).raise_for_status()
    with session_scope(database_url) as session:
        exported = privacy.export(session, "ann@example.org")
    (comment,) = exported["comments"]
    assert comment["appeals"][0]["explanation"] == "I am Ann from Leeds."
    with session_scope(database_url) as session:
        privacy.erase(session, "ann@example.org", "admin")
    with session_scope(database_url) as session:
        explanation = session.execute(select(Appeal.explanation)).scalar_one()
    assert explanation == ERASED_TEXT
    # Nor does the delivery log of the appeal.filed event keep it.
    with session_scope(database_url) as session:
        payloads = session.execute(
            select(WebhookDelivery.payload).where(WebhookDelivery.event_type == "appeal.filed")
        ).scalars()
        assert [p["data"]["appeal"]["explanation"] for p in payloads] == [ERASED_TEXT]
