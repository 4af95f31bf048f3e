"""A comment whose text retention removed, as moderators see it through the moderation API:
still in its queue with its decision, reasons and audit, without its text or highlights; and
it cannot be published (that would put the marker on the article page)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from moderation.domain.privacy import REMOVED_TEXT
from moderation.services import retention
from moderation.storage.db import session_scope
from tests.support.retention import aged_database
from tests.support.staff import add_account


def test_a_removed_text_keeps_its_decision_and_cannot_be_published(
    api: TestClient, database_url: str
) -> None:
    aged = aged_database(database_url)
    retention.apply(lambda: session_scope(database_url), retention.RetentionPeriods())
    nadia = add_account(database_url, "nadia")

    page = api.get("/api/v1/moderation/queue?status=spam", headers=nadia.headers).json()
    audit = api.get(f"/api/v1/moderation/audit?comment={aged.spam_old}", headers=nadia.headers)
    approve = api.post(
        f"/api/v1/moderation/comments/{aged.spam_old}/decision",
        json={"action": "approve"},
        headers=nadia.headers,
    )
    reject_too = api.post(
        f"/api/v1/moderation/comments/{aged.spam_old}/decision",
        json={"action": "reject", "ground": "other"},
        headers=nadia.headers,
    )

    (item,) = [i for i in page["items"] if i["id"] == aged.spam_old]
    assert item["status"] == "spam" and item["body"] == REMOVED_TEXT
    assert [r["text"] for r in item["reasons"]] == ["toxicity 0.90 >= 0.8"]
    assert item["spans"] == {} and item["author"]["ip"] is None
    assert [e["to_status"] for e in audit.json()["events"]] == ["spam", "spam"]
    assert approve.status_code == 409
    assert approve.json()["error"] == "text_removed"
    assert "retention period" in approve.json()["message"]
    assert reject_too.status_code == 200  # a removal it may still get
