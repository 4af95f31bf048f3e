"""The committed manifest must describe the shared datasets byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from classifiers import DEFAULT_MODEL_DIR


def test_committed_manifest_matches_shared_datasets(shared_datasets: Path) -> None:
    manifest = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())
    assert manifest["data_files"], "manifest lists no training files"
    for entry in manifest["data_files"]:
        path = shared_datasets / entry["path"]
        assert path.is_file(), f"{entry['path']} is missing from {shared_datasets}"
        data = path.read_bytes()
        assert len(data) == entry["bytes"], entry["path"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]


def test_reference_links_are_stable_and_point_at_the_reference_list() -> None:
    from classifiers.datasets import REFERENCE_DOMAINS, _with_reference_link

    text = "The minister's figures do not add up, as the audit office showed last year."
    first = [_with_reference_link(text, f"key{k}") for k in range(200)]
    again = [_with_reference_link(text, f"key{k}") for k in range(200)]
    linked = [t for t in first if t is not None]
    # About one row in four gets a linked copy, always the same one for the same key.
    assert 25 <= len(linked) <= 75
    assert first == again
    for t in linked:
        assert text in t
        assert any(f"://{domain}/" in t for domain in REFERENCE_DOMAINS)
    assert not any("youtube" in d or "bit.ly" in d for d in REFERENCE_DOMAINS)
