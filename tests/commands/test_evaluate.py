"""`moderation evaluate`: leave-one-source-out evaluation written as a report with plots."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import run_moderation
from tests.support.datasets import CLEAN, write_fixture_datasets

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_evaluate_writes_the_report_for_the_chosen_sources(tmp_path: Path) -> None:
    data = write_fixture_datasets(tmp_path / "datasets")
    out = tmp_path / "evaluation"
    result = run_moderation(
        "evaluate", "--data", str(data), "--out", str(out), "--sources", "sms", "--no-baselines"
    )
    assert result.returncode == 0, result.stderr
    assert "training without sms (1/1)…" in result.stderr
    assert f"report written to {out / 'report.md'}" in result.stdout
    report = (out / "report.md").read_text(encoding="utf-8")
    headline = report.split("\n## ")[1]
    assert headline.startswith("Headline")
    assert "| spam | sms | 36 (18) |" in headline  # SMS holds spam and ham: a full row
    assert "| toxicity |" not in headline  # SMS carries no toxicity label
    assert "Baselines used: none." in report
    # The thresholds for the rates a site feels, from the held-out spam rows, printed too.
    assert "## Operating points: thresholds for the rates a site feels" in report
    points = re.search(
        r"#### spam: 18 harmful and 18 clean held-out rows.*?Chosen: hold", report, re.S
    )
    assert points is not None, report
    assert "Current setting: hold 0.5, reject 0.9" in result.stdout
    # The served model's figures follow the held-out ones.
    for section in (
        "## Explanation spans on TOXICSPANS",
        "## Identity-term bias",
        "## Policy decisions on news comments",
        "## Policy decisions on the frozen news comments (written 2026-12-05 before issue 13's",
    ):
        assert section in report
    assert "| explain " in report and "clean comments rejected" in report.lower()
    for name in ("spam_roc_pr.png", "spam_calibration.png", "spam_confusion.png"):
        assert (out / name).read_bytes()[:8] == PNG_SIGNATURE


def test_evaluate_refuses_an_unknown_source(tmp_path: Path) -> None:
    data = write_fixture_datasets(tmp_path / "datasets")
    result = run_moderation("evaluate", "--data", str(data), "--sources", "sms,reddit")
    assert result.returncode == 2
    said = " ".join(re.sub("[│╭╮╰╯─]", " ", result.stderr).split())  # unwrap the error box
    assert "Invalid value for --sources: unknown reddit" in said


def held_out_policy_section(tmp_path: Path, settings: dict[str, str]) -> str:
    """The report's held-out policy section after `moderation evaluate` on the fixture's
    TOXICSPANS rows, with these site settings."""
    data = write_fixture_datasets(tmp_path / "datasets")
    out = tmp_path / "evaluation"
    result = run_moderation(
        "evaluate",
        *("--data", str(data), "--out", str(out), "--sources", "toxicspans", "--no-baselines"),
        settings=settings,
    )
    assert result.returncode == 0, result.stderr
    report = (out / "report.md").read_text(encoding="utf-8")
    return report.split("## Policy decisions on held-out sources\n")[1].split("\n## ")[0]


def test_evaluate_runs_the_configured_policy_on_held_out_news_comments(tmp_path: Path) -> None:
    # A site that never removes for toxicity alone: its harmful comments must show as held.
    section = held_out_policy_section(tmp_path, {"toxicity_reject_threshold": "1.0"})
    # The fixture's TOXICSPANS rows, decided by models trained without them.
    assert "### toxicspans, held out (18 clean, 18 harmful)" in section
    rows = {
        line.split(" | ")[0].lstrip("| "): line.split(" | ")[1:]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| setting")
    }
    # clean removed, harmful published, clean held, harmful held, held in a day (30% harmful)
    assert rows["as configured"] == ["0.0%", "0.0%", "0.0%", "100.0%", "30.0% |"]
    # One threshold changed at a time: holding harmful rows only from 0.7 does not publish
    # these (they score far above it), and the rows for the rarer attributes are there too.
    assert rows["toxicity hold 0.7"][1] == "0.0%"
    assert {"threat hold 1.0", "identity attack hold 1.0", "spam hold 0.9"} <= set(rows)
    assert "clean comments held by the rule that fired: none; removed: none." in section


def test_evaluate_quotes_the_clean_held_out_comments_the_policy_removed(tmp_path: Path) -> None:
    # A site that removes anything as spam: every clean comment goes, and the report shows
    # which, so a reader can tell a wrong label from a wrong decision.
    section = held_out_policy_section(tmp_path, {"spam_reject_threshold": "0"})
    assert "| as configured | 100.0% |" in section
    assert "removed: spam 18." in section
    shown = section.split("The first 12 clean comments removed, to read")[1]
    rows = [line for line in shown.splitlines() if line.startswith("| spam ")]
    assert len(rows) == 12
    # Each quoted comment is one of the fixture's clean ones, never a toxic one.
    for row in rows:
        comment = row.split(" | ")[1].removesuffix(" |")
        assert any(comment.startswith(clean) for clean in CLEAN), row
