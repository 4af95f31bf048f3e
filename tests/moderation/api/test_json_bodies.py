"""Every route that reads a JSON body answers one it cannot read with a 4xx naming the problem,
never a 500: the public comment routes (our own reader), the moderation API (FastAPI's reader)
and the Perspective-compatible API (its own reader, answering in Google's shape).

Python refuses to turn a number of more than 4,300 digits into an int (a ValueError that is not
a JSONDecodeError), and its JSON reader gives up on deep nesting (RecursionError): both are
malformed input, as a truncated body is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from moderation.services.accounts import Role
from moderation.services.sites import DEFAULT_SITE
from moderation.storage.db import session_scope
from moderation.storage.models import Site
from tests.conftest import RedisServer
from tests.moderation.conftest import make_client
from tests.support.staff import Account, add_account

LONG_NUMBER = "1" * 4301
# Each under the 64 KiB body limit, so it reaches the route's reader.
UNREADABLE = {
    "a number of 4,301 digits": f'{{"parent_id": {LONG_NUMBER}}}'.encode(),
    "a bare number of 4,301 digits": LONG_NUMBER.encode(),
    "a long negative number in a list": f'{{"ids": [-{LONG_NUMBER}]}}'.encode(),
    "arrays nested 30,000 deep": b"[" * 30_000 + b"]" * 30_000,
    "objects nested 10,000 deep": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "truncated": b'{"article_id": "story-1", "body": "half',
    "not UTF-8": b'{"body": "\xff\xfe"}',
}

PUBLIC_ROUTES = [
    "/api/v1/comments",
    "/api/v1/comments/validate",
    "/api/v1/comments/1/reports",
]
STAFF_ROUTES = [
    "/api/v1/moderation/comments/1/decision",
    "/api/v1/moderation/decisions",
    "/api/v1/moderation/authors",
    "/api/v1/admin/word-rules",
]
PERSPECTIVE_ROUTES = ["/v1alpha1/comments:analyze", "/v1alpha1/comments:suggestscore"]


@dataclass
class Service:
    client: TestClient
    admin: Account
    site_key: str


@pytest.fixture(scope="module")
def service(shared_database_url: str, shared_redis: RedisServer) -> Iterator[Service]:
    url = shared_database_url
    admin = add_account(url, "json-admin", Role.ADMIN)
    with session_scope(url) as session:
        key = session.execute(select(Site.secret_key).where(Site.slug == DEFAULT_SITE)).scalar_one()
    with make_client(url, shared_redis.url) as client:
        yield Service(client, admin, key)


@pytest.mark.parametrize("path", PUBLIC_ROUTES + STAFF_ROUTES)
@pytest.mark.parametrize("raw", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_the_json_api_answers_unreadable_json_with_400_naming_the_request(
    service: Service, path: str, raw: bytes
) -> None:
    staff = service.admin.headers if path in STAFF_ROUTES else {}
    answer = service.client.post(
        path, content=raw, headers={"content-type": "application/json", **staff}
    )

    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert [(p["field"], p["rule"]) for p in body["fields"]] == [("request", "json")]
    assert body["message"].startswith("request body is not valid JSON")


@pytest.mark.parametrize("path", PERSPECTIVE_ROUTES)
@pytest.mark.parametrize("raw", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_the_perspective_api_answers_unreadable_json_as_google_does(
    service: Service, path: str, raw: bytes
) -> None:
    answer = service.client.post(
        f"{path}?key={service.site_key}",
        content=raw,
        headers={"content-type": "application/json"},
    )

    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"].startswith("Invalid JSON payload received.")
