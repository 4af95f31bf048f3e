"""`moderation score --jsonl`: the model and the policy over a file, with no Redis or database."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from classifiers import DEFAULT_MODEL_DIR
from classifiers.labels import ATTRIBUTES
from tests.conftest import ROOT, run_moderation


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # Nothing to reach: a database URL and a Redis URL that would fail if they were used.
    unreachable = {
        "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "redis_url": "redis://127.0.0.1:1/0",
    }
    return run_moderation(*args, cwd=cwd, settings=unreachable, timeout=120)


def test_score_writes_one_line_per_input_with_scores_decision_and_reasons(tmp_path: Path) -> None:
    lines = [
        {"body": "The council should publish the full costs before building anything."},
        {
            "body": "Cheap viagra!!! Buy now at http://pills.example.com and www.rx.example.com",
            "author": "Best Pills",
            "email": "sales@pills.example.com",
            "url": "http://pills.example.com",
        },
        {"body": "You are a worthless idiot and a fucking moron."},
        {"body": "Two sources: https://news.example.org/a and https://news.example.org/b"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(json.dumps(line) for line in lines) + "\nnot json\n" + json.dumps({"x": 1})
    )
    result = _run(["score", "--jsonl", str(source)], ROOT)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5, 6]
    clean, spam, abuse, links, bad_json, no_body = out
    assert clean["decision"] == "approved"
    # Every check it passed, except the copies of its text: there is no database to count them.
    assert {r["rule"] for r in clean["reasons"]} == {
        "spam",
        "toxicity",
        "links",
        "repetition",
        "threat",
        "identity_attack",
    }
    assert all(r["op"] == "<" for r in clean["reasons"])
    assert set(clean["scores"]) == {"spam", "toxicity", *ATTRIBUTES}
    assert clean["model_version"]
    assert spam["decision"] in {"spam", "pending"} and spam["scores"]["spam"] >= 0.5
    assert abuse["decision"] in {"rejected", "pending"} and abuse["scores"]["toxicity"] >= 0.5
    assert any(r["rule"] == "links" and r["value"] == 2 for r in links["reasons"])
    assert links["decision"] != "approved"
    assert "not JSON" in bad_json["error"]
    assert "body" in no_body["error"]


def test_score_to_a_file(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"body": "Lovely photos of the old engine sheds."}) + "\n")
    target = tmp_path / "out.jsonl"
    result = _run(["score", "--jsonl", str(source), "--out", str(target)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(target.read_text())["decision"] == "approved"


@pytest.mark.parametrize("folder", ["missing", "tampered"])
def test_a_model_folder_that_does_not_load_is_one_line_and_exit_1(
    tmp_path: Path, folder: str
) -> None:
    model = tmp_path / "model"
    if folder == "tampered":
        shutil.copytree(DEFAULT_MODEL_DIR, model)
        (model / "model.skops").write_bytes(b"half a file")
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"body": "Lovely photos of the old engine sheds."}) + "\n")

    result = run_moderation(
        "score", "--jsonl", str(source), settings={"model_dir": str(model)}, timeout=120
    )

    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: model unavailable: ")
    assert str(model) in line
    assert ("does not exist" if folder == "missing" else "does not match manifest") in line
