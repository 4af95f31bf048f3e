"""Moderators and admins for the workspace tests: real accounts, real tokens, real sessions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from moderation.domain.statuses import CommentStatus
from moderation.services import accounts
from moderation.services.accounts import Role
from moderation.storage import comments as comment_store
from moderation.storage.db import session_scope
from tests.support.decisions import decision, record_decisions

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    name: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def add_account(database_url: str, name: str, role: Role = Role.MODERATOR) -> Account:
    with session_scope(database_url) as session:
        accounts.add_user(session, name, role, PASSWORD)
        token = accounts.create_token(session, name)
    return Account(name, role, token)


def post_sign_in(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    """The login form, filled in and posted as a browser does; the answer to the post."""
    form = client.get("/moderation/login")
    assert form.status_code == 200, form.text
    login_token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert login_token
    return client.post(
        "/moderation/login",
        data={"name": name, "password": password, "csrf_token": login_token.group(1)},
        follow_redirects=False,
    )


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in through the login form as a browser does; the CSRF token of the session."""
    answer = post_sign_in(client, name, password)
    assert answer.status_code == 303, answer.text
    page = client.get("/moderation/queue/pending")
    assert page.status_code == 200, page.text
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert found
    return found.group(1)


def decided(
    database_url: str,
    comment_id: int,
    status: CommentStatus,
    scores: dict[str, float],
    reasons: list[dict[str, object]] | None = None,
    explanation: dict[str, object] | None = None,
) -> None:
    """Record the policy's decision as a worker does (optionally with its explanation)."""
    record_decisions(database_url, [decision(comment_id, status, scores, reasons=reasons)])
    if explanation is not None:
        with session_scope(database_url) as session:
            comment_store.store_explanations(session, {comment_id: explanation})
