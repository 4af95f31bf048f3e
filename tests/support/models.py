"""The built-in model, and copies of it under other version names for registries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from classifiers import DEFAULT_MODEL_DIR
from classifiers.persistence import read_manifest

BUILTIN = str(read_manifest(DEFAULT_MODEL_DIR)["model_version"])


def relabelled_copy(target: Path, version: str, created: str = "2030-01-01T00:00:00+00:00") -> Path:
    """The built-in model under another version name.

    Loading verifies the artifact's sha256 against the manifest, and the artifact is unchanged,
    so only the manifest's version (and creation time) differ: a valid second model in a second.
    """
    target.mkdir(parents=True)
    shutil.copy2(DEFAULT_MODEL_DIR / "model.skops", target / "model.skops")
    manifest = read_manifest(DEFAULT_MODEL_DIR)
    manifest.update(model_version=version, created=created)
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return target
