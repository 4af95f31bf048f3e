"""An author's erasure through a running API and worker: the worker's copy of the bans still
rejects the erased author's next comment (by the salted hash the ban now holds), and neither
process logged who it was."""

from __future__ import annotations

import time
from typing import Any

from moderation.services.accounts import Role
from tests.conftest import RedisServer
from tests.e2e.test_people_rules import call, decision
from tests.support.privacy import table_dump
from tests.support.stack import Stack
from tests.support.staff import add_account

EMAIL = "quillon.vashti@example.org"  # what stack.submit makes of the name


def test_an_erased_author_stays_banned_and_is_in_no_log(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    stack: Stack = stack_factory(sqlite_url, redis_server, rules_refresh_seconds="0.5")
    stack.start_worker(beat=False)
    stack.start_api()
    admin = add_account(sqlite_url, "ada", Role.ADMIN)
    first = stack.submit("erasure", "Quillon Vashti", "The budget vote was a farce, frankly.")
    assert decision(stack, first)[0] == "approved"
    assert call(stack, "/api/v1/moderation/authors", admin.token,
                {"action": "ban", "email": EMAIL, "note": "Quillon: insults"}) == 201  # fmt: skip

    assert call(stack, "/api/v1/admin/authors/erase", admin.token, {"email": EMAIL}) == 200

    dump = table_dump(sqlite_url).lower()
    assert "quillon" not in dump and "vashti" not in dump
    # The worker re-reads the bans (and the salt made by the erasure) within its refresh
    # (0.5 s here): the comment below is sent once a refresh has surely passed, or a worker
    # that last read its copy before the ban was set would not know of it yet.
    time.sleep(1.0)
    again = stack.submit("erasure", "Quillon Vashti", "Back again with the same point.")
    assert decision(stack, again) == ("rejected", ["banned_author"])
    logs = stack.logs().lower()
    assert "erasure 1: 1 comment(s)" in logs
    assert "quillon" not in logs and "vashti" not in logs
