"""Every registered route, walked: who may call it. Anonymous callers get 401 on the API and a
redirect to the sign-in page on the workspace; a moderator gets 403 where an admin is needed;
a browser session without its CSRF token cannot change anything.

The table below must name every route the app registers, so a new route cannot ship without
someone deciding who may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from moderation.services.accounts import Role
from tests.conftest import RedisServer
from tests.moderation.conftest import make_client
from tests.support.staff import Account, add_account, sign_in

PUBLIC, MODERATOR, ADMIN = "public", "moderator", "admin"
# Called by a site's backend with the site's secret key, in the protocol the route speaks: a call
# without it gets that protocol's refusal (Akismet: `invalid` with HTTP 200), not a 401.
SITE_KEY = "site key"
STAFF = (MODERATOR, ADMIN)
# Prometheus: loopback clients, or anyone with the metrics token when one is set
# (tests/moderation/http/test_request_log.py); never a staff account as such.
SCRAPER = "metrics scraper"

ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/readyz/intake"): PUBLIC,
    ("GET", "/metrics"): SCRAPER,
    ("POST", "/api/v1/comments"): PUBLIC,
    ("GET", "/api/v1/comments/{comment_id}"): PUBLIC,
    ("GET", "/api/v1/articles/{article_id:path}/comments"): PUBLIC,
    ("POST", "/api/v1/comments/validate"): PUBLIC,
    ("POST", "/api/v1/comments/{comment_id}/reports"): PUBLIC,
    ("POST", "/api/v1/notices"): PUBLIC,
    ("GET", "/api/v1/notices/status/{token}"): PUBLIC,
    ("GET", "/notices/new"): PUBLIC,
    ("POST", "/notices/new"): PUBLIC,
    ("GET", "/notices/status/{token}"): PUBLIC,
    ("POST", "/api/v1/appeals"): PUBLIC,
    ("GET", "/api/v1/appeals/{token}"): PUBLIC,
    ("GET", "/appeals/{token}"): PUBLIC,
    ("POST", "/appeals/{token}"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/articles/{article_id:path}"): PUBLIC,
    ("GET", "/widget.js"): PUBLIC,
    ("GET", "/widget.css"): PUBLIC,
    ("GET", "/moderation/login"): PUBLIC,
    ("POST", "/moderation/login"): PUBLIC,
    ("GET", "/api/v1/moderation/me"): MODERATOR,
    ("GET", "/api/v1/moderation/queue"): MODERATOR,
    ("POST", "/api/v1/moderation/comments/{comment_id}/decision"): MODERATOR,
    ("GET", "/api/v1/moderation/comments/{comment_id}/statements"): MODERATOR,
    ("POST", "/api/v1/moderation/decisions"): MODERATOR,
    ("POST", "/api/v1/moderation/comments/{comment_id}/undo"): MODERATOR,
    ("POST", "/api/v1/moderation/comments/{comment_id}/ban-and-remove"): MODERATOR,
    ("POST", "/api/v1/moderation/comments/{comment_id}/ban-and-remove/undo"): MODERATOR,
    ("GET", "/api/v1/moderation/counts"): MODERATOR,
    ("GET", "/api/v1/moderation/audit"): MODERATOR,
    ("GET", "/api/v1/moderation/audit.csv"): MODERATOR,
    ("GET", "/api/v1/moderation/stats"): MODERATOR,
    ("GET", "/api/v1/moderation/authors"): MODERATOR,
    ("POST", "/api/v1/moderation/authors"): MODERATOR,
    ("DELETE", "/api/v1/moderation/authors"): MODERATOR,
    ("GET", "/api/v1/moderation/notices"): MODERATOR,
    ("POST", "/api/v1/moderation/notices/{notice_id}/review"): MODERATOR,
    ("POST", "/api/v1/moderation/notices/{notice_id}/decision"): MODERATOR,
    ("GET", "/api/v1/moderation/appeals"): MODERATOR,
    ("POST", "/api/v1/moderation/appeals/{appeal_id}/decision"): MODERATOR,
    ("GET", "/api/v1/admin/users"): ADMIN,
    ("GET", "/api/v1/admin/sites/{site}/grounds"): ADMIN,
    ("POST", "/api/v1/admin/sites/{site}/grounds"): ADMIN,
    ("PATCH", "/api/v1/admin/sites/{site}/grounds/{key}"): ADMIN,
    ("GET", "/api/v1/admin/word-rules"): ADMIN,
    ("POST", "/api/v1/admin/word-rules"): ADMIN,
    ("DELETE", "/api/v1/admin/word-rules/{rule_id}"): ADMIN,
    ("POST", "/api/v1/admin/authors/export"): ADMIN,
    ("POST", "/api/v1/admin/authors/erase"): ADMIN,
    ("GET", "/api/v1/admin/transparency"): ADMIN,
    ("GET", "/moderation"): MODERATOR,
    ("POST", "/moderation/logout"): MODERATOR,
    ("GET", "/moderation/queue/{queue}"): MODERATOR,
    ("POST", "/moderation/decide"): MODERATOR,
    ("GET", "/moderation/notices"): MODERATOR,
    ("POST", "/moderation/notices/{notice_id}/review"): MODERATOR,
    ("POST", "/moderation/notices/{notice_id}/decide"): MODERATOR,
    ("GET", "/moderation/appeals"): MODERATOR,
    ("POST", "/moderation/appeals/{appeal_id}/decide"): MODERATOR,
    ("GET", "/moderation/audit"): MODERATOR,
    ("GET", "/moderation/users"): ADMIN,
    ("GET", "/moderation/dashboard"): MODERATOR,
    ("GET", "/moderation/authors"): MODERATOR,
    ("POST", "/moderation/authors"): MODERATOR,
    ("GET", "/moderation/authors/{comment_id}"): MODERATOR,
    ("POST", "/moderation/authors/{comment_id}/notes"): MODERATOR,
    ("POST", "/moderation/ban-and-remove"): MODERATOR,
    ("GET", "/moderation/word-lists"): ADMIN,
    ("POST", "/moderation/word-lists"): ADMIN,
    ("GET", "/moderation/privacy"): ADMIN,
    ("POST", "/moderation/privacy/export"): ADMIN,
    ("POST", "/moderation/privacy/erase"): ADMIN,
    ("GET", "/moderation/transparency"): ADMIN,
    ("GET", "/moderation/transparency/report.csv"): ADMIN,
    ("GET", "/moderation/transparency/report.json"): ADMIN,
    ("GET", "/moderation/transparency/statements.json"): ADMIN,
    ("POST", "/1.1/verify-key"): SITE_KEY,
    ("POST", "/1.1/comment-check"): SITE_KEY,
    ("POST", "/1.1/submit-spam"): SITE_KEY,
    ("POST", "/1.1/submit-ham"): SITE_KEY,
    ("GET", "/1.2/usage-limit"): SITE_KEY,
    ("POST", "/v1alpha1/comments:analyze"): SITE_KEY,
    ("POST", "/v1alpha1/comments:suggestscore"): SITE_KEY,
}
SAMPLE_PATH_VALUES = {
    "comment_id": "1",
    "article_id": "story-1",
    "queue": "pending",
    "rule_id": "1",
    "notice_id": "1",
    "appeal_id": "1",
    "site": "default",
    "key": "spam",
    "token": "no-such-token",
}


def registered_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    for route in app.routes:
        # Routers included in the app are grouped; their routes are listed through the group.
        contexts = getattr(route, "effective_route_contexts", None)
        found = (
            [(c.path, c.original_route) for c in contexts()]
            if contexts
            else [(getattr(route, "path", ""), route)]
        )
        for path, original in found:
            methods = getattr(original, "methods", None)
            if methods is None:  # a mount (static files): public by nature
                continue
            for method in sorted(methods - {"HEAD"}):
                yield method, path


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: SAMPLE_PATH_VALUES[m.group(1)], path)


@pytest.fixture(scope="module")
def site(shared_database_url: str, shared_redis: RedisServer) -> Iterator[tuple[TestClient, str]]:
    url = shared_database_url
    with make_client(url, shared_redis.url) as client:
        client.base_url = client.base_url.copy_with(scheme="https")
        yield client, url


@pytest.fixture(scope="module")
def people(site: tuple[TestClient, str]) -> dict[str, Account]:
    _, url = site
    return {
        MODERATOR: add_account(url, "walk-mod"),
        ADMIN: add_account(url, "walk-admin", Role.ADMIN),
    }


def test_the_table_names_every_registered_route(site: tuple[TestClient, str]) -> None:
    client, _ = site
    registered = set(registered_routes(client.app))  # type: ignore[arg-type]

    assert registered - set(ACCESS) == set(), "a new route needs a row in ACCESS"
    assert set(ACCESS) - registered == set(), "ACCESS lists a route that no longer exists"


@pytest.mark.parametrize(("method", "path"), [k for k, v in ACCESS.items() if v in STAFF])
def test_anonymous_callers_are_refused(
    site: tuple[TestClient, str], method: str, path: str
) -> None:
    client, _ = site
    client.cookies.clear()

    answer = client.request(method, concrete(path), follow_redirects=False)

    if path.startswith("/api/"):
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"].startswith("Bearer")
    else:
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].startswith("/moderation/login?next=")


@pytest.mark.parametrize(("method", "path"), [k for k, v in ACCESS.items() if v == SITE_KEY])
def test_calls_without_the_site_key_get_their_protocols_refusal(
    site: tuple[TestClient, str], people: dict[str, Account], method: str, path: str
) -> None:
    """Neither an anonymous caller nor a moderator's token speaks for a site."""
    client, _ = site
    client.cookies.clear()
    form = {"blog": "https://news.example", "user_ip": "203.0.113.9", "comment_content": "hi"}

    for headers in ({}, people[ADMIN].headers):
        answer = client.request(method, concrete(path), data=form, headers=headers)

        if path.startswith(("/1.1/", "/1.2/")):  # Akismet: errors come back with HTTP 200
            assert (answer.status_code, answer.text) == (200, "invalid"), answer.text
            assert answer.headers["x-akismet-debug-help"].startswith("Empty")
        elif path.startswith("/v1alpha1/"):  # Perspective: Google's refusal of a missing key
            assert answer.status_code == 403, answer.text
            assert answer.json()["error"]["message"] == "The request is missing a valid API key."
        else:
            assert answer.status_code in (400, 401, 403), answer.text


@pytest.mark.parametrize(("method", "path"), [k for k, v in ACCESS.items() if v == SCRAPER])
def test_metrics_are_refused_to_a_remote_caller_whatever_account_it_has(
    site: tuple[TestClient, str], people: dict[str, Account], method: str, path: str
) -> None:
    client, _ = site  # the test client calls from "testclient", not a loopback address
    client.cookies.clear()
    for headers in ({}, people[MODERATOR].headers, people[ADMIN].headers):
        answer = client.request(method, concrete(path), headers=headers)

        assert answer.status_code == 403, answer.text
        assert "moderation_" not in answer.text


@pytest.mark.parametrize(("method", "path"), [k for k, v in ACCESS.items() if v in STAFF])
def test_each_role_gets_exactly_its_routes(
    site: tuple[TestClient, str], people: dict[str, Account], method: str, path: str
) -> None:
    client, _ = site
    client.cookies.clear()
    needed = ACCESS[(method, path)]
    for role, account in people.items():
        if path.startswith("/api/"):
            answer = client.request(method, concrete(path), headers=account.headers, json={})
        else:
            client.cookies.clear()
            csrf = sign_in(client, account.name)
            answer = client.request(
                method, concrete(path), data={"csrf_token": csrf}, follow_redirects=False
            )
        allowed = role == ADMIN or needed == MODERATOR
        if allowed:
            assert answer.status_code not in (401, 403), (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)
    client.cookies.clear()


UNSAFE_STAFF_ROUTES = [
    (m, p) for (m, p), v in ACCESS.items() if v in STAFF and m in ("POST", "PUT", "PATCH", "DELETE")
]


@pytest.mark.parametrize(("method", "path"), UNSAFE_STAFF_ROUTES)
def test_a_signed_in_browser_needs_its_csrf_token_to_change_anything(
    site: tuple[TestClient, str], people: dict[str, Account], method: str, path: str
) -> None:
    client, _ = site
    client.cookies.clear()
    sign_in(client, people[ADMIN].name)

    answer = client.request(
        method,
        concrete(path),
        data={"csrf_token": "forged"} if not path.startswith("/api/") else None,
        json={"action": "approve", "ids": [1]} if path.startswith("/api/") else None,
        headers={"X-CSRF-Token": "forged"},
        follow_redirects=False,
    )

    assert answer.status_code == 403, answer.text
    client.cookies.clear()
