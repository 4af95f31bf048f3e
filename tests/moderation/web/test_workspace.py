"""The workspace pages without a browser: signing in and out, the cookie, sign-in limits, the
queue page as HTML (escaped text, highlighted spans, reasons), and actions as plain form posts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

from moderation.app import create_app
from moderation.domain.statuses import CommentStatus
from moderation.services.accounts import SignInLimits, backoff
from moderation.storage.db import session_scope
from moderation.storage.models import ModeratorLabel, Statement
from tests.conftest import RedisServer
from tests.moderation.conftest import VALID, settings_for
from tests.support.staff import PASSWORD, add_account, decided, sign_in


@pytest.fixture
def browser(sqlite_url: str, redis_server: RedisServer) -> Iterator[TestClient]:
    settings = settings_for(sqlite_url, redis_server.url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.base_url = client.base_url.copy_with(scheme="https")
        yield client


def submit(client: TestClient, **changes: Any) -> int:
    response = client.post("/api/v1/comments", json={**VALID, **changes})
    assert response.status_code == 202, response.text
    comment_id: int = response.json()["id"]
    return comment_id


def login_token(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/moderation/login").text)
    assert found
    return found.group(1)


def test_sign_in_sets_a_secure_httponly_samesite_cookie(
    browser: TestClient, sqlite_url: str
) -> None:
    add_account(sqlite_url, "mona")

    answer = browser.post(
        "/moderation/login",
        data={"name": "mona", "password": PASSWORD, "csrf_token": login_token(browser)},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/moderation/queue/pending"
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("moderation_session=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags


def test_wrong_password_and_unknown_name_read_the_same(
    browser: TestClient, sqlite_url: str
) -> None:
    add_account(sqlite_url, "mona")

    wrong = browser.post(
        "/moderation/login",
        data={"name": "mona", "password": "nope", "csrf_token": login_token(browser)},
    )
    unknown = browser.post(
        "/moderation/login",
        data={"name": "nobody", "password": "nope", "csrf_token": login_token(browser)},
    )

    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong name or password." in wrong.text
    assert "Wrong name or password." in unknown.text
    assert "moderation_session" not in browser.cookies


def test_sign_in_without_the_forms_token_is_refused(browser: TestClient, sqlite_url: str) -> None:
    add_account(sqlite_url, "mona")
    browser.get("/moderation/login")

    answer = browser.post(
        "/moderation/login", data={"name": "mona", "password": PASSWORD, "csrf_token": "x"}
    )

    assert answer.status_code == 403
    assert "moderation_session" not in browser.cookies


def sign_in_from(app: FastAPI, address: str, name: str, passwords: list[str]) -> list[Any]:
    """Sign-in attempts from one address, in the browser of a person there."""
    with TestClient(app, base_url="https://testserver", client=(address, 5000)) as client:
        return [
            client.post(
                "/moderation/login",
                data={"name": name, "password": password, "csrf_token": login_token(client)},
                follow_redirects=False,
            )
            for password in passwords
        ]


def test_a_strangers_wrong_passwords_do_not_lock_the_moderator_out(
    database_url: str, redis_server: RedisServer
) -> None:
    add_account(database_url, "mona")
    app = create_app(settings_for(database_url, redis_server.url))

    attacker = sign_in_from(app, "198.51.100.66", "mona", ["guess"] * 5 + [PASSWORD])
    moderator = sign_in_from(app, "203.0.113.10", "mona", [PASSWORD])

    # The attacker's address waits after three failures (the default), even with the right
    # password; the moderator, from their own address, signs in at once.
    assert [a.status_code for a in attacker] == [401, 401, 401, 429, 429, 429]
    assert "Too many failed sign-ins. Try again in" in attacker[3].text
    assert int(attacker[3].headers["retry-after"]) > 0
    assert moderator[0].status_code == 303
    assert "moderation_session=" in moderator[0].headers["set-cookie"]


def test_an_address_that_keeps_failing_waits_longer_each_time() -> None:
    limits = SignInLimits(
        per_address=20,
        window=timedelta(minutes=15),
        backoff_after=3,
        backoff_base=timedelta(seconds=5),
    )

    waits = [backoff(failures, limits).total_seconds() for failures in range(1, 12)]

    assert waits == [0, 0, 5, 10, 20, 40, 80, 160, 320, 640, 900]


def test_too_many_failures_from_one_address_refuse_it_on_every_account(
    database_url: str, redis_server: RedisServer
) -> None:
    add_account(database_url, "mona")
    app = create_app(settings_for(database_url, redis_server.url, login_failures_per_address=4))

    guesses = [sign_in_from(app, "198.51.100.66", f"guess{i}", ["x"])[0] for i in range(4)]
    refused = sign_in_from(app, "198.51.100.66", "mona", [PASSWORD])[0]
    elsewhere = sign_in_from(app, "203.0.113.10", "mona", [PASSWORD])[0]

    assert [g.status_code for g in guesses] == [401] * 4
    assert refused.status_code == 429
    assert elsewhere.status_code == 303


def test_sign_in_attempts_per_address_are_limited_before_the_password_is_checked(
    sqlite_url: str, redis_server: RedisServer
) -> None:
    add_account(sqlite_url, "mona")
    app = create_app(
        settings_for(sqlite_url, redis_server.url, rate_sign_ins_per_address="3/minute")
    )

    names = ["mona", "nobody", "mona", "mona"]
    answers = [sign_in_from(app, "198.51.100.66", name, [PASSWORD])[0] for name in names]
    elsewhere = sign_in_from(app, "203.0.113.10", "mona", [PASSWORD])[0]

    assert [a.status_code for a in answers] == [303, 401, 303, 429]
    assert "Too many sign-in attempts from this address. Try again in" in answers[3].text
    assert 0 < int(answers[3].headers["retry-after"]) <= 60
    assert elsewhere.status_code == 303


def test_sign_out_ends_the_session(browser: TestClient, sqlite_url: str) -> None:
    add_account(sqlite_url, "mona")
    csrf = sign_in(browser, "mona")
    cookie = browser.cookies["moderation_session"]

    answer = browser.post("/moderation/logout", data={"csrf_token": csrf}, follow_redirects=False)

    assert answer.status_code == 303
    # The old cookie, replayed, no longer opens the workspace.
    browser.cookies.set("moderation_session", cookie)
    again = browser.get("/moderation/queue/pending", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/moderation/login")


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(
    browser: TestClient, sqlite_url: str
) -> None:
    add_account(sqlite_url, "mona")
    redirect = browser.get("/moderation/queue/spam", follow_redirects=False)
    assert redirect.headers["location"] == "/moderation/login?next=%2Fmoderation%2Fqueue%2Fspam"

    for target, expected in (
        ("/moderation/queue/spam", "/moderation/queue/spam"),
        ("https://evil.example/", "/moderation/queue/pending"),
        ("//evil.example/moderation", "/moderation/queue/pending"),
    ):
        browser.cookies.clear()
        answer = browser.post(
            "/moderation/login",
            data={
                "name": "mona",
                "password": PASSWORD,
                "next": target,
                "csrf_token": login_token(browser),
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == expected


def test_queue_page_shows_the_comment_as_text_with_its_spans_and_reasons(
    browser: TestClient, sqlite_url: str
) -> None:
    add_account(sqlite_url, "mona")
    body = 'You <b>idiot</b>, <script>alert("x")</script>'
    start = body.index("idiot")
    comment_id = submit(browser, body=body, author_name='<img src=x onerror="alert(1)">')
    decided(
        sqlite_url,
        comment_id,
        CommentStatus.PENDING,
        {"spam": 0.01, "toxicity": 0.83, "insult": 0.77},
        [{"rule": "toxicity", "value": 0.83, "threshold": 0.5, "op": ">="}],
        {"spans": {"insult": [[start, start + 5, 1.4]], "toxicity": [[start, start + 5, 1.1]]}},
    )
    sign_in(browser, "mona")

    page = browser.get("/moderation/queue/pending")

    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert str(escape('<img src=x onerror="alert(1)">')) in page.text
    # The insult span wins over plain toxicity where both cover the word.
    assert re.search(
        r'<mark class="m-insult" title="raises insult \(\+1\.40\)">idiot</mark>', page.text
    )
    assert "toxicity 0.83 &gt;= 0.5" in page.text
    assert 'Pending <span class="count">1</span>' in page.text
    assert "model v-test" in page.text


def test_actions_work_as_plain_form_posts_without_javascript(
    browser: TestClient, sqlite_url: str
) -> None:
    add_account(sqlite_url, "mona")
    ids = []
    for text in ("first held", "second held", "third held"):
        comment_id = submit(browser, body=text)
        decided(sqlite_url, comment_id, CommentStatus.PENDING, {"spam": 0.1, "toxicity": 0.6})
        ids.append(comment_id)
    csrf = sign_in(browser, "mona")

    one = browser.post(
        "/moderation/decide",
        data={
            "csrf_token": csrf,
            "item_action": f"{ids[0]}:approve",
            "next": "/moderation/queue/pending",
        },
        follow_redirects=False,
    )
    bulk = browser.post(
        "/moderation/decide",
        data={"csrf_token": csrf, "action": "reject", "ids": [str(ids[1]), str(ids[2])]},
        follow_redirects=False,
    )

    assert one.status_code == bulk.status_code == 303
    assert one.headers["location"] == "/moderation/queue/pending"
    thread = browser.get(f"/articles/{VALID['article_id']}").text
    assert "first held" in thread
    rejected = browser.get("/moderation/queue/rejected").text
    assert "second held" in rejected and "third held" in rejected
    assert 'Pending <span class="count">0</span>' in rejected


def test_each_grounds_button_shows_its_keys_and_its_form_post_records_the_ground(
    browser: TestClient, sqlite_url: str
) -> None:
    add_account(sqlite_url, "mona")
    comment_id = submit(browser, body="We know where your kids go to school.")
    decided(sqlite_url, comment_id, CommentStatus.PENDING, {"spam": 0.1, "toxicity": 0.6})
    csrf = sign_in(browser, "mona")

    page = browser.get("/moderation/queue/pending").text
    refused = browser.post(
        "/moderation/decide",
        data={"csrf_token": csrf, "item_action": f"{comment_id}:reject:rude"},
        follow_redirects=False,
    )
    threat = browser.post(
        "/moderation/decide",
        data={
            "csrf_token": csrf,
            "item_action": f"{comment_id}:reject:threats",
            f"note:{comment_id}": "names the school",
        },
        follow_redirects=False,
    )

    # The card's buttons: what each sends (the value a form posts, the data the script sends)
    # and its keys, shown on the button and bound by static/workspace.js to that button: the
    # site's grounds in catalogue order, numbered, the common ones with their old letters.
    tags = re.findall(
        rf'<button ([^>]*name="item_action" value="{comment_id}:[^>]*)>(.*?)</button>', page
    )

    def attribute(tag: str, name: str) -> str:
        found = re.search(rf' {name}="([^"]*)"', " " + tag)
        return found.group(1) if found else ""

    buttons = [
        (
            attribute(tag, "value").partition(":")[2],
            attribute(tag, "data-number"),
            attribute(tag, "data-key"),
            re.sub(r"<kbd[^>]*>[^<]*</kbd>", "", inner).strip(),
        )
        for tag, inner in tags
    ]
    assert buttons == [
        ("approve", "", "a", "Approve"),
        ("reject", "", "r", "Reject"),
        ("spam", "1", "s", "Spam"),
        ("reject:harassment", "2", "i", "Insults and harassment"),
        ("reject:hate", "3", "h", "Hateful content"),
        ("reject:threats", "4", "t", "Threats of violence"),
        ("reject:off_topic", "5", "", "Off topic"),
        ("reject:obscene", "6", "o", "Obscene or prohibited language"),
        ("reject:banned", "7", "", "Author barred from commenting"),
        ("reject:other", "8", "", "Other breach of the comment rules"),
        ("reject:illegal", "9", "", "Illegal content"),
        ("not_spam", "", "", "Not spam"),
    ]
    assert (
        'data-ground="threats" data-key="t" data-number="4" aria-keyshortcuts="4 t">'
        '<kbd aria-hidden="true">4</kbd> Threats of violence <kbd' in page
    )
    assert 'title="Regulation (EU) 2022/2065 (Digital Services Act), Art. 3(h)' in page
    assert f'name="note:{comment_id}"' in page
    assert refused.status_code == 422
    assert "no such removal ground" in refused.text
    assert threat.status_code == 303
    audit = browser.get(f"/moderation/audit?comment={comment_id}").text
    assert "reject (threats): names the school" in audit
    with session_scope(sqlite_url) as session:
        (label,) = session.query(ModeratorLabel).all()
        (statement,) = session.query(Statement).all()
    assert (label.comment_id, label.action, label.toxic, label.ground) == (
        comment_id,
        "reject",
        True,
        "threat",
    )
    assert (statement.ground_key, statement.facts) == (
        "threats",
        "A moderator removed it: names the school",
    )


def test_a_moderator_sees_a_page_not_json_where_an_admin_is_needed(
    browser: TestClient, sqlite_url: str
) -> None:
    add_account(sqlite_url, "mona")
    sign_in(browser, "mona")

    answer = browser.get("/moderation/users")

    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "this needs the admin role" in answer.text


def test_highlight_keeps_the_words_that_matter_and_the_most_specific_score() -> None:
    from moderation.services.review import SpanView
    from moderation.web.workspace import highlight

    body = "Go away, you idiot, or else"
    at = body.index

    segments = highlight(
        body,
        {
            "toxicity": [
                SpanView(start=at("idiot"), end=at("idiot") + 5, weight=2.0),
                SpanView(start=at("away"), end=at("away") + 4, weight=0.1),  # noise: not shown
            ],
            "insult": [SpanView(start=at("idiot"), end=at("idiot") + 5, weight=1.5)],
            "threat": [SpanView(start=at("or else"), end=len(body), weight=0.9)],
        },
    )

    assert "".join(s.text for s in segments) == body
    assert [(s.text, s.score) for s in segments if s.score] == [
        ("idiot", "insult"),
        ("or else", "threat"),
    ]
