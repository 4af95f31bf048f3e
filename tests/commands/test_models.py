"""`moderation models list/promote/rollback`, `moderation train` into the registry, and a
worker process following the ACTIVE version."""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import pytest

from classifiers import DEFAULT_MODEL_DIR
from classifiers.persistence import read_manifest
from classifiers.registry import ModelRegistry
from moderation.config import Settings
from moderation.storage.comments import QueuedComment
from tests.conftest import run_moderation
from tests.support.datasets import write_fixture_datasets
from tests.support.models import BUILTIN, relabelled_copy


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


def _moderation(models_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    settings = {"models_dir": str(models_dir), "data_dir": str(models_dir.parent / "data")}
    return run_moderation(*args, settings=settings, timeout=300)


def _listed(models_dir: Path) -> list[list[str]]:
    """The rows of `models list` below its header, split into cells."""
    result = _moderation(models_dir, "models", "list")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["VERSION", "CREATED", "SPAM", "AUC", "TOXICITY", "AUC", "WHERE"]
    return [row.split() for row in rows]


def test_list_shows_the_builtin_model_active_with_its_metrics(models_dir: Path) -> None:
    manifest = read_manifest(DEFAULT_MODEL_DIR)
    spam, toxicity = (manifest["metrics"][m]["roc_auc_pooled"] for m in ("spam", "toxicity"))
    assert _listed(models_dir) == [
        ["*", BUILTIN, manifest["created"], f"{spam:.4f}", f"{toxicity:.4f}", "built-in"]
    ]


def test_promote_and_rollback_move_the_active_marker(models_dir: Path, tmp_path: Path) -> None:
    ModelRegistry(models_dir).add(relabelled_copy(tmp_path / "b", "v0-20300101-bbbbbbbb"))
    before = _listed(models_dir)
    assert [row[:2] for row in before] == [
        ["*", BUILTIN],
        ["v0-20300101-bbbbbbbb", "2030-01-01T00:00:00+00:00"],
    ]
    assert before[1][-1] == str(models_dir / "v0-20300101-bbbbbbbb")

    promoted = _moderation(models_dir, "models", "promote", "v0-20300101-bbbbbbbb")
    assert promoted.returncode == 0, promoted.stderr
    assert f"active model: v0-20300101-bbbbbbbb (was {BUILTIN})" in promoted.stdout
    assert "moderation models rollback" in promoted.stdout
    assert [row[0] for row in _listed(models_dir)] == [BUILTIN, "*"]

    rolled = _moderation(models_dir, "models", "rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert f"active model: {BUILTIN} (was v0-20300101-bbbbbbbb)" in rolled.stdout
    assert [row[0] for row in _listed(models_dir)] == ["*", "v0-20300101-bbbbbbbb"]


def test_unknown_version_and_empty_history_exit_non_zero_with_a_reason(models_dir: Path) -> None:
    unknown = _moderation(models_dir, "models", "promote", "v0-nope")
    assert unknown.returncode == 2  # refused: what was asked cannot be done
    assert f"error: unknown model version 'v0-nope' (known: {BUILTIN})" in unknown.stderr
    nothing = _moderation(models_dir, "models", "rollback")
    assert nothing.returncode == 2
    assert "error: nothing to roll back to" in nothing.stderr
    assert not (models_dir / "ACTIVE").exists()


def test_train_adds_a_new_inactive_version(models_dir: Path, tmp_path: Path) -> None:
    ModelRegistry(models_dir).add(relabelled_copy(tmp_path / "b", "v0-20300101-bbbbbbbb"))
    assert _moderation(models_dir, "models", "promote", "v0-20300101-bbbbbbbb").returncode == 0
    data = write_fixture_datasets(tmp_path / "datasets")

    result = _moderation(models_dir, "train", "--data", str(data))
    assert result.returncode == 0, result.stderr
    added, advice = result.stdout.splitlines()
    version = added.split()[1]
    assert added == f"model {version} added to {models_dir} (not active)"
    assert advice == f"promote it with: moderation models promote {version}"
    assert (models_dir / "ACTIVE").read_text() == "v0-20300101-bbbbbbbb\n"
    rows = _listed(models_dir)
    assert sorted(row[0] for row in rows) == sorted(["*", BUILTIN, version])
    assert ["*", "v0-20300101-bbbbbbbb"] in [row[:2] for row in rows]
    # The version directory is complete and nothing half-written is left beside it.
    assert sorted(p.name for p in (models_dir / version).iterdir()) == [
        "manifest.json",
        "model.skops",
    ]
    assert not [p.name for p in models_dir.iterdir() if p.name.startswith((".train", ".add"))]
    assert _moderation(models_dir, "models", "promote", version).returncode == 0


def test_a_worker_switches_to_a_promoted_version_and_keeps_it_when_the_next_is_broken(
    models_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from workers import scoring

    monkeypatch.setattr(scoring, "_loaded", None)  # as in a freshly started worker process
    registry = ModelRegistry(models_dir)
    registry.add(relabelled_copy(tmp_path / "b", "v-b"))
    broken = registry.add(relabelled_copy(tmp_path / "c", "v-c"))
    settings = Settings(models_dir=models_dir, model_dir=None, model_check_seconds=0.01)
    comment = QueuedComment(7, "The bridge repairs were finished on time.", "Ann", "a@b.org", None)

    def decided_with() -> str | None:
        time.sleep(0.02)  # one check interval, so the next batch looks at ACTIVE again
        (record,) = scoring.decide_batch(settings, [comment])
        return record.model_version

    assert decided_with() == BUILTIN
    registry.promote("v-b")
    assert decided_with() == "v-b"
    (broken.path / "model.skops").write_bytes(b"truncated by a failed copy")
    (models_dir / "ACTIVE").write_text("v-c\n")  # by hand: `promote` refuses such a version
    with caplog.at_level(logging.ERROR, logger="workers.scoring"):
        assert decided_with() == "v-b"
        assert decided_with() == "v-b"
    failures = [r.getMessage() for r in caplog.records if "failed to load" in r.getMessage()]
    assert len(failures) == 1 and failures[0].startswith("keeping model v-b: version v-c failed")
    # The hand-written ACTIVE is not in HISTORY: rollback returns to what preceded v-b.
    assert registry.rollback().version == BUILTIN
    assert decided_with() == BUILTIN


def test_a_shadow_model_scores_beside_the_active_one_until_it_is_stopped(
    models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import scoring

    monkeypatch.setattr(scoring, "_loaded", None)
    monkeypatch.setattr(scoring, "_shadow", None)
    ModelRegistry(models_dir).add(relabelled_copy(tmp_path / "s", "v-shadow"))
    settings = Settings(models_dir=models_dir, model_dir=None, model_check_seconds=0.01)
    comment = QueuedComment(7, "You are a pathetic idiot.", "Ann", "a@b.org", None)

    def decided() -> scoring.DecisionRecord:
        time.sleep(0.02)
        (record,) = scoring.decide_batch(settings, [comment])
        return record

    assert decided().shadow is None
    started = _moderation(models_dir, "models", "shadow", "v-shadow")
    assert started.returncode == 0, started.stderr
    assert "shadow model: v-shadow" in started.stdout
    assert _listed(models_dir)[1][:2] == ["shadow", "v-shadow"]

    record = decided()
    assert record.model_version == BUILTIN
    assert record.shadow is not None
    # The same artifact under another name: the same scores, so the same decision.
    assert (record.shadow.version, record.shadow.status) == ("v-shadow", record.status)
    assert record.shadow.scores == record.scores

    stopped = _moderation(models_dir, "models", "shadow", "--off")
    assert stopped.returncode == 0, stopped.stderr
    assert decided().shadow is None
    unknown = _moderation(models_dir, "models", "shadow", "v-nope")
    assert unknown.returncode == 2 and "v-nope" in unknown.stderr
