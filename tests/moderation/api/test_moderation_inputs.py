"""What a moderator sends that no database can take is refused with a 4xx naming it, on SQLite
and on PostgreSQL alike: NUL (PostgreSQL holds no NUL in text and fails the query) in filters
and notes, and ids beyond the 64-bit range (both databases fail on them). The schemathesis run
(tests/e2e/test_openapi_fuzz.py) found the first two on PostgreSQL as 5xx."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from moderation.domain.schemas import MAX_ID
from moderation.services import review
from moderation.services.accounts import Role, Staff
from moderation.storage.db import session_scope
from tests.support.staff import add_account, sign_in

NUL = "a\x00b"

# (request, arguments, the field the 422 names)
REFUSED: list[tuple[str, str, dict[str, Any], str]] = [
    ("GET", "/api/v1/moderation/queue", {"params": {"q": NUL}}, "q"),
    ("GET", "/api/v1/moderation/queue", {"params": {"author": NUL}}, "author"),
    ("GET", "/api/v1/moderation/queue", {"params": {"article": NUL}}, "article"),
    ("GET", "/api/v1/moderation/audit", {"params": {"actor": NUL}}, "actor"),
    ("GET", "/api/v1/moderation/audit.csv", {"params": {"actor": NUL}}, "actor"),
    (
        "POST",
        "/api/v1/moderation/decisions",
        {"json": {"action": "approve", "ids": [MAX_ID + 1]}},
        "ids.0",
    ),
    (
        "POST",
        "/api/v1/moderation/comments/1/decision",
        {"json": {"action": "approve", "note": NUL}},
        "note",
    ),
    ("POST", "/api/v1/moderation/authors", {"json": {"action": "ban", "ip": NUL}}, "ip"),
    (
        "POST",
        "/api/v1/moderation/authors",
        {"json": {"action": "ban", "email": "x@example.com", "note": NUL}},
        "note",
    ),
    (
        "POST",
        "/api/v1/admin/word-rules",
        {"json": {"kind": "blocked", "term": "casino", "note": NUL}},
        "note",
    ),
]


def test_what_no_database_can_take_is_refused_naming_the_field(
    api: TestClient, database_url: str
) -> None:
    admin = add_account(database_url, "nul-admin", Role.ADMIN)
    for method, path, arguments, field in REFUSED:
        answer = api.request(method, path, headers=admin.headers, **arguments)

        assert answer.status_code == 422, (path, arguments, answer.text)
        named = [problem["field"] for problem in answer.json()["fields"]]
        assert any(name.endswith(field) for name in named), (path, named)

    lifted = api.delete("/api/v1/moderation/authors", params={"value": NUL}, headers=admin.headers)
    assert lifted.status_code == 404, lifted.text


def test_the_workspace_refuses_them_too(api: TestClient, database_url: str) -> None:
    add_account(database_url, "nul-mod")
    sign_in(api, "nul-mod")

    queue = api.get("/moderation/queue/pending", params={"q": NUL})
    audit = api.get("/moderation/audit", params={"actor": NUL})
    beyond = api.get("/moderation/audit", params={"comment": str(MAX_ID + 1)})

    assert queue.status_code == 422, queue.text
    assert audit.status_code == 422, audit.text
    assert beyond.status_code == 422, beyond.text


@pytest.mark.parametrize("ids", [[MAX_ID + 1], [0], [-1]])
def test_a_decision_on_an_id_no_comment_can_have_is_not_found(
    api: TestClient, database_url: str, ids: list[int]
) -> None:
    """The workspace's form passes its ids to the domain unchecked by pydantic."""
    with session_scope(database_url) as session:
        results = review.moderate(
            session, Staff(id=0, name="form", role=Role.MODERATOR), ids, review.Action.APPROVE
        )

    assert [(r.id, r.error) for r in results] == [(ids[0], "comment not found")]
