"""Findings of the attack review of the submission paths (issue 12), each as an attacker tried it:
a `javascript:` author URL through the Akismet API, an open redirect through `article_url`,
`Origin: null`, a thread of 130 chained replies, and odd Unicode in names and ids. Every test
failed on the code before the fix; on SQLite and PostgreSQL where rows are involved."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from moderation.app import create_app
from moderation.config import Settings
from moderation.domain.schemas import MAX_REPLY_DEPTH
from moderation.domain.statuses import CommentStatus
from moderation.storage.db import session_scope
from moderation.storage.migrate import upgrade
from moderation.storage.models import DEFAULT_SITE_ID, Article, Comment, Site
from tests.conftest import RedisServer
from tests.moderation.conftest import VALID
from tests.support.sites import NEWS_ORIGIN, add_site, fresh_sites
from tests.support.staff import add_account, post_sign_in

SCRIPT_URL = "javascript:alert(document.domain)//"
EVIL = "https://evil.example/phish"


@pytest.fixture
def quick_client(database_url: str, redis_server: RedisServer) -> Iterator[TestClient]:
    """The real app; Akismet checks give up waiting for a worker (none runs here) at once."""
    settings = Settings(
        database_url=database_url, redis_url=redis_server.url, akismet_timeout_seconds=0.2
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _default_key(database_url: str) -> str:
    with session_scope(database_url) as session:
        key: str = session.execute(
            select(Site.secret_key).where(Site.slug == "default")
        ).scalar_one()
    return key


def _comment(database_url: str, comment_id: int) -> Comment:
    with session_scope(database_url) as session:
        found = session.get(Comment, comment_id)
        assert found is not None
        session.expunge(found)
        return found


def _article_url(database_url: str, article_id: str) -> str | None:
    with session_scope(database_url) as session:
        url: str | None = session.execute(
            select(Article.url).where(Article.external_id == article_id)
        ).scalar_one_or_none()
    return url


def _links(page: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', page)


def _store_approved(database_url: str, article_id: str, **fields: Any) -> int:
    """A published comment as rows stored before this fix could hold it (no rule applied)."""
    with session_scope(database_url) as session:
        article = session.execute(
            select(Article).where(Article.external_id == article_id)
        ).scalar_one_or_none()
        if article is None:
            article = Article(external_id=article_id, site_id=DEFAULT_SITE_ID)
            session.add(article)
            session.flush()
        comment = Comment(
            article_id=article.id,
            author_name=fields.pop("author_name", "Old Reader"),
            author_email="old@example.com",
            body=fields.pop("body", "A comment from before."),
            status=CommentStatus.APPROVED,
            **fields,
        )
        session.add(comment)
        session.flush()
        return comment.id


# Finding 1: a stored XSS through the Akismet API, without a moderator.


def test_akismet_never_stores_a_script_url_and_the_page_never_links_one(
    quick_client: TestClient, database_url: str
) -> None:
    # user_role=administrator is approved at once, as on Akismet: the quickest way to publish.
    answer = quick_client.post(
        "/1.1/comment-check",
        data={
            "api_key": _default_key(database_url),
            "blog": "http://testserver/",
            "user_ip": "203.0.113.9",
            "permalink": "http://testserver/articles/akismet-story",
            "comment_author": "Polite Reader",
            "comment_author_email": "polite@example.com",
            "comment_author_url": SCRIPT_URL,
            "comment_content": "Thank you for this careful report.",
            "user_role": "administrator",
        },
    )

    assert answer.status_code == 200 and answer.text == "false", answer.text
    comment_id = int(answer.headers["X-Moderation-Comment-Id"])
    stored = _comment(database_url, comment_id)
    assert stored.status is CommentStatus.APPROVED
    assert stored.author_url is None
    listing = quick_client.get("/api/v1/articles/%2Farticles%2Fakismet-story/comments")
    assert [c["author_url"] for c in listing.json()["comments"]] == [None]
    page = quick_client.get("/articles/%2Farticles%2Fakismet-story")
    assert "Polite Reader" in page.text
    assert not [href for href in _links(page.text) if "javascript" in href.lower()]


def test_a_script_url_stored_before_the_rule_is_never_served_or_linked(
    client: TestClient, database_url: str
) -> None:
    _store_approved(database_url, "old-story", author_name="Old Reader", author_url=SCRIPT_URL)
    _store_approved(
        database_url, "old-story", author_name="Spaced", author_url=" java\tscript:alert(1)"
    )

    listing = client.get("/api/v1/articles/old-story/comments")
    page = client.get("/articles/old-story")

    assert listing.status_code == page.status_code == 200
    assert [c["author_url"] for c in listing.json()["comments"]] == [None, None]
    assert "Old Reader" in page.text and "Spaced" in page.text
    assert not [href for href in _links(page.text) if "script" in href.lower()]


def test_the_migration_clears_urls_that_are_not_http(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0007")
    with session_scope(url) as session:
        session.execute(
            text(
                "INSERT INTO articles (id, site_id, external_id, url, created_at) VALUES "
                "(1, 1, 'a', 'javascript:alert(1)', '2026-01-01'), "
                "(2, 1, 'b', 'https://news.example/b', '2026-01-01')"
            )
        )
        for comment_id, parent, author_url in [
            (1, None, "JavaScript:alert(1)"),
            (2, 1, "HTTPS://reader.example/"),
            (3, 2, "data:text/html,x"),
            (4, 3, None),
        ]:
            session.execute(
                text(
                    "INSERT INTO comments (id, article_id, parent_id, root_id, author_name, "
                    "author_email, author_url, body, status, created_at, is_test) VALUES "
                    "(:id, 1, :parent, :root, 'n', 'n@example.com', :url, 'b', 'approved', "
                    "'2026-01-01', false)"
                ),
                {
                    "id": comment_id,
                    "parent": parent,
                    "root": 1 if parent else None,
                    "url": author_url,
                },
            )

    upgrade(url)

    with session_scope(url) as session:
        comments = session.execute(
            select(Comment.id, Comment.author_url, Comment.depth).order_by(Comment.id)
        ).all()
        articles = session.execute(select(Article.url).order_by(Article.id)).scalars().all()
    assert [tuple(row) for row in comments] == [
        (1, None, 0),
        (2, "HTTPS://reader.example/", 1),
        (3, None, 2),
        (4, None, 3),
    ]
    assert articles == [None, "https://news.example/b"]


# Finding 2: an open redirect through the first submission's article_url.


def test_a_reader_cannot_set_an_articles_url_and_form_posts_stay_on_our_page(
    client: TestClient, database_url: str
) -> None:
    planted = client.post(
        "/api/v1/comments", json={**VALID, "article_id": "demo", "article_url": EVIL}
    )
    form = client.post(
        "/api/v1/comments", data={**VALID, "article_id": "demo"}, follow_redirects=False
    )

    assert planted.status_code == 422
    assert [(p["field"], p["rule"]) for p in planted.json()["fields"]] == [
        ("article_url", "site_only")
    ]
    assert _article_url(database_url, "demo") is None
    assert form.status_code == 303
    assert urlsplit(form.headers["location"]).netloc == "testserver"


def test_a_url_planted_before_the_fix_is_never_a_redirect(
    client: TestClient, database_url: str
) -> None:
    _store_approved(database_url, "planted")
    with session_scope(database_url) as session:
        session.execute(
            text("UPDATE articles SET url = :url WHERE external_id = 'planted'"), {"url": EVIL}
        )

    form = client.post(
        "/api/v1/comments", data={**VALID, "article_id": "planted"}, follow_redirects=False
    )

    assert form.status_code == 303
    location = urlsplit(form.headers["location"])
    assert (location.netloc, location.path) == ("testserver", "/articles/planted")


def test_the_site_sets_its_articles_url_with_its_key_or_from_its_own_pages(
    client: TestClient, database_url: str
) -> None:
    site = add_site(database_url, "example-news")
    fresh_sites(client)

    def on_the_site(article_id: str, article_url: str) -> dict[str, str]:
        return {**VALID, "site_id": site.slug, "article_id": article_id, "article_url": article_url}

    from_backend = client.post(
        "/api/v1/comments",
        json=on_the_site("a1", f"{NEWS_ORIGIN}/a1"),
        headers={"Authorization": f"Bearer {site.secret_key}"},
    )
    from_its_page = client.post(
        "/api/v1/comments",
        data=on_the_site("a2", f"{NEWS_ORIGIN}/a2"),
        headers={"Origin": NEWS_ORIGIN},
        follow_redirects=False,
    )
    elsewhere = client.post(
        "/api/v1/comments", json=on_the_site("a3", EVIL), headers={"Origin": NEWS_ORIGIN}
    )
    # Python's urlsplit sees the host news.example here; a browser goes to evil.example.
    backslashed = client.post(
        "/api/v1/comments",
        json=on_the_site("a4", "https://evil.example\\@news.example/a4"),
        headers={"Origin": NEWS_ORIGIN},
    )

    assert from_backend.status_code == 202, from_backend.text
    assert from_its_page.status_code == 303, from_its_page.text
    assert from_its_page.headers["location"].startswith(f"{NEWS_ORIGIN}/a2?comment=")
    assert elsewhere.status_code == backslashed.status_code == 422
    assert elsewhere.json()["fields"][0]["field"] == "article_url"
    assert backslashed.json()["fields"][0]["field"] == "article_url"


def test_an_opaque_origin_cannot_post_a_form(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/comments",
        data={**VALID, "article_id": "demo"},
        headers={"Origin": "null"},
        follow_redirects=False,
    )

    assert answer.status_code == 403
    assert answer.json()["error"] == "origin_not_allowed"


# Finding 4: one reader's chain of replies broke the article's comment list (a 500).


def _reply_chain(client: TestClient, article_id: str, replies: int) -> list[Any]:
    answers = [client.post("/api/v1/comments", json={**VALID, "article_id": article_id})]
    for _ in range(replies):
        parent = answers[-1].json()["id"]
        answers.append(
            client.post(
                "/api/v1/comments",
                json={**VALID, "article_id": article_id, "parent_id": parent},
            )
        )
        if answers[-1].status_code != 202:
            break
    return answers


def test_replies_nest_only_so_deep(client: TestClient) -> None:
    answers = _reply_chain(client, "deep", MAX_REPLY_DEPTH + 1)

    assert [a.status_code for a in answers[: MAX_REPLY_DEPTH + 1]] == [202] * (MAX_REPLY_DEPTH + 1)
    too_deep = answers[-1]
    assert too_deep.status_code == 422
    problem = too_deep.json()["fields"][0]
    assert (problem["field"], problem["rule"]) == ("parent_id", "max_depth")
    assert f"at most {MAX_REPLY_DEPTH} levels" in problem["message"]


def _nesting(comments: list[dict[str, Any]]) -> int:
    return max((1 + _nesting(c["replies"]) for c in comments), default=0)


def _count(comments: list[dict[str, Any]]) -> int:
    return sum(1 + _count(c["replies"]) for c in comments)


def test_a_chain_of_130_published_replies_is_listed_flat_below_the_deepest_level(
    client: TestClient, database_url: str
) -> None:
    # As the attacker left it before the limit: 130 approved replies, each to the one before.
    root = parent = _store_approved(database_url, "chain", body="Top-level comment.")
    for n in range(130):
        parent = _store_approved(
            database_url, "chain", body=f"Reply {n}.", parent_id=parent, root_id=root
        )

    listing = client.get("/api/v1/articles/chain/comments")
    page = client.get("/articles/chain")

    assert listing.status_code == 200, listing.text
    comments = listing.json()["comments"]
    assert _count(comments) == 131
    assert _nesting(comments) == MAX_REPLY_DEPTH + 1
    assert page.status_code == 200
    assert "Reply 129." in page.text
    assert page.text.count('class="replies"') == MAX_REPLY_DEPTH
    # The deepest level takes no replies: 9 Reply links for the levels above it.
    assert page.text.count('class="reply"') == MAX_REPLY_DEPTH


# Odd Unicode in what is shown around other people's text.


# (field, odd value, the rule it breaks)
ODD_UNICODE = [
    ("author_name", "Ann\u202egnp.exe", "bidi_control"),
    ("article_id", "story\u2066", "bidi_control"),
    ("author_name", "Ann\x00", "control_characters"),
    ("author_name", "Ann\nSmith", "control_characters"),
    ("body", "caf\udce9", "unicode"),
    ("author_url", "https://reader.example/\x7f", "control_characters"),
]


@pytest.mark.parametrize(("field", "value", "rule"), ODD_UNICODE)
def test_odd_unicode_is_refused_naming_the_field(
    shared_client: TestClient, field: str, value: str, rule: str
) -> None:
    # json.dumps escapes a lone surrogate as "\\udce9", as a hostile client sends it.
    raw = json.dumps({**VALID, field: value})
    answer = shared_client.post(
        "/api/v1/comments", content=raw, headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 422, answer.text
    assert (field, rule) in [(p["field"], p["rule"]) for p in answer.json()["fields"]]


def test_right_to_left_text_with_its_controls_is_kept_and_isolated_on_the_page(
    client: TestClient, database_url: str
) -> None:
    body = "\u202b\u05e9\u05dc\u05d5\u05dd\u202c and a word"  # shalom, embedded RTL
    answer = client.post("/api/v1/comments", json={**VALID, "article_id": "rtl", "body": body})
    assert answer.status_code == 202
    with session_scope(database_url) as session:
        session.execute(
            text("UPDATE comments SET status = 'approved' WHERE id = :id"),
            {"id": answer.json()["id"]},
        )

    page = client.get("/articles/rtl")

    assert _comment(database_url, answer.json()["id"]).body == body
    assert '<div class="body" dir="auto">' in page.text
    assert "<bdi>" in page.text


def test_a_sign_in_name_no_account_can_have_is_a_wrong_name(
    api: TestClient, database_url: str
) -> None:
    add_account(database_url, "mona")

    wrong = post_sign_in(api, "mona", "wrong password!")
    odd = post_sign_in(api, "mo\x00na", "wrong password!")  # PostgreSQL cannot be asked for it

    assert odd.status_code == wrong.status_code == 401, odd.text
    assert "Wrong name or password" in odd.text
