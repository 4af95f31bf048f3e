"""`moderation sites add|list|rotate-key|update`, run as an operator runs them."""

from __future__ import annotations

from typing import Any

from tests.conftest import run_moderation


def test_the_sites_commands(tmp_path: Any) -> None:
    settings = {"database_url": f"sqlite:///{tmp_path / 'sites.db'}"}

    added = run_moderation(
        "sites", "add", "example-news", "--name", "Example News",
        "--origin", "HTTPS://News.Example:443/front", "--policy", "premoderation=true",
        settings=settings,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    key = next(line.split()[-1] for line in added.stdout.splitlines() if line.startswith("key:"))
    assert key.startswith("sk_")
    assert "origins:  https://news.example" in added.stdout

    listed = run_moderation("sites", "list", settings=settings)
    assert "example-news" in listed.stdout and "premoderation=True" in listed.stdout
    assert key not in listed.stdout  # keys are shortened in lists

    rotated = run_moderation("sites", "rotate-key", "example-news", settings=settings)
    assert rotated.returncode == 0 and key not in rotated.stdout
    assert "previous key is accepted until" in rotated.stdout

    bad = run_moderation(
        "sites", "update", "example-news", "--policy", "spam_hold=3", settings=settings
    )
    assert bad.returncode == 2 and "spam_hold" in bad.stderr
