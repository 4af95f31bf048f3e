"""An author's export and erasure through the moderation API, on both databases: admins
only, the email in the body, the answers an admin's script reads."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from moderation.services.accounts import Role
from tests.support.privacy import ZED_EMAIL, ZED_TRACES, table_dump, traces_in, write_scenario
from tests.support.staff import Account, add_account

EXPORT = "/api/v1/admin/authors/export"
ERASE = "/api/v1/admin/authors/erase"


@pytest.fixture
def admin(database_url: str) -> Account:
    return add_account(database_url, "ada", Role.ADMIN)


@pytest.fixture
def moderator(database_url: str) -> Account:
    return add_account(database_url, "max")


def test_an_admin_exports_then_erases_an_author(
    api: TestClient, database_url: str, admin: Account
) -> None:
    s = write_scenario(database_url)

    exported = api.post(EXPORT, json={"email": ZED_EMAIL.upper()}, headers=admin.headers)
    erased = api.post(ERASE, json={"email": ZED_EMAIL}, headers=admin.headers)
    again = api.post(ERASE, json={"email": ZED_EMAIL}, headers=admin.headers)

    assert exported.status_code == 200, exported.text
    assert [c["id"] for c in exported.json()["comments"]] == [
        s.published,
        s.removed,
        s.waiting,
        s.replied_to,
    ]
    assert erased.status_code == 200, erased.text
    assert {k: erased.json()[k] for k in ("erasure_id", "texts", "comments")} == {
        "erasure_id": 1,
        "texts": "replace",
        "comments": 4,
    }
    assert traces_in(table_dump(database_url)) == []
    assert again.status_code == 200
    assert again.json()["erasure_id"] is None
    assert [p["requested_by"] for p in again.json()["previous_erasures"]] == ["ada"]


def test_only_admins_may_and_the_email_must_be_one(
    api: TestClient, database_url: str, admin: Account, moderator: Account
) -> None:
    write_scenario(database_url)

    for path in (EXPORT, ERASE):
        refused = api.post(path, json={"email": ZED_EMAIL}, headers=moderator.headers)
        anonymous = api.post(path, json={"email": ZED_EMAIL})
        assert refused.status_code == 403, refused.text
        assert anonymous.status_code == 401
        bad = api.post(path, json={"email": "not an email"}, headers=admin.headers)
        assert bad.status_code == 422
        assert bad.json()["fields"][0]["field"] == "body.email"
    assert traces_in(table_dump(database_url)) == list(ZED_TRACES)  # nothing was erased
