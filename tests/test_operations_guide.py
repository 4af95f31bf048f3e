"""The operator's guide (docs/operations.md): its settings table is the one the Settings object
makes, and every `moderation` command it tells an operator to run exists."""

from __future__ import annotations

import re
import subprocess
import sys

import typer

from moderation.config import Settings
from tests.conftest import ROOT

GUIDE = ROOT / "docs" / "operations.md"


def test_the_settings_table_is_regenerated_from_the_settings() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "settings_table.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]+) \| (.+) \|$", GUIDE.read_text(), re.M)
    # Every setting under its MODERATION_ name, but for the one prometheus_client reads itself.
    assert [name for name, _, _ in rows] == [
        "PROMETHEUS_MULTIPROC_DIR" if n == "metrics_dir" else f"MODERATION_{n.upper()}"
        for n in Settings.model_fields
    ]
    assert all(description.strip() for _, _, description in rows)
    defaults = {name: default.strip() for name, default, _ in rows}
    assert defaults["MODERATION_DATABASE_URL"] == "`sqlite:///./moderation.db`"
    assert defaults["MODERATION_REDIS_URL"] == "(unset)"
    assert defaults["MODERATION_SECURE_COOKIES"] == "`true`"


def test_every_command_the_guide_names_exists() -> None:
    from commands import app

    cli = typer.main.get_command(app)
    assert isinstance(cli, typer.core.TyperGroup)
    named = re.findall(r"`moderation ([a-z-]+)(?: ([a-z-]+))?", GUIDE.read_text())
    assert len(named) >= 10
    for command, subcommand in named:
        assert command in cli.commands, command
        group = cli.commands[command]
        if isinstance(group, typer.core.TyperGroup) and subcommand:
            assert subcommand in group.commands, (command, subcommand)
