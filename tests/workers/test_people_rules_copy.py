"""The worker's copy of the rules people set: a suspension stops holding at its end even when
the copy is read again only rarely (it is read again when its first suspension ends)."""

from __future__ import annotations

import time
from datetime import timedelta

from moderation.config import Settings
from moderation.domain.clock import utcnow
from moderation.storage import rules as store
from moderation.storage.db import session_scope
from workers import rules


def test_the_copy_is_read_again_when_a_suspension_ends(sqlite_url: str) -> None:
    # A refresh far longer than the test: only the suspension's end can make it read again.
    settings = Settings(database_url=sqlite_url, rules_refresh_seconds=3600)
    with session_scope(sqlite_url) as session:
        store.keep_author_rule(session, "ban_email", "ban@example.com", "", "mona")
        store.keep_author_rule(
            session, "ban_email", "pat@example.com", "", "mona", utcnow() + timedelta(seconds=0.5)
        )
    rules._current = None
    with session_scope(sqlite_url) as session:
        during = rules.current_rules(session, settings)
    time.sleep(0.6)
    with session_scope(sqlite_url) as session:
        after = rules.current_rules(session, settings)

    assert during.author_rules == {
        ("ban_email", "ban@example.com"),
        ("ban_email", "pat@example.com"),
    }
    assert after.author_rules == {("ban_email", "ban@example.com")}
    assert after.stale_at is None
