"""`moderation transparency-report` and `moderation sor-export`, run as an operator runs them,
over a scripted month (tests/support/transparency.py): every number of the report, in JSON and
in CSV, and every statement of the export, checked against the DSA Transparency Database's
schema (tests/moderation/data/dsa_sor_schema.json)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import select

from moderation.domain.dsa_database import EU_MEMBER_STATES
from moderation.storage.db import session_scope
from moderation.storage.models import Statement
from tests.conftest import run_moderation
from tests.support import transparency as scenario

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "moderation" / "data" / "dsa_sor_schema.json").read_text()
)
PERIOD = ["--from", scenario.PERIOD[0], "--to", scenario.PERIOD[1]]

# The month of site "daily", counted by hand from the scenario.
EXPECTED_REPORT: dict[str, Any] = {
    "period_from": "2026-11-01",
    "period_to": "2026-12-01",
    "site": "daily",
    "percentiles": "nearest-rank",
    "notices": {
        # the October notice is decided in November but not received in it
        "received": 4,
        "received_by_ground": {
            "defamation": 1, "hate_speech": 1, "other": 1, "terrorist_content": 1,
        },
        "decided": 4,
        "decided_by_outcome": {"removed": 2, "kept": 2},
        "open_at_end": 1,
        # 72, 2, 30 and 5 hours: nearest-rank median of four is the 2nd, p90 the 4th
        "handling": {"count": 4, "median_hours": 5.0, "p90_hours": 72.0},
    },
    "removals": {
        "total": 6,
        "by_ground": [
            {"key": "hate", "kind": "house_rule", "title": "Hateful content", "count": 2},
            {"key": "harassment", "kind": "house_rule", "title": "Insults and harassment",
             "count": 1},
            {"key": "illegal", "kind": "illegal", "title": "Illegal content", "count": 1},
            {"key": "other", "kind": "house_rule",
             "title": "Other breach of the comment rules", "count": 1},
            {"key": "spam", "kind": "house_rule", "title": "Spam", "count": 1},
        ],
        "by_kind": {"house_rule": 5, "illegal": 1},
        # the policy's spam and harassment; mona's hate, otto's other, both notice removals
        "by_decision": {"automated": 2, "human": 4},
        # the policy's two, and the comment it held for toxicity before mona removed it
        "by_detection": {"yes": 3, "no": 3},
        "by_source": {"notice": 2, "own_initiative": 4},
    },
    "decisions": {
        "by_policy": {"approved": 5, "pending": 2, "spam": 1, "rejected": 1},
        "by_moderators": {"approved": 0, "pending": 0, "spam": 0, "rejected": 4},
        "by_others": {"approved": 0, "pending": 0, "spam": 0, "rejected": 0},
    },
    "appeals": {
        "filed": 3,
        "decided": 3,
        "decided_by_outcome": {"reinstated": 1, "upheld": 2},
        "reversal_rate": 0.3333,
        "open_at_end": 1,
        # 12, 24 and 174 hours
        "handling": {"count": 3, "median_hours": 24.0, "p90_hours": 174.0},
    },
    # mona and otto decided comments and notices; carol (a moderator) only an appeal
    "moderators": {"people": 3, "by_role": {"moderator": 2, "admin": 1, "other": 0}},
}  # fmt: skip


def flattened(report: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    """The report's numbers keyed as the CSV keys them, each as its cell reads."""
    found = {
        ("period", "from", ""): report["period_from"],
        ("period", "to", ""): report["period_to"],
        ("period", "site", ""): report["site"] or "",
        ("period", "percentiles", ""): report["percentiles"],
    }
    for section in ("notices", "removals", "decisions", "appeals", "moderators"):
        for metric, value in report[section].items():
            if metric == "by_ground":
                for g in value:
                    found[(section, metric, f"{g['key']} ({g['kind']})")] = str(g["count"])
            elif isinstance(value, dict):
                for key, n in value.items():
                    found[(section, metric, key)] = "" if n is None else str(n)
            else:
                found[(section, metric, "")] = "" if value is None else str(value)
    return found


def run(database_url: str, *args: str) -> Any:
    done = run_moderation(*args, settings={"database_url": database_url})
    assert done.returncode == 0, done.stderr
    return done


def test_the_report_counts_the_scripted_month_exactly(database_url: str) -> None:
    built = scenario.build(database_url)
    scenario.add_appeals(database_url, built)

    as_json = run(database_url, "transparency-report", *PERIOD, "--site", "daily")
    as_csv = run(database_url, "transparency-report", *PERIOD, "--site", "daily", "--format", "csv")
    everything = run(database_url, "transparency-report", *PERIOD)

    report = json.loads(as_json.stdout)
    assert report.pop("generated_at")
    assert report == EXPECTED_REPORT
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["section", "metric", "key", "value"]
    assert {(s, m, k): v for s, m, k, v in rows[1:]} == flattened(EXPECTED_REPORT)
    assert len(rows) - 1 == len(flattened(EXPECTED_REPORT))
    # Every site: the default site's spam removal (the policy's) and its appeal come in too.
    whole = json.loads(everything.stdout)
    assert whole["site"] is None
    assert whole["removals"]["total"] == 7
    assert whole["removals"]["by_decision"] == {"automated": 3, "human": 4}
    assert whole["decisions"]["by_policy"] == {
        "approved": 5, "pending": 2, "spam": 2, "rejected": 1,
    }  # fmt: skip
    assert whole["appeals"]["decided_by_outcome"] == {"reinstated": 1, "upheld": 3}
    assert whole["notices"] == EXPECTED_REPORT["notices"]


def _statement_ids(database_url: str) -> dict[int, int]:
    with session_scope(database_url) as session:
        return dict(session.execute(select(Statement.comment_id, Statement.id)).all())


def test_the_export_is_every_statement_of_the_month_in_the_databases_shape(
    database_url: str, tmp_path: Path
) -> None:
    built = scenario.build(database_url)
    output = tmp_path / "sor.json"

    done = run(database_url, "sor-export", *PERIOD, "--site", "daily", "--output", str(output))
    everything = run(database_url, "sor-export", *PERIOD, "--territorial-scope", "de,at")

    exported = json.loads(output.read_text())
    jsonschema.validate(exported, SCHEMA)
    jsonschema.validate(json.loads(everything.stdout), SCHEMA)
    assert done.stderr.strip() == f"wrote 6 statement(s) to {output}"
    ids = _statement_ids(database_url)
    c = built.comments
    eu = sorted(EU_MEMBER_STATES)
    automated_spam = "The site's automated checks found: spam 0.97 >= 0.9."
    automated_toxic = "The site's automated checks found: toxicity 0.93 >= 0.8."
    house = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    expected = [
        # (comment, category, posted, decided, facts, source, detection, decision, ground)
        ("spam", "SCOPE_OF_PLATFORM_SERVICE", "2026-11-02", "2026-11-02", automated_spam,
         "VOLUNTARY", "Yes", "FULLY", "Spam"),
        ("toxic", "ILLEGAL_OR_HARMFUL_SPEECH", "2026-11-03", "2026-11-03", automated_toxic,
         "VOLUNTARY", "Yes", "FULLY", "Insults and harassment"),
        # the note named the author and their email: neither goes to a public database
        ("held_hate", "ILLEGAL_OR_HARMFUL_SPEECH", "2026-11-04", "2026-11-04",
         "The site's automated checks found: toxicity 0.60 >= 0.5. A moderator removed it: "
         "[removed] ([removed]) attacks a group.",
         "VOLUNTARY", "Yes", "NOT_AUTOMATED", "Hateful content"),
        ("premoderated", "SCOPE_OF_PLATFORM_SERVICE", "2026-11-05", "2026-11-05",
         "A moderator removed it.", "VOLUNTARY", "No", "NOT_AUTOMATED",
         "Other breach of the comment rules"),
        ("notice_hate", "ILLEGAL_OR_HARMFUL_SPEECH", "2026-11-06", "2026-11-11",
         f"A moderator removed it: notice {built.notices['hate']}: Looked at it.",
         "ARTICLE_16", "No", "NOT_AUTOMATED", "Hateful content"),
    ]  # fmt: skip
    statements = exported["statements"]
    assert len(statements) == 6
    for statement, (name, category, posted, decided, facts, source, detection, decision,
                    ground) in zip(statements, expected, strict=False):  # fmt: skip
        assert statement == {
            "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
            "content_type": ["CONTENT_TYPE_TEXT"],
            "category": f"STATEMENT_CATEGORY_{category}",
            "content_date": posted,
            "application_date": decided,
            "decision_facts": facts,
            "source_type": f"SOURCE_{source}",
            "automated_detection": detection,
            "automated_decision": f"AUTOMATED_DECISION_{decision}",
            "territorial_scope": eu,
            "puid": f"daily-sor-{ids[c[name]]}",
            "decision_ground": house,
            "incompatible_content_ground": f"Comment rules: {ground}",
            "incompatible_content_explanation": facts,
        }, name
    illegal_facts = (
        f"A moderator removed it: notice {built.notices['illegal']}: incites to terrorism."
    )
    assert statements[5] == {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "content_type": ["CONTENT_TYPE_TEXT"],
        "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "content_date": "2026-11-09",
        "application_date": "2026-11-14",
        "decision_facts": illegal_facts,
        "source_type": "SOURCE_ARTICLE_16",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "territorial_scope": eu,
        "puid": f"daily-sor-{ids[c['notice_illegal']]}",
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "illegal_content_legal_ground": (
            "Regulation (EU) 2022/2065 (Digital Services Act), Art. 3(h): illegal content"
        ),
        "illegal_content_explanation": illegal_facts,
    }
    # Nothing of the author, their comment or the notifier in the file.
    for personal in ("Ann", "ann@example.com", "Comment number", "Nora", "nora@example.org"):
        assert personal not in output.read_text()
    # Every site, scoped to two countries: the default site's removal comes in, by its own id.
    whole = json.loads(everything.stdout)["statements"]
    assert [s["puid"] for s in whole] == sorted(
        [s["puid"] for s in statements] + [f"default-sor-{ids[c['other_site']]}"],
        key=lambda p: int(p.rsplit("-", 1)[1]),
    )
    assert {tuple(s["territorial_scope"]) for s in whole} == {("AT", "DE")}


def test_an_empty_month_has_zeros_and_no_handling_times(sqlite_url: str) -> None:
    report = json.loads(
        run(sqlite_url, "transparency-report", "--from", "2020-02-01", "--to", "2020-03-01").stdout
    )
    export = json.loads(
        run(sqlite_url, "sor-export", "--from", "2020-02-01", "--to", "2020-03-01").stdout
    )

    assert report["notices"]["received"] == 0
    assert report["notices"]["handling"] == {"count": 0, "median_hours": None, "p90_hours": None}
    assert report["removals"]["total"] == 0
    assert report["removals"]["by_ground"] == []
    assert report["appeals"]["filed"] == 0
    assert report["appeals"]["handling"] == {"count": 0, "median_hours": None, "p90_hours": None}
    assert report["moderators"] == {
        "people": 0, "by_role": {"moderator": 0, "admin": 0, "other": 0},
    }  # fmt: skip
    assert export == {"statements": []}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["transparency-report", "--from", "2026-11-1", "--to", "2026-12-01"],
         "error: from must be a date written YYYY-MM-DD"),
        (["transparency-report", "--from", "2026-11-01", "--to", "2026-02-30"],
         "error: to must be a date written YYYY-MM-DD"),
        (["transparency-report", "--from", "2026-11-01", "--to", "2026-11-01"],
         "error: to must be a day after from"),
        (["transparency-report", "--from", "2024-01-01", "--to", "2026-01-01"],
         "error: to must be at most 366 days after from"),
        (["transparency-report", *PERIOD, "--site", "nowhere"], "error: site 'nowhere' not found"),
        (["sor-export", *PERIOD, "--site", "nowhere"], "error: site 'nowhere' not found"),
        (["sor-export", *PERIOD, "--territorial-scope", "DE,XX"],
         "error: unknown territory XX: give EU, EEA or EU/EEA country codes (DE,AT)"),
    ],
)  # fmt: skip
def test_what_cannot_be_done_is_one_line_and_exit_2(
    sqlite_url: str, args: list[str], message: str
) -> None:
    done = run_moderation(*args, settings={"database_url": sqlite_url})

    assert done.returncode == 2
    assert done.stderr == message + "\n"
    assert done.stdout == ""
