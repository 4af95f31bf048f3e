"""The admins' page for an author's data, as a browser without JavaScript uses it: the export
downloaded as JSON, the erasure only after a page that says what will go."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from moderation.services.accounts import Role
from tests.support.privacy import (
    ZED_EMAIL,
    ZED_NAME,
    ZED_TRACES,
    table_dump,
    traces_in,
    write_scenario,
)
from tests.support.staff import add_account, sign_in


def test_an_admin_exports_and_erases_after_confirming(api: TestClient, database_url: str) -> None:
    s = write_scenario(database_url)
    add_account(database_url, "ada", Role.ADMIN)
    csrf = sign_in(api, "ada")

    page = api.get("/moderation/privacy")
    download = api.post("/moderation/privacy/export", data={"csrf_token": csrf, "email": ZED_EMAIL})
    asked = api.post("/moderation/privacy/erase", data={"csrf_token": csrf, "email": ZED_EMAIL})

    assert page.status_code == 200 and 'formaction="/moderation/privacy/erase"' in page.text
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="author-export.json"'
    assert download.headers["cache-control"] == "no-store"
    found = json.loads(download.text)
    assert [c["id"] for c in found["comments"]] == [s.published, s.removed, s.waiting, s.replied_to]
    assert found["comments"][0]["author_name"] == ZED_NAME
    assert asked.status_code == 200
    assert "4 comment(s), 2 ban(s) or trust." in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert traces_in(table_dump(database_url)) == list(ZED_TRACES)  # nothing yet

    done = api.post(
        "/moderation/privacy/erase",
        data={"csrf_token": csrf, "email": ZED_EMAIL, "confirm": "yes"},
    )

    assert done.status_code == 200
    assert "Erasure 1 done: 4 comment(s) erased" in done.text
    assert traces_in(table_dump(database_url)) == []
    assert traces_in(done.text) == []


def test_a_moderator_has_no_such_page(api: TestClient, database_url: str) -> None:
    add_account(database_url, "mona")
    csrf = sign_in(api, "mona")

    page = api.get("/moderation/privacy")
    erase = api.post(
        "/moderation/privacy/erase", data={"csrf_token": csrf, "email": ZED_EMAIL, "confirm": "yes"}
    )
    queue = api.get("/moderation/queue/pending")

    assert page.status_code == erase.status_code == 403
    assert "/moderation/privacy" not in queue.text  # nor a link to it
