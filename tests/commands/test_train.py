"""`moderation train`: trains from a datasets folder and writes a model a worker can load."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from classifiers import CommentText, Scorer
from tests.conftest import run_moderation
from tests.support.datasets import write_fixture_datasets


def test_train_writes_a_loadable_model_with_its_manifest(tmp_path: Path) -> None:
    data = write_fixture_datasets(tmp_path / "datasets")
    out = tmp_path / "model"
    result = run_moderation("train", "--data", str(data), "--out", str(out))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert f"model {manifest['model_version']} written to {out}" in result.stdout
    for entry in manifest["data_files"]:
        digest = hashlib.sha256((data / entry["path"]).read_bytes()).hexdigest()
        assert entry["sha256"] == digest, entry["path"]
    scorer = Scorer.load(out)
    assert scorer.version == manifest["model_version"]
    (score,) = scorer.score([CommentText("a plain comment about the council")])
    assert 0.0 <= score.spam <= 1.0 and 0.0 <= score.toxicity <= 1.0


def test_train_refuses_a_missing_data_folder(tmp_path: Path) -> None:
    result = run_moderation("train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path))
    assert result.returncode == 2
    # Unwrapped from the error box, whose lines may break inside a long path's words.
    said = "".join(re.sub("[│╭╮╰╯─]", " ", result.stderr).split())
    assert "Invalidvaluefor--data:" in said and "nowhereisnotafolder" in said
    assert not (tmp_path / "manifest.json").exists()
