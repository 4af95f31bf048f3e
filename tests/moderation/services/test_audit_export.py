"""The audit log's CSV export: read a page at a time, each page in a unit of work of its own,
the header once, every event once, newest first."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.orm import Session

from moderation.domain.statuses import CommentStatus
from moderation.services import review
from moderation.services.review import audit
from moderation.storage.db import session_scope
from moderation.storage.models import DEFAULT_SITE_ID
from tests.support.decisions import decide
from tests.support.webhooks import queued


def test_the_export_reads_page_after_page_until_a_short_one(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [queued(database_url, DEFAULT_SITE_ID, f"Comment number {n}.") for n in range(5)]
    decide(database_url, ids, CommentStatus.APPROVED)
    monkeypatch.setattr(audit, "EXPORT_PAGE", 2)
    opened: list[int] = []

    @contextmanager
    def unit_of_work() -> Iterator[Session]:
        opened.append(1)
        with session_scope(database_url) as session:
            yield session

    lines = review.audit_export(unit_of_work, review.audit_filter())
    first_read = len(opened)
    rows = list(csv.DictReader(io.StringIO("".join(lines))))

    # The first page is read before the stream starts; pages of 2, 2 and 1 in all.
    assert first_read == 1
    assert len(opened) == 3
    assert [int(r["comment_id"]) for r in rows] == list(reversed(ids))
    assert {(r["from_status"], r["to_status"]) for r in rows} == {("queued", "approved")}
