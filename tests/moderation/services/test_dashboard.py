"""The dashboard's figures, from real rows on both databases, and its page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from moderation.domain.statuses import CommentStatus
from tests.moderation.conftest import VALID
from tests.support.staff import Account, add_account, decided, sign_in


@pytest.fixture
def moderator(database_url: str) -> Account:
    return add_account(database_url, "mona")


def test_stats_count_today_by_status_and_share_what_the_policy_did(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    outcomes = [CommentStatus.APPROVED] * 5 + [CommentStatus.PENDING] * 2 + [CommentStatus.SPAM]
    ids = []
    for i, status in enumerate(outcomes):
        answer = api.post("/api/v1/comments", json={**VALID, "body": f"Comment number {i}"})
        ids.append(answer.json()["id"])
        decided(database_url, ids[-1], status, {"spam": 0.1, "toxicity": 0.1})
    api.post("/api/v1/comments", json={**VALID, "body": "Still waiting"})
    # A moderator's later decision changes today's counts, not what the policy did.
    api.post(
        f"/api/v1/moderation/comments/{ids[5]}/decision",
        json={"action": "approve"},
        headers=moderator.headers,
    )

    stats = api.get("/api/v1/moderation/stats?days=7", headers=moderator.headers).json()

    assert len(stats["days"]) == 7
    today = stats["days"][-1]
    assert today["day"] == datetime.now(UTC).date().isoformat()
    assert {k: v for k, v in today["counts"].items() if v} == {
        "approved": 6,
        "pending": 1,
        "spam": 1,
        "queued": 1,
    }
    assert stats["decided"] == 8
    assert stats["spam_share"] == pytest.approx(1 / 8)
    assert stats["held_share"] == pytest.approx(2 / 8)
    assert stats["queued"] == 1 and stats["pending"] == 1
    assert stats["median_decision_seconds"] >= 0
    assert stats["model_version"] == "v-test"


def test_the_dashboard_page_draws_the_chart(
    api: TestClient, database_url: str, moderator: Account
) -> None:
    answer = api.post("/api/v1/comments", json={**VALID, "body": "One held comment"})
    decided(database_url, answer.json()["id"], CommentStatus.PENDING, {"spam": 0.6, "toxicity": 0})
    sign_in(api, "mona")

    page = api.get("/moderation/dashboard")

    assert page.status_code == 200
    assert '<dd id="fig-pending"><a href="/moderation/queue/pending">1</a></dd>' in page.text
    assert '<dd id="fig-held">100.0%</dd>' in page.text
    assert "<title>" + datetime.now(UTC).date().isoformat() + ": 1 pending</title>" in page.text
    assert "<code>v-test</code>" in page.text
