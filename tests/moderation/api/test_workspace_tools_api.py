"""The moderators' tools beyond one decision, through the API and the workspace's forms: a
ground from the site's catalogue with a note, the queues' counts, ban and remove with undo,
suspensions that end by themselves, an author's page and the notes moderators leave on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from moderation.domain.authors import Author
from moderation.domain.statuses import CommentStatus
from moderation.services import authors, privacy
from moderation.storage import rules as rules_store
from moderation.storage.db import session_scope
from moderation.storage.models import AuthorRule, ModeratorLabel, Statement
from tests.moderation.api.test_moderation_api import held, submit
from tests.moderation.conftest import VALID
from tests.support.staff import Account, add_account, decided, sign_in


@pytest.fixture
def moderator(database_url: str) -> Account:
    return add_account(database_url, "mona")


def status(api: TestClient, comment_id: int) -> str:
    return str(api.get(f"/api/v1/comments/{comment_id}").json()["status"])


@pytest.mark.parametrize(
    ("ground", "key", "title", "law", "trained"),
    [
        ("off_topic", "off_topic", "Off topic", None, "other"),
        (
            "illegal",
            "illegal",
            "Illegal content",
            "Regulation (EU) 2022/2065 (Digital Services Act), Art. 3(h): illegal content",
            "other",
        ),
        ("threats", "threats", "Threats of violence", None, "threat"),
        ("threat", "threats", "Threats of violence", None, "threat"),
    ],
)
def test_a_catalogue_ground_lands_in_the_statement_the_label_and_the_audit(
    api: TestClient,
    database_url: str,
    moderator: Account,
    ground: str,
    key: str,
    title: str,
    law: str | None,
    trained: str,
) -> None:
    comment_id = held(api, database_url, "Borderline words", 0.6)

    answer = api.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        json={"action": "reject", "ground": ground, "note": "see the court order"},
        headers=moderator.headers,
    )

    assert answer.status_code == 200, answer.text
    assert (answer.json()["ground"], answer.json()["ground_key"]) == (trained, key)
    with session_scope(database_url) as session:
        (statement,) = session.query(Statement).filter_by(comment_id=comment_id).all()
        (label,) = session.query(ModeratorLabel).filter_by(comment_id=comment_id).all()
        assert (statement.ground_key, statement.ground_title, statement.ground_law) == (
            key,
            title,
            law,
        )
        assert statement.facts.endswith("A moderator removed it: see the court order")
        assert label.ground == trained
        # Off topic or illegal: no model scores it, so it says nothing about toxicity.
        assert label.toxic is (None if trained == "other" else True)
    audit = api.get(f"/api/v1/moderation/audit?comment={comment_id}", headers=moderator.headers)
    assert audit.json()["events"][0]["reason"] == f"reject ({ground}): see the court order"


def test_a_ground_the_site_does_not_offer_is_refused_and_changes_nothing(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    comment_id = held(api, database_url, "Borderline words", 0.6)

    one = api.post(
        f"/api/v1/moderation/comments/{comment_id}/decision",
        json={"action": "reject", "ground": "rude"},
        headers=moderator.headers,
    )
    many = api.post(
        "/api/v1/moderation/decisions",
        json={"ids": [comment_id], "action": "reject", "ground": "rude"},
        headers=moderator.headers,
    )

    assert one.status_code == 422
    assert [f["field"] for f in one.json()["fields"]] == ["body.ground"]
    assert many.json() == [
        {
            "id": comment_id,
            "status": None,
            "previous_status": None,
            "ground": None,
            "ground_key": None,
            "error": "the comment's site has no such removal ground",
        }
    ]
    assert status(api, comment_id) == "pending"


def test_the_counts_follow_decisions(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    first = held(api, database_url, "One", 0.6)
    held(api, database_url, "Two", 0.6)
    before = api.get("/api/v1/moderation/counts", headers=moderator.headers).json()

    api.post(
        f"/api/v1/moderation/comments/{first}/decision",
        json={"action": "spam"},
        headers=moderator.headers,
    )

    after = api.get("/api/v1/moderation/counts", headers=moderator.headers).json()
    assert before == {"pending": 2, "reported": 0, "spam": 0, "rejected": 0, "approved": 0}
    assert after == {"pending": 1, "reported": 0, "spam": 1, "rejected": 0, "approved": 0}


def _pats_comments(api: TestClient, database_url: str) -> dict[str, int]:
    pat = {"author_name": "Pat", "author_email": "pat@example.com"}
    ids = {
        "waiting": held(api, database_url, "You fool", 0.7, **pat),
        "published": submit(api, body="Earlier words", article_id="story-2", **pat),
        "queued": submit(api, body="Not decided yet", **pat),
        "removed": held(api, database_url, "Old insult", 0.9, **pat),
        "someone else's": held(api, database_url, "Another", 0.7),
    }
    decided(database_url, ids["published"], CommentStatus.APPROVED, {"spam": 0.0})
    # Removed already, by a colleague: ban and remove leaves it, and its undo too.
    api.post(
        f"/api/v1/moderation/comments/{ids['removed']}/decision",
        json={"action": "reject"},
        headers=add_account(database_url, "nick").headers,
    )
    return ids


def test_ban_and_remove_bans_and_removes_waiting_and_published_then_undo_restores(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    ids = _pats_comments(api, database_url)

    answer = api.post(
        f"/api/v1/moderation/comments/{ids['waiting']}/ban-and-remove",
        json={"ground": "harassment", "note": "third warning", "days": 7},
        headers=moderator.headers,
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rule"]["kind"] == "ban_email" and body["rule"]["value"] == "pat@example.com"
    ends = datetime.fromisoformat(body["rule"]["expires_at"])
    assert timedelta(days=6, hours=23) < ends - datetime.now(UTC) <= timedelta(days=7)
    removed = {r["id"]: r["previous_status"] for r in body["comments"]}
    assert removed == {
        ids["waiting"]: "pending",
        ids["published"]: "approved",
        ids["queued"]: "queued",
    }
    assert {status(api, ids[k]) for k in ("waiting", "published", "queued")} == {"rejected"}
    assert status(api, ids["someone else's"]) == "pending"
    with session_scope(database_url) as session:
        stated = {
            s.comment_id: s.ground_key
            for s in session.query(Statement).filter(Statement.comment_id.in_(removed))
        }
        assert stated == dict.fromkeys(removed, "harassment")
    audit = api.get(
        f"/api/v1/moderation/audit?comment={ids['published']}", headers=moderator.headers
    )
    assert audit.json()["events"][0]["reason"] == (
        "ban and remove: reject (harassment): third warning"
    )

    # A colleague cannot undo it; its author can.
    nick = add_account(database_url, "nina")
    refused = api.post(
        f"/api/v1/moderation/comments/{ids['waiting']}/ban-and-remove/undo", headers=nick.headers
    )
    undone = api.post(
        f"/api/v1/moderation/comments/{ids['waiting']}/ban-and-remove/undo",
        headers=moderator.headers,
    )

    assert refused.status_code == 409
    assert undone.status_code == 200, undone.text
    assert {status(api, i) for i in (ids["waiting"],)} == {"pending"}
    assert status(api, ids["published"]) == "approved"
    assert status(api, ids["queued"]) == "queued"
    assert status(api, ids["removed"]) == "rejected"
    with session_scope(database_url) as session:
        assert rules_store.author_rules(session, ["pat@example.com"]) == []
        assert session.query(ModeratorLabel).filter_by(actor="mona").count() == 0


def test_ban_and_remove_refuses_a_ground_the_site_lacks_and_bans_nobody(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    comment_id = held(api, database_url, "You fool", 0.7)

    answer = api.post(
        f"/api/v1/moderation/comments/{comment_id}/ban-and-remove",
        json={"ground": "rude"},
        headers=moderator.headers,
    )

    assert answer.status_code == 422
    with session_scope(database_url) as session:
        assert rules_store.author_rules(session) == []


def test_ban_and_remove_of_an_erased_author_bans_nobody_and_removes_nothing(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    """An erasure empties the email of every erased author's comments: banning "" would
    remove all of theirs."""
    erased = submit(api, body="A fine comment.")
    other_erased = submit(api, body="Another one.", author_email="b@example.com")
    for comment_id in (erased, other_erased):
        decided(database_url, comment_id, CommentStatus.APPROVED, {"spam": 0.01})
    with session_scope(database_url) as session:
        privacy.erase(session, VALID["author_email"], "ada")
        privacy.erase(session, "b@example.com", "ada")
    assert status(api, other_erased) == "approved"  # published, its text replaced

    answer = api.post(
        f"/api/v1/moderation/comments/{erased}/ban-and-remove",
        json={"ground": "harassment"},
        headers=moderator.headers,
    )

    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "author_erased"
    assert status(api, other_erased) == "approved"
    with session_scope(database_url) as session:
        assert rules_store.author_rules(session) == []


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"action": "trust", "email": "a@example.com", "days": 3}, "only a ban ends"),
        ({"action": "ban", "email": "a@example.com", "days": 0}, "greater than or equal to 1"),
        (
            {"action": "ban", "email": "a@example.com", "until": "2020-01-01T00:00:00Z"},
            "a suspension ends within",
        ),
        (
            {"action": "ban", "email": "a@example.com", "until": "2999-01-01T00:00:00"},
            "timezone",
        ),
    ],
)
def test_a_suspension_ends_in_the_future_and_only_bans_end(
    api: TestClient, moderator: Account, rule: dict[str, Any], problem: str
) -> None:
    answer = api.post("/api/v1/moderation/authors", json=rule, headers=moderator.headers)

    assert answer.status_code == 422
    assert problem in answer.text


def test_a_suspension_stops_holding_at_its_end_without_any_job(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    answer = api.post(
        "/api/v1/moderation/authors",
        json={"action": "ban", "email": "pat@example.com", "days": 2},
        headers=moderator.headers,
    )
    assert answer.status_code == 201, answer.text
    pat = {1: Author("pat@example.com", None)}
    with session_scope(database_url) as session:
        during = authors.standings(session, pat, 10)[1].banned_by
        next_end = rules_store.next_rule_end(session)
        session.execute(
            update(AuthorRule).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with session_scope(database_url) as session:
        after = authors.standings(session, pat, 10)[1].banned_by
        kept = rules_store.all_author_rules(session)
        listed = api.get("/api/v1/moderation/authors", headers=moderator.headers).json()

    assert during == "email"
    assert next_end is not None and next_end.tzinfo is not None
    assert after is None and kept == set() and listed == []


def test_the_author_page_lists_their_comments_everywhere_and_the_notes_of_others(
    api: TestClient, database_url: str
) -> None:
    pat = {"author_name": "Pat", "author_email": "Pat@Example.com"}
    first = held(api, database_url, "On the budget", 0.6, **pat)
    second = held(api, database_url, "On the buses", 0.6, article_id="buses", **pat)
    held(api, database_url, "Someone else", 0.6)
    add_account(database_url, "mona")
    add_account(database_url, "nick")
    csrf = sign_in(api, "mona")
    noted = api.post(
        f"/moderation/authors/{first}/notes",
        data={"csrf_token": csrf, "note": "Warned <twice>"},
        follow_redirects=False,
    )
    empty = api.post(f"/moderation/authors/{first}/notes", data={"csrf_token": csrf, "note": ""})
    api.post("/moderation/logout", data={"csrf_token": csrf})
    sign_in(api, "nick")

    page = api.get(f"/moderation/authors/{second}")

    assert noted.status_code == 303 and empty.status_code == 422
    assert page.status_code == 200
    assert "On the budget" in page.text and "On the buses" in page.text
    assert "Someone else" not in page.text
    assert ">story-1</a>" in page.text and ">buses</a>" in page.text
    assert "<p>Warned &lt;twice&gt;</p><small>mona," in page.text
    assert api.get("/moderation/authors/999999").status_code == 404
