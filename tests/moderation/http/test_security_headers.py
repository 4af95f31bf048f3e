"""Security headers as a browser receives them: every route of the app walked, anonymous and
signed in, every HTML answer (pages, error pages, not-found pages, the API docs) with a strict
Content-Security-Policy, framing refused and Referrer-Policy; every answer with nosniff.

The pages' own markup is read too: no inline script or style, except the API docs' scripts,
which carry the answer's nonce.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from moderation.services import sites
from moderation.services.accounts import Role
from moderation.storage.db import session_scope
from moderation.storage.models import Site
from moderation.web import docs
from tests.conftest import ROOT, RedisServer
from tests.moderation.conftest import VALID, make_client
from tests.moderation.http.test_access import ACCESS, concrete
from tests.support.staff import add_account, sign_in

NEWS_ORIGINS = ["https://news.example", "https://www.news.example"]
TEMPLATES = ROOT / "moderation" / "web" / "templates"

# What every page answers with, whatever its policy.
PAGE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
# The (method, route) pairs that answer a browser with a page in the walk below: if one stops
# being a page, or a new page appears, this list is where someone looks at its headers.
HTML_ANSWERS = {
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/articles/{article_id:path}"),
    ("GET", "/moderation/login"),
    ("POST", "/moderation/login"),  # the form again, with why the sign-in failed
    ("GET", "/moderation/queue/{queue}"),
    ("GET", "/moderation/audit"),
    ("GET", "/moderation/users"),
    ("GET", "/moderation/dashboard"),
    ("GET", "/moderation/authors"),
    ("GET", "/moderation/word-lists"),
    ("POST", "/moderation/decide"),  # the workspace's error page: no action chosen
    ("POST", "/moderation/authors"),
    ("GET", "/moderation/authors/{comment_id}"),  # the error page: no such comment
    ("POST", "/moderation/authors/{comment_id}/notes"),  # the error page: an empty note
    ("POST", "/moderation/ban-and-remove"),  # the error page: no comment chosen
    ("POST", "/moderation/word-lists"),
    ("POST", "/api/v1/comments"),  # a form post that broke a rule: the article page again
    ("GET", "/moderation/notices"),
    ("POST", "/moderation/notices/{notice_id}/review"),
    ("POST", "/moderation/notices/{notice_id}/decide"),
    ("GET", "/moderation/privacy"),
    ("POST", "/moderation/privacy/export"),
    ("POST", "/moderation/privacy/erase"),
    ("GET", "/moderation/transparency"),
    # the downloads, asked without a period: the workspace's error page (422)
    ("GET", "/moderation/transparency/report.csv"),
    ("GET", "/moderation/transparency/report.json"),
    ("GET", "/moderation/transparency/statements.json"),
    ("POST", "/notices/new"),  # the form again, with what was wrong
    ("GET", "/notices/status/{token}"),
    ("GET", "/moderation/appeals"),
    ("POST", "/moderation/appeals/{appeal_id}/decide"),  # the tab again, with what was wrong
    ("GET", "/appeals/{token}"),  # an unknown link's page
    ("POST", "/appeals/{token}"),
}


@dataclass(frozen=True)
class Answer:
    method: str
    route: str
    response: httpx.Response

    @property
    def is_page(self) -> bool:
        return self.response.headers.get("content-type", "").startswith("text/html")


def policy_of(response: httpx.Response) -> dict[str, list[str]]:
    header = response.headers["content-security-policy"]
    directives = [part.split() for part in header.split(";")]
    return {words[0]: words[1:] for words in directives if words}


class InlineCode(HTMLParser):
    """What a page runs or styles inline: <script> without src, <style>, and style="" or
    on...="" attributes; each with the nonce it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if (tag == "script" and "src" not in given) or tag == "style":
            self.found.append((f"<{tag}>", given.get("nonce")))
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append((f'{tag} {name}=""', None))


def inline_code(page: str) -> list[tuple[str, str | None]]:
    parser = InlineCode()
    parser.feed(page)
    return parser.found


@pytest.fixture(scope="module")
def app_url(shared_database_url: str, shared_redis: RedisServer) -> Iterator[Any]:
    url = shared_database_url
    with session_scope(url) as session:
        sites.add_site(session, "example-news", "Example News", None, NEWS_ORIGINS, {})
        # Stored behind the CLI's back (an old row, a hand-edited database): what a header
        # cannot carry or could be split on must not reach the policy, nor break the page.
        sites.add_site(session, "odd-news", "Odd News", None, [], {})
        odd = session.query(Site).filter_by(slug="odd-news").one()
        odd.origins = [
            "https://odd.example; script-src *",
            "https://ñews.example",
            "https://ok.example",
        ]
    add_account(url, "headers-admin", Role.ADMIN)
    add_account(url, "headers-mod")
    with make_client(url, shared_redis.url) as client:
        yield client.app, url


def browser(app: Any) -> TestClient:
    """A browser of its own, over https as the workspace's Secure cookies want."""
    return TestClient(app, base_url="https://testserver", raise_server_exceptions=False)


@pytest.fixture(scope="module")
def walked(app_url: Any) -> list[Answer]:
    """Every registered route, called by an anonymous browser and by a signed-in admin (with
    the session's CSRF token on every form, and a form for every POST)."""
    app, _ = app_url
    anonymous = browser(app)
    admin = browser(app)
    csrf = sign_in(admin, "headers-admin")
    answers = []
    for client in (anonymous, admin):
        # Signing out last, so the admin's walk is signed in throughout.
        for method, route in sorted(ACCESS, key=lambda r: r[1] == "/moderation/logout"):
            data = {"csrf_token": csrf} if method != "GET" else None
            response = client.request(method, concrete(route), data=data, follow_redirects=False)
            answers.append(Answer(method, route, response))
    return answers


def test_the_walk_meets_every_page_of_the_app(walked: list[Answer]) -> None:
    assert {(a.method, a.route) for a in walked if a.is_page} == HTML_ANSWERS


def test_every_page_refuses_framing_inline_code_and_other_origins(walked: list[Answer]) -> None:
    for answer in (a for a in walked if a.is_page):
        where = (answer.method, answer.route, answer.response.status_code)
        headers = answer.response.headers
        assert {name: headers.get(name) for name in PAGE_HEADERS} == PAGE_HEADERS, where
        policy = policy_of(answer.response)
        assert policy["default-src"] == ["'self'"], where
        assert policy["object-src"] == ["'none'"], where
        assert policy["base-uri"] == ["'none'"], where
        assert policy["frame-ancestors"] == ["'none'"], where
        assert policy["form-action"][0] == "'self'", where
        for directive in ("script-src", "style-src"):
            assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "https:"} & set(
                policy[directive]
            ), where


def test_our_pages_allow_our_own_scripts_and_styles_only_and_carry_none_inline(
    walked: list[Answer],
) -> None:
    docs_pages = {getattr(route, "path", "") for route in docs.router.routes}
    ours = [a for a in walked if a.is_page and a.route not in docs_pages]
    assert len(ours) == len([a for a in walked if a.is_page]) - len(docs_pages) * 2
    for answer in ours:
        where = (answer.method, answer.route)
        policy = policy_of(answer.response)
        assert policy["script-src"] == ["'self'"], where
        assert policy["style-src"] == ["'self'"], where
        assert inline_code(answer.response.text) == [], where


def test_every_answer_carries_nosniff(walked: list[Answer], app_url: Any) -> None:
    app, _ = app_url
    client = browser(app)
    more = [
        client.get("/static/site.css"),
        client.get("/widget.js"),
        client.get("/no/such/path"),
        # Refused before any route: by the body limit, and by CORS for an unregistered origin.
        client.post(
            "/api/v1/comments", content=b"x" * 70_000, headers={"content-type": "text/plain"}
        ),
        client.options(
            "/api/v1/comments?site=example-news",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        ),
    ]
    assert [r.status_code for r in more[2:]] == [404, 413, 403]
    for response in [a.response for a in walked] + more:
        assert response.headers.get("x-content-type-options") == "nosniff", response.url
    # An answer that is not a page carries nothing a page needs (and costs nothing more).
    assert "content-security-policy" not in client.get("/healthz").headers


def test_a_bug_answers_500_with_nosniff_too(app_url: Any) -> None:
    app, _ = app_url

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test-broken", broken)
    try:
        answer = browser(app).get("/test-broken")
    finally:
        app.router.routes.pop()

    assert answer.status_code == 500
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_error_and_not_found_pages_carry_the_page_headers(app_url: Any) -> None:
    app, _ = app_url
    moderator = browser(app)
    sign_in(moderator, "headers-mod")
    pages = {
        "not found": browser(app).get("/articles/story-1?site=no-such-site"),
        "not allowed": moderator.get("/moderation/users"),
    }

    assert {name: r.status_code for name, r in pages.items()} == {
        "not found": 404,
        "not allowed": 403,
    }
    for name, response in pages.items():
        assert response.headers["content-type"].startswith("text/html"), name
        assert {k: response.headers.get(k) for k in PAGE_HEADERS} == PAGE_HEADERS, name
        assert policy_of(response)["frame-ancestors"] == ["'none'"], name
        assert inline_code(response.text) == [], name


def test_the_article_page_may_post_its_form_to_its_sites_registered_origins(app_url: Any) -> None:
    """A form post is answered with a 303 to the article's page, which may be on one of the
    site's origins: the browser holds that redirect to form-action too."""
    app, _ = app_url
    client = browser(app)

    ours = client.get("/articles/story-1")
    news = client.get("/articles/story-1?site=example-news")
    odd = client.get("/articles/story-1?site=odd-news")
    # A form post that broke a rule: the same page again, answered from the API's path.
    again = client.post(
        "/api/v1/comments",
        data={**VALID, "site_id": "example-news", "author_email": ""},
    )

    assert policy_of(ours)["form-action"] == ["'self'"]
    assert policy_of(news)["form-action"] == ["'self'", *NEWS_ORIGINS]
    assert (again.status_code, policy_of(again)["form-action"]) == (422, ["'self'", *NEWS_ORIGINS])
    assert odd.status_code == 200
    assert policy_of(odd)["form-action"] == ["'self'", "https://ok.example"]
    assert "script-src *" not in odd.headers["content-security-policy"]


def test_the_api_docs_run_only_their_own_nonced_scripts_and_files_from_our_origin(
    app_url: Any,
) -> None:
    app, _ = app_url
    client = browser(app)
    for path in ("/docs", "/docs/oauth2-redirect", "/redoc"):
        first, second = client.get(path), client.get(path)
        policy = policy_of(first)
        nonces = {
            source[len("'nonce-") : -1]
            for source in policy["script-src"] + policy["style-src"]
            if source.startswith("'nonce-")
        }

        assert len(nonces) == 1, (path, policy)
        nonce = nonces.pop()
        assert nonce not in second.headers["content-security-policy"], path  # fresh each time
        assert first.headers["cache-control"] == "no-store", path
        # Whatever runs inline carries this answer's nonce.
        assert all(given == nonce for _, given in inline_code(first.text)), path
        # Nothing from another origin: the viewers are files of ours (they work offline).
        for source in policy["script-src"] + policy["style-src"]:
            assert source in ("'self'", "'none'", f"'nonce-{nonce}'"), (path, source)
    swagger = client.get("/docs")
    assert re.search(r'<script nonce="[^"]+">\s*const ui = SwaggerUIBundle', swagger.text)
    assert (
        f'src="{docs.SWAGGER_JS}"' in swagger.text and f'href="{docs.SWAGGER_CSS}"' in swagger.text
    )
    for asset in (docs.SWAGGER_JS, docs.SWAGGER_CSS, docs.REDOC_JS):
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert served.headers["content-type"].split(";")[0] in ("text/javascript", "text/css")
    redoc = client.get("/redoc")
    style_nonce = next(s for s in policy_of(redoc)["style-src"] if s.startswith("'nonce-"))
    # ReDoc's styles are let in with the nonce that its starter script hands over.
    assert f'nonce="{style_nonce[7:-1]}" data-spec-url="/openapi.json"' in redoc.text
    assert "'self'" in policy_of(redoc)["script-src"]


def test_no_template_has_inline_script_or_style() -> None:
    """Each template as written, so a branch the walk did not render is read as well."""
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) >= 10
    for template in templates:
        source = template.read_text()
        assert inline_code(source) == [], template.name
        assert "javascript:" not in source, template.name


def test_the_widget_stylesheet_is_served_cacheable_to_any_page(app_url: Any) -> None:
    app, _ = app_url
    client = browser(app)
    script = client.get("/widget.js")
    sheet = client.get("/widget.css")

    assert sheet.status_code == 200
    assert sheet.headers["content-type"] == "text/css; charset=utf-8"
    assert sheet.headers["cache-control"].startswith("public, max-age=")
    assert sheet.headers["cross-origin-resource-policy"] == "cross-origin"
    assert ":where(.mcw-field)" in sheet.text
    assert (
        client.get("/widget.css", headers={"If-None-Match": sheet.headers["etag"]}).status_code
        == 304
    )
    # The script links the stylesheet rather than writing a <style> a strict page would refuse.
    assert '"/widget.css"' in script.text
    assert 'createElement("style")' not in script.text
