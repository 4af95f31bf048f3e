"""The files a newcomer reads first: the licence pyproject names, how to contribute, the
changelog, and commit hooks that run what `make lint` runs."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT


def _lint_commands() -> set[str]:
    """The commands of the Makefile's `lint` recipe, with `$(VENV)` spelt out."""
    recipe = (ROOT / "Makefile").read_text().split("\nlint:", 1)[1]
    lines = []
    for line in recipe.splitlines()[1:]:
        if not line.startswith("\t"):
            break
        lines.append(line.strip().replace("$(VENV)", ".venv"))
    return set(lines)


def test_the_licence_file_is_the_licence_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text


def test_the_commit_hooks_run_exactly_what_make_lint_runs() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert all(hook["language"] == "system" for hook in hooks), "hooks must not fetch anything"
    assert {hook["entry"] for hook in hooks} == _lint_commands()


def test_contributing_names_the_commands_that_exist() -> None:
    guide = (ROOT / "CONTRIBUTING.md").read_text()
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    for command in re.findall(r"(?:`|^)make ([a-z-]+)", guide, re.MULTILINE):
        assert command in targets, f"CONTRIBUTING.md names `make {command}`, which is not a target"
    migrations = ROOT / "moderation" / "storage" / "migrations" / "versions"
    for named in re.findall(r"`(\d{4}_[a-z_]+\.py)`", guide):
        assert (migrations / named).exists(), f"CONTRIBUTING.md names the missing {named}"


def test_the_changelog_has_a_section_for_what_is_not_released_yet() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (.+)$", changelog, re.MULTILINE)
    assert headings[0] == "Unreleased"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert any(heading.startswith(f"{version} ") for heading in headings[1:])
