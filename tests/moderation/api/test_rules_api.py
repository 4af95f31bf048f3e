"""Bans, trust and word lists through the API, and the author history the policy reads, on
both databases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from moderation.domain.authors import Author, AuthorStanding
from moderation.domain.statuses import CommentStatus
from moderation.services import authors
from moderation.services.accounts import Role
from moderation.storage.db import session_scope
from tests.moderation.conftest import VALID
from tests.support.staff import Account, add_account, decided


@pytest.fixture
def moderator(database_url: str) -> Account:
    return add_account(database_url, "mona")


@pytest.fixture
def admin(database_url: str) -> Account:
    return add_account(database_url, "ada", Role.ADMIN)


def test_ban_trust_and_lift(api: TestClient, moderator: Account) -> None:
    banned = api.post(
        "/api/v1/moderation/authors",
        json={"action": "ban", "email": "Troll@Example.com", "note": "repeat abuse"},
        headers=moderator.headers,
    )
    by_ip = api.post(
        "/api/v1/moderation/authors",
        json={"action": "ban", "ip": "2001:db8::0001"},
        headers=moderator.headers,
    )
    trusted = api.post(
        "/api/v1/moderation/authors",
        json={"action": "trust", "email": "troll@example.com"},
        headers=moderator.headers,
    )

    assert banned.status_code == by_ip.status_code == trusted.status_code == 201
    assert banned.json()["value"] == "troll@example.com"
    assert by_ip.json()["value"] == "2001:db8::1"
    listed = api.get("/api/v1/moderation/authors", headers=moderator.headers).json()
    # Trusting the banned email ended its ban: the latest word holds.
    assert sorted((r["kind"], r["value"]) for r in listed) == [
        ("ban_ip", "2001:db8::1"),
        ("trust_email", "troll@example.com"),
    ]
    lifted = api.delete(
        "/api/v1/moderation/authors",
        params={"value": "troll@example.com"},
        headers=moderator.headers,
    )
    assert lifted.status_code == 204
    again = api.delete(
        "/api/v1/moderation/authors",
        params={"value": "troll@example.com"},
        headers=moderator.headers,
    )
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "ban"}, "email"),
        ({"action": "ban", "email": "a@b.example", "ip": "192.0.2.1"}, "email"),
        ({"action": "ban", "ip": "not-an-ip"}, "ip"),
        ({"action": "trust", "ip": "192.0.2.1"}, "ip"),
        ({"action": "ban", "email": "nobody"}, "email"),
        ({"action": "smite", "email": "a@b.example"}, "body.action"),
    ],
)
def test_a_bad_author_rule_names_its_field(
    api: TestClient, moderator: Account, body: dict[str, str], field: str
) -> None:
    answer = api.post("/api/v1/moderation/authors", json=body, headers=moderator.headers)

    assert answer.status_code == 422, answer.text
    assert [f["field"] for f in answer.json()["fields"]] == [field]


def test_admins_keep_the_word_lists(api: TestClient, admin: Account, moderator: Account) -> None:
    added = api.post(
        "/api/v1/admin/word-rules",
        json={"kind": "blocked", "term": " Cialis ", "note": "pharmacy spam"},
        headers=admin.headers,
    )
    bad = api.post(
        "/api/v1/admin/word-rules", json={"kind": "blocked", "term": "<b>"}, headers=admin.headers
    )
    by_moderator = api.post(
        "/api/v1/admin/word-rules",
        json={"kind": "blocked", "term": "x"},
        headers=moderator.headers,
    )

    assert added.status_code == 201, added.text
    assert added.json()["term"] == "cialis"
    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["fields"]] == ["term"]
    assert by_moderator.status_code == 403
    listed = api.get("/api/v1/admin/word-rules", headers=admin.headers).json()
    assert [(r["kind"], r["term"], r["created_by"]) for r in listed] == [
        ("blocked", "cialis", "ada")
    ]
    removed = api.delete(f"/api/v1/admin/word-rules/{added.json()['id']}", headers=admin.headers)
    assert removed.status_code == 204
    assert api.get("/api/v1/admin/word-rules", headers=admin.headers).json() == []


def test_standing_reads_bans_trust_and_recent_history(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    statuses = [CommentStatus.APPROVED, CommentStatus.REJECTED, CommentStatus.SPAM]
    for i, status in enumerate(statuses * 2):
        answer = api.post("/api/v1/comments", json={**VALID, "body": f"Comment {i}"})
        decided(database_url, answer.json()["id"], status, {"spam": 0.1, "toxicity": 0.1})
    api.post(
        "/api/v1/moderation/authors",
        json={"action": "ban", "ip": "192.0.2.9"},
        headers=moderator.headers,
    )

    with session_scope(database_url) as session:
        found = authors.standings(
            session,
            {
                1: Author(VALID["author_email"], "192.0.2.1"),
                2: Author("new@example.org", "192.0.2.9"),
            },
            window=4,
            approved_needed=5,
        )
        # The policy only asks whether an author has had enough approved: no more are counted.
        capped = authors.standings(
            session, {1: Author(VALID["author_email"], None)}, window=10, approved_needed=1
        )

    assert found[1] == AuthorStanding(approved=2, removed_recently=3, recent=4)
    assert found[2] == AuthorStanding(banned_by="ip")
    assert capped[1] == AuthorStanding(approved=1, removed_recently=4, recent=6)
