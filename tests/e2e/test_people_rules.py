"""Rules people set reach the running worker: a moderator's ban, an admin's blocked word and a
site's policy decide the next comments, with their reasons, without a restart."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from sqlalchemy import select

from moderation.services import sites
from moderation.services.accounts import Role
from moderation.storage.db import session_scope
from moderation.storage.models import Decision
from tests.conftest import RedisServer
from tests.support.stack import Stack
from tests.support.staff import add_account


def call(stack: Stack, path: str, token: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        f"{stack.base}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def decision(stack: Stack, comment_id: int) -> tuple[str, list[str]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with session_scope(stack.database_url) as session:
            found = session.execute(
                select(Decision.status, Decision.reasons).where(Decision.comment_id == comment_id)
            ).one_or_none()
        if found is not None:
            return str(found[0]), [r["rule"] for r in found[1]]
        time.sleep(0.1)
    raise AssertionError(f"comment {comment_id} was not decided\n{stack.logs()}")


def test_a_ban_and_a_blocked_word_decide_the_next_comments(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    stack: Stack = stack_factory(sqlite_url, redis_server, rules_refresh_seconds="0.5")
    stack.start_worker(beat=False)
    stack.start_api()
    before = stack.submit("rules", "Pat Troll", "The budget vote was a farce, frankly.")
    assert decision(stack, before)[0] == "approved"

    admin = add_account(sqlite_url, "ada", Role.ADMIN)
    assert call(stack, "/api/v1/moderation/authors", admin.token,
                {"action": "ban", "email": "pat.troll@example.org"}) == 201  # fmt: skip
    assert call(stack, "/api/v1/admin/word-rules", admin.token,
                {"kind": "blocked", "term": "grifter*"}) == 201  # fmt: skip
    time.sleep(1)  # one refresh interval of the worker's copy of the rules

    banned = stack.submit("rules", "Pat Troll", "The budget vote was a farce, frankly.")
    worded = stack.submit("rules", "Sam Reader", "The minister is a gr1fter, nothing more.")
    clean = stack.submit("rules", "Sam Reader", "The minister should answer the question.")

    assert decision(stack, banned) == ("rejected", ["banned_author"])
    status, reasons = decision(stack, worded)
    assert status == "rejected" and "blocked_word" in reasons
    assert decision(stack, clean)[0] == "approved"

    # A site with pre-moderation: the same clean text waits for a moderator there.
    with session_scope(sqlite_url) as session:
        sites.add_site(session, "strict-news", "Strict News", None, [], {"premoderation": True})
    time.sleep(1)
    strict = stack.submit("rules", "Sam Reader", "Another fair question.", site_id="strict-news")
    assert decision(stack, strict) == ("pending", ["premoderation"])
    with session_scope(sqlite_url) as session:
        sites.update_site(session, "strict-news", clear_policy=["premoderation"])
    time.sleep(1)
    relaxed = stack.submit("rules", "Sam Reader", "Another fair question.", site_id="strict-news")
    assert decision(stack, relaxed)[0] == "approved"
