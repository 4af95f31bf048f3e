"""Reading comments: the status URL, the article's JSON thread and the HTML article page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from moderation.domain.statuses import CommentStatus
from tests.moderation.conftest import VALID
from tests.support.decisions import decide

SECRET_EMAIL = "private.person@secret-mail.example"
SECRET_AGENT = "SecretBrowser/9.9 (fingerprint-xyz)"
CLIENT_IP = "testclient"  # the client address TestClient reports to the app


def submit(client: TestClient, **changes: Any) -> int:
    response = client.post(
        "/api/v1/comments",
        json={**VALID, "author_email": SECRET_EMAIL, **changes},
        headers={"user-agent": SECRET_AGENT},
    )
    assert response.status_code == 202, response.text
    comment_id: int = response.json()["id"]
    return comment_id


def assert_private(text: str) -> None:
    assert SECRET_EMAIL not in text
    assert "secret-mail" not in text
    assert SECRET_AGENT not in text
    assert "fingerprint-xyz" not in text
    assert CLIENT_IP not in text


def all_ids(comments: list[dict[str, Any]]) -> list[int]:
    ids = []
    for comment in comments:
        ids.append(comment["id"])
        ids.extend(all_ids(comment["replies"]))
    return ids


def test_unknown_comment_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/comments/424242")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("bad", ["abc", "1.5", "1e3", "-", "%20"])
def test_non_integer_comment_id_is_422_naming_the_field(
    shared_client: TestClient, bad: str
) -> None:
    response = shared_client.get(f"/api/v1/comments/{bad}")

    assert response.status_code == 422
    assert [f["field"] for f in response.json()["fields"]] == ["comment_id"]


@pytest.mark.parametrize("bad", ["0", "-1", str(2**63), "9" * 40])
def test_out_of_range_comment_id_is_not_a_server_error(shared_client: TestClient, bad: str) -> None:
    response = shared_client.get(f"/api/v1/comments/{bad}")

    assert response.status_code in (404, 422)


def test_queued_comment_shows_its_status_but_not_its_text(client: TestClient) -> None:
    comment_id = submit(client, body="Words not yet public")

    response = client.get(f"/api/v1/comments/{comment_id}")

    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "queued"
    assert answer["article_id"] == VALID["article_id"]
    assert answer["comment"] is None
    assert answer["decided_at"] is None
    assert "Words not yet public" not in response.text
    assert VALID["author_name"] not in response.text
    assert_private(response.text)


@pytest.mark.parametrize("status", [CommentStatus.PENDING, CommentStatus.SPAM])
def test_undecided_or_refused_comment_keeps_its_text_private(
    client: TestClient, database_url: str, status: CommentStatus
) -> None:
    comment_id = submit(client, body="Never shown")
    decide(database_url, [comment_id], status)

    response = client.get(f"/api/v1/comments/{comment_id}")

    assert response.json()["status"] == status.value
    assert response.json()["comment"] is None
    assert "Never shown" not in response.text


def test_approved_comment_shows_the_public_comment(client: TestClient, database_url: str) -> None:
    comment_id = submit(client, body="Now public", author_url="https://ann.example")
    decide(database_url, [comment_id], CommentStatus.APPROVED)

    response = client.get(f"/api/v1/comments/{comment_id}")

    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "approved"
    assert answer["decided_at"] is not None
    assert answer["comment"]["body"] == "Now public"
    assert answer["comment"]["author_name"] == VALID["author_name"]
    assert answer["comment"]["author_url"] == "https://ann.example"
    assert answer["comment"]["created_at"].endswith(("Z", "+00:00"))
    assert_private(response.text)


def test_article_comments_lists_only_approved_with_nested_replies(
    client: TestClient, database_url: str
) -> None:
    first = submit(client, body="First")
    second = submit(client, body="Second")
    queued = submit(client, body="Still queued")
    spam = submit(client, body="Buy now")
    reply = submit(client, body="A reply", parent_id=first)
    nested = submit(client, body="A reply to the reply", parent_id=reply)
    orphan = submit(client, body="Reply to a queued one", parent_id=queued)
    decide(database_url, [first, second, reply, nested, orphan], CommentStatus.APPROVED)
    decide(database_url, [spam], CommentStatus.SPAM)

    response = client.get(f"/api/v1/articles/{VALID['article_id']}/comments")

    assert response.status_code == 200
    page = response.json()
    assert [c["id"] for c in page["comments"]] == [first, second]
    assert [r["id"] for r in page["comments"][0]["replies"]] == [reply]
    assert [r["id"] for r in page["comments"][0]["replies"][0]["replies"]] == [nested]
    assert page["comments"][0]["replies"][0]["parent_id"] == first
    assert sorted(all_ids(page["comments"])) == sorted([first, second, reply, nested])
    assert page["next_cursor"] is None
    for hidden in ("Still queued", "Buy now", "Reply to a queued one"):
        assert hidden not in response.text
    assert_private(response.text)


def test_article_comments_paginate_without_duplicates(
    client: TestClient, database_url: str
) -> None:
    ids = [submit(client, body=f"Comment {n}") for n in range(7)]
    replies = [submit(client, body=f"Reply {n}", parent_id=ids[n]) for n in (0, 3, 6)]
    decide(database_url, ids + replies, CommentStatus.APPROVED)

    seen: list[int] = []
    url = f"/api/v1/articles/{VALID['article_id']}/comments?limit=3"
    next_url: str | None = url
    pages = 0
    while next_url is not None:
        response = client.get(next_url)
        assert response.status_code == 200
        assert_private(response.text)
        page = response.json()
        pages += 1
        seen.extend(all_ids(page["comments"]))
        cursor = page["next_cursor"]
        next_url = f"{url}&cursor={cursor}" if cursor else None

    assert pages == 3
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(ids + replies)
    assert [i for i in seen if i in ids] == ids  # threads oldest first


@pytest.mark.parametrize("cursor", ["not-a-cursor", "YWZ0ZXI6eA", "%FF", "YWZ0ZXI6" + "OTk5" * 10])
def test_bad_cursor_is_400_naming_cursor(shared_client: TestClient, cursor: str) -> None:
    shared_client.post("/api/v1/comments", json=VALID)

    response = shared_client.get(f"/api/v1/articles/{VALID['article_id']}/comments?cursor={cursor}")

    assert response.status_code == 400
    assert [f["field"] for f in response.json()["fields"]] == ["cursor"]


@pytest.mark.parametrize("limit", ["0", "201", "abc", "-5"])
def test_bad_limit_is_422_naming_limit(shared_client: TestClient, limit: str) -> None:
    response = shared_client.get(f"/api/v1/articles/x/comments?limit={limit}")

    assert response.status_code == 422
    assert [f["field"] for f in response.json()["fields"]] == ["limit"]


def test_unknown_article_has_no_comments(shared_client: TestClient) -> None:
    response = shared_client.get("/api/v1/articles/never-seen/comments")

    assert response.status_code == 200
    assert response.json() == {"article_id": "never-seen", "comments": [], "next_cursor": None}


def test_article_page_shows_approved_comments_only(client: TestClient, database_url: str) -> None:
    approved = submit(client, body="Visible words", author_name="Visible Author")
    reply = submit(client, body="Visible reply", parent_id=approved)
    submit(client, body="Queued words", author_name="Queued Author")
    spam = submit(client, body="Spammy words", author_name="Spam Author")
    pending = submit(client, body="Held words")
    decide(database_url, [approved, reply], CommentStatus.APPROVED)
    decide(database_url, [spam], CommentStatus.SPAM)
    decide(database_url, [pending], CommentStatus.PENDING)

    response = client.get(f"/articles/{VALID['article_id']}")

    assert response.status_code == 200
    page = response.text
    assert "Visible words" in page
    assert "Visible Author" in page
    assert "Visible reply" in page
    assert f'id="comment-{approved}"' in page
    for hidden in ("Queued words", "Queued Author", "Spammy words", "Spam Author", "Held words"):
        assert hidden not in page
    assert_private(page)


def test_article_page_without_comments(shared_client: TestClient) -> None:
    response = shared_client.get("/articles/quiet-story")

    assert response.status_code == 200
    assert "No comments yet." in response.text


def test_article_page_tells_the_reader_their_comment_is_published(
    client: TestClient, database_url: str
) -> None:
    # A browser on our own page (it sends Origin): it gets the reader cookie the notice needs.
    answer = client.post("/api/v1/comments", json=VALID, headers={"origin": "http://testserver"})
    comment_id = answer.json()["id"]
    decide(database_url, [comment_id], CommentStatus.APPROVED)

    response = client.get(f"/articles/{VALID['article_id']}?comment={comment_id}")

    assert "Your comment is published." in response.text


def test_article_page_ignores_a_comment_of_another_article(
    client: TestClient, database_url: str
) -> None:
    comment_id = submit(client, article_id="elsewhere")

    response = client.get(f"/articles/{VALID['article_id']}?comment={comment_id}")

    assert response.status_code == 200
    assert 'id="comment-status"' not in response.text


@pytest.mark.parametrize("comment", ["abc", "0", str(2**63), "9" * 30])
def test_article_page_with_a_bad_comment_parameter_is_not_a_server_error(
    shared_client: TestClient, comment: str
) -> None:
    response = shared_client.get(f"/articles/story?comment={comment}")

    assert response.status_code == 422


XSS_BODY = '<script>alert("body")</script><img src=x onerror=alert(1)>'
XSS_NAME = "<script>alert('name')</script>"
# The article page's only scripts: its own files, each with a src.
OWN_SCRIPTS = [
    '<script src="http://testserver/static/submit.js" defer>',
    '<script src="http://testserver/static/article.js" defer>',
]


def test_xss_payload_is_escaped_on_the_article_page(client: TestClient, database_url: str) -> None:
    comment_id = submit(client, body=XSS_BODY, author_name=XSS_NAME)
    decide(database_url, [comment_id], CommentStatus.APPROVED)

    response = client.get(f"/articles/{VALID['article_id']}")

    page = response.text
    # The page's script tags are its own (submit.js and article.js, each with a src); none
    # from the comment.
    assert "<script>" not in page
    assert re.findall(r"<script[^>]*>", page) == OWN_SCRIPTS
    assert "<img" not in page
    assert page.count("&lt;script&gt;") == 2
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert XSS_BODY in html.unescape(page)  # shown as text, as written


def test_xss_payload_is_escaped_when_a_form_is_shown_again(shared_client: TestClient) -> None:
    response = shared_client.post(
        "/api/v1/comments",
        data={**VALID, "body": XSS_BODY, "author_name": XSS_NAME, "author_email": "nope"},
    )

    assert response.status_code == 422
    assert re.findall(r"<script[^>]*>", response.text) == OWN_SCRIPTS
    assert "&lt;script&gt;" in response.text


def test_xss_in_article_id_is_escaped(shared_client: TestClient) -> None:
    response = shared_client.get('/articles/"><script>alert(1)<%2Fscript>')

    assert response.status_code == 200
    assert re.findall(r"<script[^>]*>", response.text) == OWN_SCRIPTS


def test_json_answer_for_xss_is_data_not_markup(client: TestClient, database_url: str) -> None:
    comment_id = submit(client, body=XSS_BODY)
    decide(database_url, [comment_id], CommentStatus.APPROVED)

    response = client.get(f"/api/v1/comments/{comment_id}")

    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["comment"]["body"] == XSS_BODY


def test_author_link_is_marked_as_user_content(client: TestClient, database_url: str) -> None:
    comment_id = submit(client, author_url="https://ann.example/?a=1&b=2")
    decide(database_url, [comment_id], CommentStatus.APPROVED)

    page = client.get(f"/articles/{VALID['article_id']}").text

    link = re.search(r'<a href="([^"]*)" rel="([^"]*)">', page)
    assert link is not None
    assert html.unescape(link.group(1)) == "https://ann.example/?a=1&b=2"
    assert "nofollow" in link.group(2)
    assert "ugc" in link.group(2)


@pytest.mark.parametrize(
    "path", ["/api/v1/articles/a%00b/comments", "/articles/a%00b", "/articles/" + "x" * 5000]
)
def test_article_ids_no_article_can_have_are_just_empty(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert "internal" not in response.text
