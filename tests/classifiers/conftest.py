"""Shared fixtures for the classifier tests: the shared datasets, and a tiny dataset tree in their
layout (tests/support/datasets.py) with a model trained on it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.datasets import write_fixture_datasets

SHARED_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


@pytest.fixture
def shared_datasets() -> Path:
    """../shared/datasets; missing, a skip with the reason (a failure under CI=true)."""
    if not SHARED_DATASETS.is_dir():
        reason = f"shared datasets not found at {SHARED_DATASETS}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return SHARED_DATASETS


@pytest.fixture(scope="session")
def fixture_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fixture_datasets(tmp_path_factory.mktemp("datasets"))


@pytest.fixture(scope="session")
def trained_dir(fixture_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from classifiers import train

    out = tmp_path_factory.mktemp("model")
    train(fixture_data, out)
    return out
