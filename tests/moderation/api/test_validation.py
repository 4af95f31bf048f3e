"""POST /api/v1/comments: every input rule, through the real app, as JSON and as a form."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.moderation.conftest import VALID
from tests.support.sites import NEWS_ORIGIN, add_site, fresh_sites
from tests.support.tables import cases

URL = "/api/v1/comments"
MISSING = object()


def post_json(client: TestClient, **changes: Any) -> Any:
    data = {**VALID, **changes}
    data = {key: value for key, value in data.items() if value is not MISSING}
    return client.post(URL, json=data)


def problems(response: Any) -> list[tuple[str, str]]:
    return [(item["field"], item["rule"]) for item in response.json()["fields"]]


def error_text(page: str, field: str) -> str:
    match = re.search(rf'id="error-{field}">(.*?)</span>', page, re.S)
    assert match, f"no error shown next to {field}"
    return html.unescape(match.group(1))


# (test id, changes to a valid comment, the field named, the rule named)
INVALID_ROWS = [
    ("article_id missing", {"article_id": MISSING}, "article_id", "required"),
    ("article_id empty", {"article_id": ""}, "article_id", "required"),
    ("article_id blank", {"article_id": "   "}, "article_id", "required"),
    ("article_id too long", {"article_id": "a" * 201}, "article_id", "max_length"),
    ("author_name missing", {"author_name": MISSING}, "author_name", "required"),
    ("author_name empty", {"author_name": ""}, "author_name", "required"),
    ("author_name 101 chars", {"author_name": "n" * 101}, "author_name", "max_length"),
    ("author_email missing", {"author_email": MISSING}, "author_email", "required"),
    ("author_email empty", {"author_email": ""}, "author_email", "required"),
    ("author_email no at", {"author_email": "not-an-address"}, "author_email", "email"),
    ("author_email no domain", {"author_email": "ann@"}, "author_email", "email"),
    ("author_email two ats", {"author_email": "a@b@example.com"}, "author_email", "email"),
    ("body missing", {"body": MISSING}, "body", "required"),
    ("body empty", {"body": ""}, "body", "required"),
    ("body whitespace only", {"body": "  \n\t \r\n  "}, "body", "required"),
    ("body 5001 chars", {"body": "b" * 5001}, "body", "max_length"),
    ("author_url javascript", {"author_url": "javascript:alert(1)"}, "author_url", "http_url"),
    ("author_url ftp", {"author_url": "ftp://example.com/file"}, "author_url", "http_url"),
    ("author_url no scheme", {"author_url": "example.com/me"}, "author_url", "http_url"),
    ("author_url data", {"author_url": "data:text/html,<b>x</b>"}, "author_url", "http_url"),
    (
        "author_url too long",
        {"author_url": "https://example.com/" + "p" * 2000},
        "author_url",
        "max_length",
    ),
    ("article_url javascript", {"article_url": "javascript:x"}, "article_url", "http_url"),
    ("article_title too long", {"article_title": "t" * 301}, "article_title", "max_length"),
    ("parent_id unknown", {"parent_id": 987654}, "parent_id", "exists"),
    ("parent_id zero", {"parent_id": 0}, "parent_id", "min_value"),
    ("parent_id negative", {"parent_id": -3}, "parent_id", "min_value"),
    ("parent_id text", {"parent_id": "first"}, "parent_id", "type"),
    ("parent_id fraction", {"parent_id": 1.5}, "parent_id", "type"),
    ("parent_id over 64 bits", {"parent_id": 2**64}, "parent_id", "max_value"),
    ("body NUL", {"body": "a\x00b"}, "body", "control_characters"),
    ("body BEL", {"body": "ding\x07"}, "body", "control_characters"),
    ("body ESC", {"body": "\x1b[31mred"}, "body", "control_characters"),
    ("body DEL", {"body": "x\x7fy"}, "body", "control_characters"),
    ("body C1 NEL", {"body": "x\x85y"}, "body", "control_characters"),
    ("body vertical tab", {"body": "x\x0by"}, "body", "control_characters"),
    ("name NUL", {"author_name": "Ann\x00"}, "author_name", "control_characters"),
    ("name BEL", {"author_name": "A\x07nn"}, "author_name", "control_characters"),
    ("name ESC", {"author_name": "\x1bAnn"}, "author_name", "control_characters"),
    ("article_id NUL", {"article_id": "s\x00"}, "article_id", "control_characters"),
    ("unknown field", {"is_admin": True}, "is_admin", "unknown_field"),
    ("another unknown field", {"status": "approved"}, "status", "unknown_field"),
    ("name is an object", {"author_name": {"first": "Ann"}}, "author_name", "type"),
    ("body is a list", {"body": ["a", "b"]}, "body", "type"),
    ("body is null", {"body": None}, "body", "type"),
]


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    cases(INVALID_ROWS),
)
def test_json_rule_names_the_field(
    shared_client: TestClient, changes: dict[str, Any], field: str, rule: str
) -> None:
    response = post_json(shared_client, **changes)

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_comment"
    assert (field, rule) in problems(response), response.text


# (test id, changes to a valid comment) that must be accepted
VALID_ROWS = [
    ("plain", {}),
    ("name exactly 100 chars", {"author_name": "n" * 100}),
    ("body exactly 5000 chars", {"body": "b" * 5000}),
    ("body with newline and tab", {"body": "line one\n\tline two"}),
    ("body with CRLF", {"body": "line one\r\nline two\r\n"}),
    ("body 5000 chars of CRLF pairs once normalised", {"body": "ab\r\n" * 1250}),
    ("http url", {"author_url": "http://example.com"}),
    ("https url with path and query", {"author_url": "https://example.com/me?x=1#top"}),
    ("url of 2000 chars", {"author_url": "https://example.com/" + "p" * 1980}),
    ("empty optional url", {"author_url": ""}),
    ("null optional url", {"author_url": None}),
    ("emoji body", {"body": "Great piece \U0001f44d\U0001f3fd"}),
    ("RTL name and body", {"author_name": "سارة", "body": "مقال رائع، شكرا"}),
    ("zero-width joiner in name", {"author_name": "Ann\u200dReader"}),
    ("internationalised email", {"author_email": "jos\u00e9@ex\u00e4mple.com"}),
    ("number as article id", {"article_id": 12345}),
]


@pytest.mark.parametrize("changes", cases(VALID_ROWS))
def test_valid_json_is_accepted(shared_client: TestClient, changes: dict[str, Any]) -> None:
    response = post_json(shared_client, **changes)

    assert response.status_code == 202, response.text
    answer = response.json()
    assert isinstance(answer["id"], int)
    assert answer["status"] == "queued"
    status = shared_client.get(answer["status_url"])
    assert status.status_code == 200
    assert status.json()["id"] == answer["id"]
    assert status.json()["status"] == "queued"


def test_whitespace_around_fields_is_trimmed(shared_client: TestClient) -> None:
    response = post_json(shared_client, author_name="  Ann  ", body="  hello  ")

    assert response.status_code == 202
    assert shared_client.get(response.json()["status_url"]).json()["status"] == "queued"


def test_reply_to_a_comment_on_another_article_is_refused(shared_client: TestClient) -> None:
    parent = post_json(shared_client, article_id="other-story").json()["id"]

    response = post_json(shared_client, article_id="story-1", parent_id=parent)

    assert response.status_code == 422
    assert ("parent_id", "same_article") in problems(response)


def test_reply_to_a_comment_on_the_same_article_is_accepted(shared_client: TestClient) -> None:
    parent = post_json(shared_client, article_id="thread-story").json()["id"]

    response = post_json(shared_client, article_id="thread-story", parent_id=parent)

    assert response.status_code == 202


def test_every_broken_rule_is_reported_at_once(shared_client: TestClient) -> None:
    response = shared_client.post(URL, json={"author_email": "nope", "body": " "})

    assert response.status_code == 422
    fields = {field for field, _ in problems(response)}
    assert fields == {"article_id", "author_name", "author_email", "body"}


# (test id, raw body, content type or None, status, field, rule)
RAW_ROWS = [
    ("malformed JSON", b'{"body": ', "application/json", 400, "request", "json"),
    ("JSON with trailing comma", b'{"body": "x",}', "application/json", 400, "request", "json"),
    ("empty JSON body", b"", "application/json", 400, "request", "json"),
    ("JSON array", json.dumps([VALID]).encode(), "application/json", 400, "request", "json_object"),
    ("JSON string", b'"hello"', "application/json", 400, "request", "json_object"),
    ("JSON null", b"null", "application/json", 400, "request", "json_object"),
    ("non-UTF-8 JSON", b'{"body": "caf\xe9"}', "application/json", 400, "request", "json"),
    (
        "lone surrogate in JSON",
        json.dumps({**VALID, "body": "x\ud800y"}).encode(),
        "application/json",
        422,
        "body",
        "unicode",
    ),
    (
        "non-UTF-8 form",
        b"article_id=a&author_name=Ann&author_email=a%40example.com&body=caf%E9",
        "application/x-www-form-urlencoded",
        400,
        "request",
        "encoding",
    ),
    (
        "raw non-UTF-8 byte in form",
        b"article_id=a&author_name=Ann&author_email=a%40example.com&body=caf\xe9",
        "application/x-www-form-urlencoded",
        400,
        "request",
        "encoding",
    ),
    ("text/plain", json.dumps(VALID).encode(), "text/plain", 415, "Content-Type", "media_type"),
    ("XML", b"<comment/>", "application/xml", 415, "Content-Type", "media_type"),
    ("no content type", json.dumps(VALID).encode(), None, 415, "Content-Type", "media_type"),
    (
        "body over 64 KiB",
        json.dumps({**VALID, "body": "b" * 70_000}).encode(),
        "application/json",
        413,
        "request",
        "max_size",
    ),
    (
        "form over 64 KiB",
        b"body=" + b"b" * 70_000,
        "application/x-www-form-urlencoded",
        413,
        "request",
        "max_size",
    ),
]


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "field", "rule"),
    cases(RAW_ROWS),
)
def test_raw_request_rule(
    shared_client: TestClient,
    raw: bytes,
    content_type: str | None,
    status: int,
    field: str,
    rule: str,
) -> None:
    headers = {"content-type": content_type} if content_type else {}

    response = shared_client.post(URL, content=raw, headers=headers)

    assert response.status_code == status, response.text
    assert (field, rule) in problems(response), response.text


def test_body_over_64_kib_sent_chunked_without_length_is_413(shared_client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 8192

    response = shared_client.post(
        URL, content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert ("request", "max_size") in problems(response)


def test_body_just_under_64_kib_is_read(shared_client: TestClient) -> None:
    raw = json.dumps({**VALID, "padding": "p" * 60_000}).encode()
    assert len(raw) < 64 * 1024

    response = shared_client.post(URL, content=raw, headers={"content-type": "application/json"})

    assert response.status_code == 422  # read and validated, not refused for its size
    assert ("padding", "unknown_field") in problems(response)


def test_json_with_charset_parameter_is_accepted(shared_client: TestClient) -> None:
    response = shared_client.post(
        URL,
        content=json.dumps(VALID).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )

    assert response.status_code == 202


# ---- plain HTML form posts ---------------------------------------------------------------

# The page words a problem with the field's label ("Comment", not "body"): what a reader sees.
FORM_ROWS = [
    ("body empty", {"body": ""}, "body", "Comment must not be empty"),
    ("body whitespace", {"body": "   \r\n  "}, "body", "Comment must not be empty"),
    ("body too long", {"body": "b" * 5001}, "body", "at most 5000"),
    ("body control char", {"body": "bad\x07bell"}, "body", "control characters"),
    ("name empty", {"author_name": ""}, "author_name", "Name must not be empty"),
    ("name too long", {"author_name": "n" * 101}, "author_name", "at most 100"),
    ("name control char", {"author_name": "Ann\x1b"}, "author_name", "control characters"),
    ("email empty", {"author_email": ""}, "author_email", "Email must not be empty"),
    ("email not an address", {"author_email": "ann.example.com"}, "author_email", "email"),
    ("url javascript", {"author_url": "javascript:alert(1)"}, "author_url", "http"),
    ("url no scheme", {"author_url": "example.com"}, "author_url", "http"),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    cases(FORM_ROWS),
)
def test_form_error_reshows_the_article_page_with_the_message_by_the_field(
    shared_client: TestClient, changes: dict[str, str], field: str, message: str
) -> None:
    form = {**VALID, "body": "My kept words & <thoughts>", **changes}

    response = shared_client.post(URL, data=form, follow_redirects=False)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert message in error_text(page, field)
    assert 'aria-invalid="true"' in page
    # The reader's text is kept, escaped, in the form.
    for name in ("author_name", "author_email", "body"):
        if name != field and form[name]:
            assert html.escape(form[name], quote=False) in page


def test_form_error_keeps_the_readers_text(shared_client: TestClient) -> None:
    form = {**VALID, "author_email": "broken", "body": "Line one\r\nLine two"}

    response = shared_client.post(URL, data=form)

    assert response.status_code == 422
    assert re.search(r">Line one\r?\nLine two</textarea>", response.text)
    assert 'value="Ann Reader"' in response.text
    assert 'value="broken"' in response.text


def test_form_with_unknown_parent_reports_it(shared_client: TestClient) -> None:
    response = shared_client.post(URL, data={**VALID, "parent_id": "424242"})

    assert response.status_code == 422
    assert "parent_id is not a known comment" in response.text


def test_form_ignores_fields_that_are_not_ours(shared_client: TestClient) -> None:
    form = {**VALID, "submit": "Post Comment", "csrf_token": "abc"}

    response = shared_client.post(URL, data=form, follow_redirects=False)

    assert response.status_code == 303


def test_valid_form_redirects_back_to_the_article_page(shared_client: TestClient) -> None:
    response = shared_client.post(
        URL, data={**VALID, "article_id": "form-story"}, follow_redirects=False
    )

    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/articles/form-story"
    assert re.fullmatch(r"comment=\d+", location.query)
    assert location.fragment == "comment-status"

    page = shared_client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Your comment is awaiting moderation." in page.text


def test_a_form_on_the_sites_page_returns_to_the_article_url_it_gave(
    shared_client: TestClient, shared_database_url: str
) -> None:
    add_site(shared_database_url, "form-news")
    fresh_sites(shared_client)
    form = {
        **VALID,
        "site_id": "form-news",
        "article_id": "site-story",
        "article_url": "https://news.example/a?x=1",
    }

    response = shared_client.post(
        URL, data=form, headers={"Origin": NEWS_ORIGIN}, follow_redirects=False
    )

    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"https://news\.example/a\?x=1&comment=\d+#comment-status", location)


def test_empty_parent_id_in_a_form_means_top_level(shared_client: TestClient) -> None:
    response = shared_client.post(URL, data={**VALID, "parent_id": ""}, follow_redirects=False)

    assert response.status_code == 303


def test_multipart_form_post_is_accepted(shared_client: TestClient) -> None:
    response = shared_client.post(
        URL,
        data={**VALID, "article_id": "multipart-story"},
        files={"attachment": ("note.txt", b"ignored", "text/plain")},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert urlsplit(response.headers["location"]).path == "/articles/multipart-story"


def test_multipart_form_error_is_shown_by_the_field(shared_client: TestClient) -> None:
    response = shared_client.post(
        URL,
        data={**VALID, "author_name": "n" * 101},
        files={"attachment": ("note.txt", b"ignored", "text/plain")},
    )

    assert response.status_code == 422
    assert "at most 100" in error_text(response.text, "author_name")


def test_malformed_multipart_is_400(shared_client: TestClient) -> None:
    response = shared_client.post(
        URL,
        content=b"--nope\r\nnot a part",
        headers={"content-type": "multipart/form-data; boundary=other"},
    )

    assert response.status_code < 500
    assert response.status_code in (400, 422)


# ---- never a 500 ---------------------------------------------------------------------------

ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    10**40,
    -(10**40),
    2**63,
    2**63 - 1,
    {"nested": {"deeper": [1, 2, 3]}},
    [],
    [None],
    "",
    " ",
    "\U0001f600" * 50,
    "\U0001f600" * 101,
    "مرحبا بالعالم",
    "\u202eevil\u202c",
    "\u200b",
    "a\u200b\u200c\u200d\ufeffb",
    "\u00e9\u0301" * 20,
    "\U0001d518\U0001d52b\U0001d526",  # mathematical fraktur letters
    "x" * 70,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%00%0a",
    "../../etc/passwd",
    "nul\x00inside",
    "a/b",
    "?x=1#frag",
    "http://example.com",
]
FUZZED_FIELDS = [
    "article_id",
    "article_url",
    "article_title",
    "parent_id",
    "author_name",
    "author_email",
    "author_url",
    "body",
]


def test_odd_json_values_never_give_a_server_error(client: TestClient) -> None:
    # One test per database (a fresh PostgreSQL database costs more than all these posts).
    for field in FUZZED_FIELDS:
        for value in ODD_VALUES:
            response = post_json(client, **{field: value})
            assert response.status_code < 500, (field, value, response.text)


def test_odd_form_values_never_give_a_server_error(client: TestClient) -> None:
    for field in FUZZED_FIELDS:
        for value in ODD_VALUES:
            form = {**VALID, field: value if isinstance(value, str) else str(value)}
            response = client.post(URL, data=form, follow_redirects=False)
            assert response.status_code < 500, (field, value, response.text)


ODD_BODIES = [
    b"{}",
    b"[]",
    b"1",
    b"true",
    b'{"article_id": NaN}',
    b'{"parent_id": Infinity}',
    b'{"parent_id": 1e400}',
    b'{"parent_id": -1e400}',
    b'{"parent_id": 1e5}',
    b'{"parent_id": "1e5"}',
    b'{"parent_id": 99999999999999999999999999999999999}',
    b'{"body": {"$gt": ""}}',
    b'{"__proto__": {"admin": true}}',
    b"\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",
    b"\x00\x00\x00\x00",
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b'{"body": "' + b"\\u0000" * 10 + b'"}',
    b'{"body": "\\udc00\\ud800"}',
]


@pytest.mark.parametrize("raw", ODD_BODIES, ids=[repr(raw[:24]) for raw in ODD_BODIES])
def test_odd_json_bodies_never_give_a_server_error(shared_client: TestClient, raw: bytes) -> None:
    response = shared_client.post(URL, content=raw, headers={"content-type": "application/json"})

    assert response.status_code < 500, response.text


@pytest.mark.parametrize("article_id", ["a/b", "a b", "naïve", "x" * 200, "?q=1", "#top"])
def test_odd_article_ids_in_a_form_lead_back_to_their_own_page(
    shared_client: TestClient, article_id: str
) -> None:
    response = shared_client.post(
        URL, data={**VALID, "article_id": article_id}, follow_redirects=False
    )

    assert response.status_code == 303, response.text
    page = shared_client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Your comment is awaiting moderation." in page.text
