"""The committed manifest must describe the shared datasets byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from classifiers import DEFAULT_MODEL_DIR

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def test_committed_manifest_matches_shared_datasets() -> None:
    if not DATA_DIR.is_dir():
        reason = f"shared datasets not found at {DATA_DIR}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    manifest = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())
    assert manifest["data_files"], "manifest lists no training files"
    for entry in manifest["data_files"]:
        path = DATA_DIR / entry["path"]
        assert path.is_file(), f"{entry['path']} is missing from {DATA_DIR}"
        data = path.read_bytes()
        assert len(data) == entry["bytes"], entry["path"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
