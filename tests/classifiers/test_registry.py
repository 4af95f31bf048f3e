"""ModelRegistry: versions on disk, the ACTIVE pointer, promotion, rollback, the built-in model."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from classifiers import DEFAULT_MODEL_DIR, ModelLoadError, Scorer
from classifiers.persistence import read_manifest
from classifiers.registry import ModelRegistry, RegistryError, UnknownVersion
from tests.support.models import BUILTIN, relabelled_copy


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models")


def _summary(registry: ModelRegistry) -> list[tuple[str, bool, bool]]:
    return [(v.version, v.active, v.builtin) for v in registry.versions()]


def test_an_empty_registry_offers_the_builtin_model_as_active(registry: ModelRegistry) -> None:
    assert not registry.root.exists()
    assert _summary(registry) == [(BUILTIN, True, True)]
    active = registry.active()
    assert active.version == BUILTIN and active.path == DEFAULT_MODEL_DIR
    # The pooled out-of-fold figures the shipped manifest records.
    metrics = read_manifest(DEFAULT_MODEL_DIR)["metrics"]
    assert active.metrics["spam_roc_auc"] == metrics["spam"]["roc_auc_pooled"]
    assert active.metrics["toxicity_roc_auc"] == metrics["toxicity"]["roc_auc_pooled"]
    assert registry.path_of(BUILTIN) == DEFAULT_MODEL_DIR


def test_add_copies_a_version_in_without_activating_it(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    source = relabelled_copy(tmp_path / "trained", "v0-20300101-aaaaaaaa")
    info = registry.add(source)
    assert info.version == "v0-20300101-aaaaaaaa"
    assert info.path == registry.root / "v0-20300101-aaaaaaaa"
    assert info.created == "2030-01-01T00:00:00+00:00"
    assert not info.active and not info.builtin
    assert sorted(p.name for p in info.path.iterdir()) == ["manifest.json", "model.skops"]
    assert _summary(registry) == [(BUILTIN, True, True), ("v0-20300101-aaaaaaaa", False, False)]
    assert not (registry.root / "ACTIVE").exists()
    # Adding the same model again is harmless; another model under the same name is not.
    assert registry.add(source).path == info.path
    clash = relabelled_copy(tmp_path / "clash", "v0-20300101-aaaaaaaa")
    (clash / "model.skops").write_bytes(b"not the same")
    manifest = json.loads((clash / "manifest.json").read_text())
    manifest["artifact"]["sha256"] = hashlib.sha256(b"not the same").hexdigest()
    (clash / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegistryError, match="already exists with another artifact"):
        registry.add(clash)


def test_add_refuses_an_artifact_that_does_not_match_its_manifest(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    source = relabelled_copy(tmp_path / "trained", "v0-tampered")
    with (source / "model.skops").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelLoadError, match="does not match"):
        registry.add(source)
    assert [v.version for v in registry.versions()] == [BUILTIN]


def test_a_trained_model_is_added_under_its_manifest_version(
    registry: ModelRegistry, trained_dir: Path
) -> None:
    info = registry.add(trained_dir)
    assert info.version == read_manifest(trained_dir)["model_version"]
    assert Scorer.load(registry.path_of(info.version)).version == info.version


def test_promote_then_rollback_walks_back_through_history(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    for name, created in (
        ("v-b", "2030-01-02T00:00:00+00:00"),
        ("v-c", "2030-01-03T00:00:00+00:00"),
    ):
        registry.add(relabelled_copy(tmp_path / name, name, created))

    assert registry.promote("v-b").active
    assert (registry.root / "ACTIVE").read_text() == "v-b\n"
    assert registry.active().version == "v-b"
    assert Scorer.load(registry.active().path).version == "v-b"
    registry.promote("v-c")
    assert _summary(registry) == [
        (BUILTIN, False, True),
        ("v-b", False, False),
        ("v-c", True, False),
    ]

    assert registry.rollback().version == "v-b"
    assert registry.active().version == "v-b"
    assert registry.rollback().version == BUILTIN
    assert registry.active().path == DEFAULT_MODEL_DIR
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback()
    assert registry.active().version == BUILTIN


def test_promoting_the_active_version_again_changes_nothing(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    registry.add(relabelled_copy(tmp_path / "b", "v-b"))
    registry.promote("v-b")
    registry.promote("v-b")
    assert registry.rollback().version == BUILTIN


@pytest.mark.parametrize("version", ["v-missing", "../models", "ACTIVE", "", "a/b"])
def test_unknown_versions_are_refused_with_the_known_ones_named(
    registry: ModelRegistry, version: str
) -> None:
    with pytest.raises(UnknownVersion, match=f"unknown model version .* \\(known: {BUILTIN}\\)"):
        registry.promote(version)
    with pytest.raises(UnknownVersion):
        registry.path_of(version)
    assert registry.active().version == BUILTIN


def test_promote_refuses_a_version_that_does_not_load(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    info = registry.add(relabelled_copy(tmp_path / "b", "v-b"))
    (info.path / "model.skops").write_bytes(b"corrupted after it was added")
    with pytest.raises(ModelLoadError):
        registry.promote("v-b")
    assert registry.active().version == BUILTIN


def test_a_failed_write_leaves_the_previous_active_pointer_whole(
    registry: ModelRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.add(relabelled_copy(tmp_path / "b", "v-b"))
    registry.add(relabelled_copy(tmp_path / "c", "v-c"))
    registry.promote("v-b")

    def disk_full(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        registry.promote("v-c")
    monkeypatch.undo()
    assert (registry.root / "ACTIVE").read_text() == "v-b\n"
    assert registry.active().version == "v-b"
    assert not [p.name for p in registry.root.iterdir() if p.name.startswith(".ACTIVE")]


def test_a_pointer_to_a_deleted_version_is_reported(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    info = registry.add(relabelled_copy(tmp_path / "b", "v-b"))
    registry.promote("v-b")
    shutil.rmtree(info.path)
    with pytest.raises(UnknownVersion, match="names 'v-b', which is not in the registry"):
        registry.active()
    assert _summary(registry) == [(BUILTIN, False, True)]
