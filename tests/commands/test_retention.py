"""`moderation retention run [--dry-run]`, run as an operator runs it (from cron, say), over a
database whose rows were moved back in time."""

from __future__ import annotations

import re

from sqlalchemy import select

from moderation.domain.privacy import REMOVED_TEXT
from moderation.storage.db import session_scope
from moderation.storage.models import Comment
from tests.conftest import run_moderation
from tests.support.retention import EXPECTED, aged_database


def counts(output: str) -> dict[str, int]:
    return {kind: int(n) for kind, n in re.findall(r"^(\w+) +(\d+)$", output, re.MULTILINE)}


def removed_texts(database_url: str) -> int:
    with session_scope(database_url) as session:
        found = session.execute(select(Comment.id).where(Comment.body == REMOVED_TEXT))
        return len(found.all())


def test_a_dry_run_then_a_run_then_nothing_left(database_url: str) -> None:
    aged_database(database_url)
    settings = {"database_url": database_url}

    dry = run_moderation("retention", "run", "--dry-run", settings=settings)
    untouched = removed_texts(database_url)
    done = run_moderation("retention", "run", settings=settings)
    again = run_moderation("retention", "run", settings=settings)

    assert dry.returncode == 0, dry.stderr
    assert "would clear" in dry.stdout
    assert counts(dry.stdout) == {**EXPECTED, "total": sum(EXPECTED.values())}
    assert untouched == 0
    assert done.returncode == 0, done.stderr
    assert counts(done.stdout) == {**EXPECTED, "total": sum(EXPECTED.values())}
    assert removed_texts(database_url) == EXPECTED["removed_texts"]
    assert counts(again.stdout) == {**dict.fromkeys(EXPECTED, 0), "total": 0}


def test_a_period_out_of_range_is_refused_before_anything_is_cleared(sqlite_url: str) -> None:
    aged_database(sqlite_url)

    refused = run_moderation(
        "retention", "run", settings={"database_url": sqlite_url, "retention_ip_days": "0"}
    )

    assert refused.returncode == 2
    assert refused.stderr.startswith("error: MODERATION_RETENTION_IP_DAYS: ")
    assert "greater than or equal to 1" in refused.stderr
    assert removed_texts(sqlite_url) == 0
