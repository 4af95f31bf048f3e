"""The Transparency page and the admin API's report, over the scripted month of
tests/support/transparency.py: the same numbers as the command line, in tables, in the
downloads and in the API's JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import re

import jsonschema
from fastapi.testclient import TestClient

from moderation.services.accounts import Role
from tests.commands.test_transparency import EXPECTED_REPORT, SCHEMA, flattened
from tests.support import transparency as scenario
from tests.support.staff import add_account, sign_in

MONTH = {"from": "2026-11-01", "to": "2026-12-01", "site": "daily"}


def cells(page: str, label: str) -> str:
    """The cell after the row header `label` in the page's tables."""
    found = re.search(rf"<th scope=\"row\">{re.escape(label)}</th><td>([^<]*)</td>", page)
    assert found, label
    return found.group(1)


def test_an_admin_reads_the_month_and_downloads_it(api: TestClient, database_url: str) -> None:
    built = scenario.build(database_url)
    scenario.add_appeals(database_url, built)
    add_account(database_url, "ada", Role.ADMIN)
    sign_in(api, "ada")

    page = api.get("/moderation/transparency", params=MONTH)
    as_csv = api.get("/moderation/transparency/report.csv", params=MONTH)
    as_json = api.get("/moderation/transparency/report.json", params=MONTH)
    export = api.get("/moderation/transparency/statements.json", params=MONTH)

    assert page.status_code == 200
    assert cells(page.text, "received") == "4"
    assert cells(page.text, "handling time, median") == "5.00 h"
    assert cells(page.text, "handling time, 90th percentile") == "72.00 h"
    assert "<h2>Removals (6)</h2>" in page.text
    assert "<td>Illegal content <code>illegal</code></td><td>illegal</td><td>1</td>" in page.text
    assert cells(page.text, "reversal rate") == "33.3 %"
    assert cells(page.text, "reinstated") == "1"
    assert "<p>3 in the period.</p>" in page.text
    assert (
        'href="/moderation/transparency/report.csv?from=2026-11-01&amp;to=2026-12-01&amp;site=daily"'
        in page.text
    )
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert {(s, m, k): v for s, m, k, v in rows[1:]} == flattened(EXPECTED_REPORT)
    report = as_json.json()
    report.pop("generated_at")
    assert report == EXPECTED_REPORT
    statements = json.loads(export.text)
    jsonschema.validate(statements, SCHEMA)
    assert len(statements["statements"]) == 6


def test_the_admin_api_gives_the_same_report(api: TestClient, database_url: str) -> None:
    built = scenario.build(database_url)
    scenario.add_appeals(database_url, built)
    admin = add_account(database_url, "ada", Role.ADMIN)

    as_json = api.get("/api/v1/admin/transparency", params=MONTH, headers=admin.headers)
    as_csv = api.get(
        "/api/v1/admin/transparency", params={**MONTH, "format": "csv"}, headers=admin.headers
    )

    assert as_json.status_code == 200
    report = as_json.json()
    report.pop("generated_at")
    assert report == EXPECTED_REPORT
    assert as_csv.headers["content-disposition"] == (
        'attachment; filename="transparency-daily-2026-11-01-2026-12-01.csv"'
    )
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert {(s, m, k): v for s, m, k, v in rows[1:]} == flattened(EXPECTED_REPORT)


def test_a_period_that_cannot_be_is_named(api: TestClient, database_url: str) -> None:
    admin = add_account(database_url, "ada", Role.ADMIN)
    backwards = {"from": "2026-12-01", "to": "2026-11-01"}

    answer = api.get("/api/v1/admin/transparency", params=backwards, headers=admin.headers)
    unknown = api.get(
        "/api/v1/admin/transparency", params={**MONTH, "site": "nowhere"}, headers=admin.headers
    )
    sign_in(api, "ada")
    page = api.get("/moderation/transparency", params=backwards)
    default = api.get("/moderation/transparency")

    assert answer.status_code == 422
    assert answer.json()["fields"] == [
        {"field": "to", "rule": "after_from", "message": "to must be a day after from"}
    ]
    assert unknown.status_code == 404
    assert page.status_code == 422
    assert '<p role="alert" class="problem">to must be a day after from</p>' in page.text
    assert default.status_code == 200
    assert "<h2>Removals (0)</h2>" in default.text
    assert '<tr><th scope="row">filed</th><td>0</td></tr>' in default.text
