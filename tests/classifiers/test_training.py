"""Training on a small fixture dataset, persistence round trips and load failures."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from classifiers import CommentText, ModelLoadError, Scorer, Scores, train
from classifiers.persistence import ARTIFACT_NAME, MANIFEST_NAME


def test_training_writes_loadable_model_with_manifest(
    fixture_data: Path, trained_dir: Path
) -> None:
    manifest = json.loads((trained_dir / MANIFEST_NAME).read_text())
    files = {f["path"]: f for f in manifest["data_files"]}
    assert "youtube_spam/Youtube01-Psy.csv" in files
    assert "toxic_spans_civil_comments/annotations.csv" in files
    assert "toxic_spans_civil_comments/spans.csv" in files
    for rel, entry in files.items():
        data = (fixture_data / rel).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
    assert set(manifest["libraries"]) == {"python", "sklearn", "skops", "numpy", "scipy"}
    assert manifest["training_rows"]["spam"]["youtube"]["rows"] == 72
    # Stormfront "relation" rows are dropped; the tied toxic-spans rows do not exist here.
    assert manifest["training_rows"]["toxicity"]["stormfront"]["rows"] == 36
    for model in ("spam", "toxicity"):
        assert 0.0 <= manifest["metrics"][model]["roc_auc_pooled"] <= 1.0
    sha = hashlib.sha256((trained_dir / ARTIFACT_NAME).read_bytes()).hexdigest()
    assert manifest["artifact"]["sha256"] == sha
    assert manifest["model_version"].startswith("v0-") and manifest["model_version"].endswith(
        sha[:8]
    )

    scorer = Scorer.load(trained_dir)
    assert scorer.version == manifest["model_version"]
    scores = scorer.score([CommentText("check out my channel"), CommentText("thanks")])
    assert all(isinstance(s, Scores) and 0 <= s.spam <= 1 and 0 <= s.toxicity <= 1 for s in scores)
    assert scorer.score([]) == []


def test_round_trip_gives_identical_scores(trained_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(trained_dir, copy)
    comments = [CommentText("you stupid idiot", "a", "a@gmail.com", "http://a.example.com")]
    assert Scorer.load(copy).score(comments) == Scorer.load(trained_dir).score(comments)


def test_training_is_reproducible(fixture_data: Path, trained_dir: Path, tmp_path: Path) -> None:
    manifest = train(fixture_data, tmp_path)
    before = json.loads((trained_dir / MANIFEST_NAME).read_text())
    assert manifest["metrics"] == before["metrics"]
    comments = [CommentText("free prize call now"), CommentText("you idiot")]
    assert Scorer.load(tmp_path).score(comments) == Scorer.load(trained_dir).score(comments)


class Sneaky(TransformerMixin, BaseEstimator):
    """A type the loader has never heard of."""

    def fit(self, X: object, y: object = None) -> Sneaky:
        return self

    def transform(self, X: object) -> object:
        return X


def test_untrusted_type_is_refused(trained_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(trained_dir, tmp_path, dirs_exist_ok=True)
    models = sio.load(trained_dir / ARTIFACT_NAME, trusted=sio.get_untrusted_types(
        file=trained_dir / ARTIFACT_NAME))  # fmt: skip
    models["spam"] = Pipeline([("sneaky", Sneaky()), ("clf", models["spam"][-1])])
    sio.dump(models, tmp_path / ARTIFACT_NAME)
    # Make the manifest agree, so the failure is about the type, not the checksum.
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    manifest["artifact"]["sha256"] = hashlib.sha256(
        (tmp_path / ARTIFACT_NAME).read_bytes()
    ).hexdigest()
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="untrusted"):
        Scorer.load(tmp_path)


def test_tampered_artifact_is_refused(trained_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(trained_dir, tmp_path, dirs_exist_ok=True)
    with (tmp_path / ARTIFACT_NAME).open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelLoadError, match="sha256"):
        Scorer.load(tmp_path)


def test_wrong_object_is_refused(trained_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(trained_dir, tmp_path, dirs_exist_ok=True)
    sio.dump({"spam": LogisticRegression()}, tmp_path / ARTIFACT_NAME)
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    manifest["artifact"]["sha256"] = hashlib.sha256(
        (tmp_path / ARTIFACT_NAME).read_bytes()
    ).hexdigest()
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError):
        Scorer.load(tmp_path)


@pytest.mark.parametrize("broken", ["missing_dir", "missing_manifest", "bad_json", "no_artifact"])
def test_broken_directories_raise_model_load_error(
    broken: str, trained_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "model"
    if broken != "missing_dir":
        shutil.copytree(trained_dir, target)
    if broken == "missing_manifest":
        (target / MANIFEST_NAME).unlink()
    elif broken == "bad_json":
        (target / MANIFEST_NAME).write_text("{not json")
    elif broken == "no_artifact":
        (target / ARTIFACT_NAME).unlink()
    with pytest.raises(ModelLoadError):
        Scorer.load(target)
