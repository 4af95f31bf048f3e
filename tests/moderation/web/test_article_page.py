"""The article page and the comments JSON as a reader, a cache and an embedding site see them:
the author's own comments awaiting moderation (shown to them only), the plain form post,
ETag / Last-Modified revalidation, per-site CORS for the widget, and the widget's script."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from moderation.domain.statuses import CommentStatus
from moderation.services import sites
from moderation.storage.db import session_scope
from tests.conftest import RedisServer
from tests.moderation.conftest import VALID, make_client
from tests.support.decisions import decide

OWN_ORIGIN = "http://testserver"  # what a browser on our own article page sends as Origin
NEWS_ORIGIN = "https://news.example"
EVIL_ORIGIN = "https://evil.example"


def post(client: TestClient, article: str, body: str, **extra: Any) -> dict[str, Any]:
    """A comment as the article page's script sends it (JSON, with the page's Origin)."""
    answer = client.post(
        "/api/v1/comments",
        json={**VALID, "article_id": article, "body": body, **extra},
        headers={"origin": OWN_ORIGIN},
    )
    assert answer.status_code == 202, answer.text
    result: dict[str, Any] = answer.json()
    return result


def post_from_backend(client: TestClient, article: str, body: str, **extra: Any) -> int:
    """Someone else's comment: no Origin, so no reader token and no cookie."""
    answer = client.post(
        "/api/v1/comments", json={**VALID, "article_id": article, "body": body, **extra}
    )
    assert answer.status_code == 202, answer.text
    assert "set-cookie" not in answer.headers
    comment_id: int = answer.json()["id"]
    return comment_id


def comment_block(page: str, comment_id: int) -> str:
    """The HTML of one comment with its replies (the <li> up to its closing tag)."""
    start = page.index(f'id="comment-{comment_id}"')
    start = page.rindex("<li", 0, start)
    depth, position = 0, start
    for tag in re.finditer(r"<(/?)li\b", page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            position = start + tag.end()
            break
    return page[start:position]


@dataclass(frozen=True)
class Service:
    """One app over one database, with the site example-news (origin NEWS_ORIGIN)."""

    app: Any
    url: str

    def browser(self, **cookies: str) -> TestClient:
        """A browser of its own (its own cookie jar) on the running service."""
        return TestClient(self.app, cookies=cookies or None)


@pytest.fixture(scope="module")
def service(shared_database_url: str, shared_redis: RedisServer) -> Iterator[Service]:
    """For what does not depend on the database's kind: one SQLite file for the module."""
    url = shared_database_url
    with session_scope(url) as session:
        sites.add_site(session, "example-news", "Example News", None, [NEWS_ORIGIN], {})
    with make_client(url, shared_redis.url) as client:
        yield Service(client.app, url)


def strangers(app: Any) -> list[TestClient]:
    """Another reader's browser, and one that never commented."""
    return [
        TestClient(app, cookies={"moderation_reader": "someone-elses-token"}),
        TestClient(app),
    ]


def test_the_author_sees_their_own_waiting_comments_in_place_and_nobody_else_does(
    client: TestClient, database_url: str
) -> None:
    article = "own-story"
    root = post_from_backend(TestClient(client.app), article, "Someone else's published comment.")
    decide(database_url, [root], CommentStatus.APPROVED)
    reply = post(client, article, "My reply, held for a moderator.", parent_id=root)
    token = reply["reader_token"]
    assert token and client.cookies.get("moderation_reader") == token
    queued = post(client, article, "My own comment, not decided yet.")
    assert queued["reader_token"] == token  # the same browser keeps its token
    spam = post(client, article, "My comment the filter turned down.")
    decide(database_url, [reply["id"]], CommentStatus.PENDING)
    decide(database_url, [spam["id"]], CommentStatus.SPAM)

    page = client.get(f"/articles/{article}")

    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-cache"
    text = page.text
    # The held reply sits under the comment it answers, marked; the queued one as a thread.
    under_root = comment_block(text, root)
    assert "My reply, held for a moderator." in under_root
    own_reply = comment_block(text, reply["id"])
    assert 'class="comment pending"' in own_reply
    assert "Your comment is awaiting moderation." in own_reply
    assert "My own comment, not decided yet." in comment_block(text, queued["id"])
    # The turned-down one is said to be unpublished; its text is not shown again.
    assert "My comment the filter turned down." not in text
    assert re.search(rf'id="comment-{spam["id"]}">Your comment of .* was not published', text)

    for stranger in strangers(client.app):
        seen = stranger.get(f"/articles/{article}").text
        assert "Someone else&#39;s published comment." in seen
        for private in ("My reply", "My own comment", "awaiting moderation", "not published"):
            assert private not in seen, private

    # The JSON list: the author's with X-Reader-Token, private; everyone else's public.
    url = f"/api/v1/articles/{article}/comments"
    mine = client.get(url, headers={"X-Reader-Token": token})
    assert mine.headers["cache-control"].startswith("private")
    listed = mine.json()
    assert [c["id"] for c in listed["comments"]] == [root, queued["id"]]
    assert listed["comments"][0]["replies"][0]["id"] == reply["id"]
    assert listed["comments"][0]["replies"][0]["pending"] is True
    assert listed["comments"][1]["pending"] is True
    assert "pending" not in listed["comments"][0]  # a published comment carries no mark
    assert [c["id"] for c in listed["not_published"]] == [spam["id"]]
    assert "body" not in listed["not_published"][0]
    public = client.get(url)
    assert public.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert set(public.json()) == {"article_id", "comments", "next_cursor"}
    assert [c["id"] for c in public.json()["comments"]] == [root]
    assert public.json()["comments"][0]["replies"] == []
    # The cookie alone does not make the JSON private: a shared cache keys on the header.
    assert "vary" in public.headers and "X-Reader-Token" in public.headers["vary"]


def test_the_form_post_without_javascript_comes_back_with_the_notice_for_its_author_only(
    service: Service,
) -> None:
    client = service.browser()
    form = {**VALID, "article_id": "form-story", "body": "Posted with JavaScript off."}

    answer = client.post("/api/v1/comments", data=form, follow_redirects=False)

    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(
        r"http://testserver/articles/form-story\?comment=\d+#comment-status", location
    )
    page = client.get(location).text
    assert 'id="comment-status"' in page
    assert "Your comment is awaiting moderation." in page
    assert "Posted with JavaScript off." in page
    # Anyone else with the same URL learns nothing about that comment.
    for stranger in strangers(service.app):
        seen = stranger.get(location).text
        assert 'id="comment-status"' not in seen
        assert "awaiting moderation" not in seen
        assert "Posted with JavaScript off." not in seen


def test_a_form_error_reads_in_the_forms_words_by_its_field(service: Service) -> None:
    client = service.browser()
    form = {**VALID, "article_id": "form-story", "author_email": ""}

    answer = client.post("/api/v1/comments", data=form)

    assert answer.status_code == 422
    page = answer.text
    field = re.search(r'<input id="field-author_email"[^>]*>', page, re.S)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="error-author_email email-note"' in field.group(0)
    assert '<span class="error" id="error-author_email">Email must not be empty</span>' in page
    assert 'role="alert"' in page


def test_the_comment_list_revalidates_with_its_etag_and_date(
    client: TestClient, database_url: str
) -> None:
    first = post_from_backend(client, "cached-story", "The first published comment.")
    decide(database_url, [first], CommentStatus.APPROVED)
    url = "/api/v1/articles/cached-story/comments"

    fresh = client.get(url)

    assert fresh.status_code == 200
    etag = fresh.headers["etag"]
    modified = fresh.headers["last-modified"]
    assert fresh.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert parsedate_to_datetime(modified).tzinfo is not None

    same = client.get(url, headers={"If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(hours=1), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200

    # A new comment that is only queued changes nothing a cache holds...
    second = post_from_backend(client, "cached-story", "The second comment, approved later.")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    # ...its approval does.
    decide(database_url, [second], CommentStatus.APPROVED)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert [c["id"] for c in changed.json()["comments"]] == [first, second]
    assert client.get(url, headers={"If-None-Match": changed.headers["etag"]}).status_code == 304


def test_the_readers_own_list_revalidates_too(service: Service) -> None:
    client = service.browser()
    mine = post(client, "private-story", "Waiting for a moderator.")
    headers = {"X-Reader-Token": mine["reader_token"]}
    url = "/api/v1/articles/private-story/comments"
    first = client.get(url, headers=headers)
    assert first.json()["comments"][0]["pending"] is True

    assert (
        client.get(url, headers={**headers, "If-None-Match": first.headers["etag"]}).status_code
        == 304
    )
    decide(service.url, [mine["id"]], CommentStatus.APPROVED)
    after = client.get(url, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert after.status_code == 200
    assert "pending" not in after.json()["comments"][0]


def test_an_unknown_site_is_422_naming_site_and_a_404_page(service: Service) -> None:
    client = service.browser()
    listed = client.get("/api/v1/articles/42/comments?site=nowhere")
    page = client.get("/articles/42?site=nowhere")

    assert listed.status_code == 422
    assert [f["field"] for f in listed.json()["fields"]] == ["site"]
    # A person who followed a link gets a page saying so.
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "There is no site &#39;nowhere&#39; here." in page.text


def test_a_registered_origin_may_read_and_post_and_another_may_not(service: Service) -> None:
    client = service.browser()
    url = "/api/v1/articles/42/comments?site=example-news"
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-reader-token",
    }

    allowed = client.options(url, headers={"origin": NEWS_ORIGIN, **preflight})
    refused = client.options(url, headers={"origin": EVIL_ORIGIN, **preflight})
    listed = client.get(url, headers={"origin": NEWS_ORIGIN})
    posted = client.post(
        "/api/v1/comments?site=example-news",
        json={**VALID, "site_id": "example-news", "article_id": "42"},
        headers={"origin": NEWS_ORIGIN},
    )
    forged = client.post(
        "/api/v1/comments?site=example-news",
        json={**VALID, "site_id": "example-news", "article_id": "42"},
        headers={"origin": EVIL_ORIGIN},
    )

    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == NEWS_ORIGIN
    assert "X-Reader-Token" in allowed.headers["access-control-allow-headers"]
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    assert listed.headers["access-control-allow-origin"] == NEWS_ORIGIN
    assert "ETag" in listed.headers["access-control-expose-headers"]
    assert posted.status_code == 202
    assert posted.json()["reader_token"]  # the widget keeps it; no cookie across origins
    assert "set-cookie" not in posted.headers
    assert forged.status_code == 403
    assert forged.json()["error"] == "origin_not_allowed"
    # The site's article 42 is not the default site's article 42.
    token = {"X-Reader-Token": posted.json()["reader_token"]}
    assert client.get(url, headers=token).json()["comments"][0]["pending"] is True
    assert client.get("/api/v1/articles/42/comments", headers=token).json()["comments"] == []


def test_the_widget_script_is_served_cacheable_and_revalidates(service: Service) -> None:
    client = service.browser()
    script = client.get("/widget.js")

    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"].startswith("public, max-age=")
    assert "data-article" in script.text
    assert "innerHTML" not in script.text  # comment text only ever goes in as textContent
    again = client.get("/widget.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304


def test_the_widget_script_carries_the_posting_code_of_the_article_page(service: Service) -> None:
    """The one tag sites embed loads the same submit.js the article page loads, not a copy,
    and inside a function of its own, so the site's page gets no global from it."""
    client = service.browser()
    script = client.get("/widget.js").text
    shared = client.get("/static/submit.js").text
    widget = client.get("/static/widget.js").text

    assert "async function post(" in shared
    assert shared in script
    assert widget in script
    assert script.index(shared) < script.index(widget)
    assert script.startswith("(function () {")
    assert script.rstrip().endswith("})();")


def test_the_article_page_loads_its_script_and_keeps_its_site_in_links(service: Service) -> None:
    client = service.browser()
    posted = client.post(
        "/api/v1/comments",
        json={**VALID, "site_id": "example-news", "article_id": "7"},
    )
    decide(service.url, [posted.json()["id"]], CommentStatus.APPROVED)

    page = client.get("/articles/7?site=example-news").text

    # submit.js, the posting code article.js uses, first: deferred scripts run in order.
    assert re.search(
        r'<script src="[^"]*/static/submit\.js" defer></script>\s*'
        r'<script src="[^"]*/static/article\.js" defer>',
        page,
    )
    assert client.get("/static/submit.js").status_code == 200
    assert client.get("/static/article.js").status_code == 200
    assert '<input type="hidden" name="site_id" value="example-news">' in page
    reply = re.search(r'<a class="reply" href="([^"]*)"', page)
    assert reply is not None
    assert (
        html.unescape(reply.group(1)) == f"?site=example-news&reply_to={posted.json()['id']}#reply"
    )
    assert "A thoughtful comment." not in client.get("/articles/7").text


def test_an_article_id_with_slashes_has_its_list_too(service: Service) -> None:
    client = service.browser()
    comment = post_from_backend(client, "2024/05/park", "Under an article with a path for id.")
    decide(service.url, [comment], CommentStatus.APPROVED)

    listed = client.get("/api/v1/articles/2024%2F05%2Fpark/comments")  # as the widget asks

    assert listed.status_code == 200
    assert listed.json()["article_id"] == "2024/05/park"
    assert [c["id"] for c in listed.json()["comments"]] == [comment]
