"""Issue 13's frozen decision set: pinned to its bytes, and reported beside the first set by
`moderation evaluate-policy`."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

from classifiers import DEFAULT_MODEL_DIR
from classifiers.persistence import read_manifest
from tests.conftest import run_moderation
from tests.support.policy_settings import default_policy_settings
from workers.policy_evaluation import (
    CLEAN,
    DECISION_SETS,
    DEFAULT_SET,
    FROZEN_SET,
    HARMFUL,
    evaluate_policy,
    load_set,
)

# The set as written on 2026-12-05, before issue 13's model changes and before any model scored
# it. It must never change: a fix to it, a label changed after seeing the model fail, a comment
# added, each turns a held-out figure into a tuned one.
FROZEN_SHA256 = "cb1a9711a55765d91d3615ff3734def6e30d13fb73bea789c4a4d5842c324d88"


def test_the_frozen_set_is_byte_for_byte_the_one_written_before_the_model_changes() -> None:
    digest = hashlib.sha256(FROZEN_SET.read_bytes()).hexdigest()
    assert digest == FROZEN_SHA256, (
        f"{FROZEN_SET.name} is frozen and must not be edited (sha256 {digest}, pinned "
        f"{FROZEN_SHA256}). It was written before issue 13's model changes and is never used to "
        "write templates or tune thresholds; restore it with `git checkout`. A new decision "
        "set needs a new file."
    )


def test_the_frozen_set_loads_with_enough_rows_unique_ids_and_enough_harm() -> None:
    comments = load_set(FROZEN_SET)
    assert len(comments) >= 200
    assert len({c.id for c in comments}) == len(comments)
    expected = Counter(c.expected for c in comments)
    harmful = sum(expected[e] for e in HARMFUL)
    assert harmful / len(comments) >= 0.30, expected
    assert sum(expected[e] for e in CLEAN) + harmful == len(comments)


def test_both_sets_are_described_and_the_frozen_title_says_so() -> None:
    assert [s.path for s in DECISION_SETS] == [DEFAULT_SET, FROZEN_SET]
    frozen = DECISION_SETS[1]
    assert "before issue 13's model changes" in frozen.title
    assert "never tuned on" in frozen.title


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _section(markdown: str, title: str) -> str:
    start = markdown.index(f"## {title}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : None if end == -1 else end]


def test_evaluate_policy_prints_both_tables_with_figures_from_the_sets() -> None:
    result = run_moderation(
        "evaluate-policy", settings={"model_dir": str(DEFAULT_MODEL_DIR)}, timeout=300
    )
    assert result.returncode == 0, result.stderr
    version = read_manifest(DEFAULT_MODEL_DIR)["model_version"]
    for described in DECISION_SETS:
        section = _section(result.stdout, described.title)
        rows = _rows(described.path)
        labels = Counter(row["expected"] for row in rows)
        clean = sum(labels[e] for e in CLEAN)
        harmful = sum(labels[e] for e in HARMFUL)
        assert (
            f"Model `{version}`, policy v0, {len(rows)} labelled comments "
            f"from `{described.path.name}`"
        ) in section
        assert "| Clean comments rejected or marked spam | " in section
        assert f" of {clean} | 0 | " in section
        assert f" of {harmful} (" in section
        assert f" of {len(rows)} (" in section
        assert "| Target, issue 3 | | Target, issue 13 |" in section
        # The same figures as the worker's path computes in this process.
        assert section == evaluate_policy(default_policy_settings(), described.path).markdown()


def test_evaluate_policy_prints_only_the_sets_asked_for(tmp_path: Path) -> None:
    rows = _rows(FROZEN_SET)[:3]
    chosen = tmp_path / "three.jsonl"
    chosen.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = run_moderation(
        "evaluate-policy",
        "--set",
        str(chosen),
        settings={"model_dir": str(DEFAULT_MODEL_DIR)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## Policy decisions on three.jsonl\n")
    assert "3 labelled comments from `three.jsonl`" in result.stdout
    assert result.stdout.count("\n## ") == 0

    missing = run_moderation("evaluate-policy", "--set", str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2
    said = " ".join(re.sub("[│╭╮╰╯─]", " ", missing.stderr).split())  # unwrap the error box
    assert "Invalid value for --set:" in said and "is not a file" in said
