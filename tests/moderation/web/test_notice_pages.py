"""The "Report illegal content" pages without JavaScript: the link on each published comment,
the form (its errors in the notifier's words, everything escaped), the post's redirect to the
status page, and the workspace's Notices queue deciding a notice with its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from moderation.domain.statuses import CommentStatus
from tests.conftest import RedisServer
from tests.moderation.conftest import VALID, make_client
from tests.support.staff import add_account, decided, sign_in

FORM: dict[str, Any] = {
    "ground": "hate_speech",
    "law": "",
    "explanation": "It calls for violence against a group.",
    "notifier_name": "Nora Notifier",
    "notifier_email": "nora@example.net",
    "good_faith": "on",
}


@pytest.fixture
def client(sqlite_url: str, redis_server: RedisServer) -> Iterator[TestClient]:
    with make_client(sqlite_url, redis_server.url) as client:
        client.base_url = client.base_url.copy_with(scheme="https")
        yield client


def published(client: TestClient, url: str, body: str) -> int:
    comment_id: int = client.post("/api/v1/comments", json={**VALID, "body": body}).json()["id"]
    decided(url, comment_id, CommentStatus.APPROVED, {"spam": 0.01, "toxicity": 0.1})
    return comment_id


def test_each_published_comment_links_to_the_notice_form(
    client: TestClient, sqlite_url: str
) -> None:
    comment_id = published(client, sqlite_url, "<script>alert(1)</script> go get them")

    article = client.get(f"/articles/{VALID['article_id']}").text
    assert f'/notices/new?comment={comment_id}" rel="nofollow"' in article
    form = client.get(f"/notices/new?comment={comment_id}")

    assert form.status_code == 200
    assert "Report illegal content" in form.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; go get them" in form.text
    assert "<script>alert" not in form.text
    assert form.headers["cache-control"] == "no-store"
    assert client.get("/notices/new?comment=999999").status_code == 404


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"good_faith": None}, "Good-faith statement is required"),
        ({"notifier_email": "nora@@example"}, "Your email must be an email address"),
        ({"explanation": "x" * 5001}, "Explanation must be at most 5000 characters"),
        ({"explanation": ""}, "Explanation must not be empty"),
        ({"ground": "other"}, "Law or rule is required when the ground is other"),
    ],
)
def test_a_refused_form_comes_back_with_its_errors_and_the_text_kept(
    client: TestClient, sqlite_url: str, changes: dict[str, Any], shown: str
) -> None:
    comment_id = published(client, sqlite_url, "A comment")
    data = {**FORM, "comment_id": str(comment_id), **changes}
    data = {k: v for k, v in data.items() if v is not None}
    data["notifier_name"] = '"><img src=x onerror=alert(1)>'

    answer = client.post("/notices/new", data=data, follow_redirects=False)

    assert answer.status_code == 422, answer.text
    assert shown in answer.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in answer.text
    assert "<img src=x" not in answer.text


def test_a_filed_form_lands_on_its_status_page_which_a_moderator_decision_updates(
    client: TestClient, sqlite_url: str
) -> None:
    comment_id = published(client, sqlite_url, "They should all be hurt.")
    add_account(sqlite_url, "mona")

    answer = client.post(
        "/notices/new", data={**FORM, "comment_id": str(comment_id)}, follow_redirects=False
    )

    assert answer.status_code == 303, answer.text
    status_path = answer.headers["location"]
    assert status_path.startswith("/notices/status/") and status_path.endswith("?filed=1")
    page = client.get(status_path).text
    assert "Thank you. Your notice was received." in page
    assert 'data-status="received"' in page

    csrf = sign_in(client, "mona")
    queue = client.get("/moderation/notices").text
    notice_id = re.search(r'id="notice-(\d+)"', queue)
    assert notice_id and "They should all be hurt." in queue and "Illegal hate speech" in queue
    decided_answer = client.post(
        f"/moderation/notices/{notice_id.group(1)}/decide",
        data={"csrf_token": csrf, "outcome": "removed", "reason": "Incites violence."},
        follow_redirects=False,
    )
    assert decided_answer.status_code == 303, decided_answer.text
    assert "No open notices." in client.get("/moderation/notices").text

    client.cookies.clear()
    page = client.get(status_path.split("?")[0]).text
    assert 'data-outcome="removed"' in page and "Incites violence." in page
    assert "They should all be hurt." not in client.get(f"/articles/{VALID['article_id']}").text
