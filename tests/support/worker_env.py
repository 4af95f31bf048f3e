"""Worker modules run in the test's own process read their settings from the environment."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from moderation.config import get_settings
from tests.conftest import free_port


def worker_module(
    name: str, monkeypatch: pytest.MonkeyPatch, database_url: str, data_dir: Path, **settings: str
) -> Iterator[ModuleType]:
    """For a fixture to yield from: the worker module `name`, imported with only these
    MODERATION_* variables set: the database, the data folder, the `settings` given, and Redis
    on a port nobody listens on, so that whatever a task sends fails as when Redis is down."""
    for variable in [n for n in os.environ if n.startswith("MODERATION_")]:
        monkeypatch.delenv(variable)
    redis_url = f"redis://127.0.0.1:{free_port()}/0"
    chosen = {"database_url": database_url, "redis_url": redis_url, "data_dir": str(data_dir)}
    for setting, value in {**chosen, **settings}.items():
        monkeypatch.setenv(f"MODERATION_{setting.upper()}", value)
    get_settings.cache_clear()
    try:
        yield importlib.import_module(name)
    finally:
        get_settings.cache_clear()
