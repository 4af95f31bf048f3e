"""The files an operator deploys with: docker-compose.yml, .env.example, the README's commands."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conftest import ROOT, require


def docker_compose(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`docker-compose ARGS` on our compose file and .env.example as .env, in a folder of
    their own (as an operator deploys them)."""
    binary = shutil.which("docker-compose")
    require(binary is not None, "docker-compose is not installed (Debian package docker-compose)")
    assert binary is not None
    shutil.copy(ROOT / "docker-compose.yml", folder / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", folder / ".env")
    return subprocess.run(
        [binary, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=60
    )


def test_compose_file_is_accepted_by_docker_compose(tmp_path: Path) -> None:
    result = docker_compose(tmp_path, "config", "-q")
    assert result.returncode == 0, result.stderr
    scaled = docker_compose(tmp_path, "config", "--services")
    assert set(scaled.stdout.split()) == {
        "redis",
        "postgres",
        "migrate",
        "api",
        "worker",
        "explanations",
        "webhooks",
        "trainer",
        "beat",
    }


def test_compose_services_are_shaped_for_scaling_and_durability() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    # Redis keeps nothing on disk: the database is the record, and doNotStore texts pass it.
    command = services["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "no"
    assert command[command.index("--save") + 1] == ""
    assert "volumes" not in services["redis"]
    # ... and the file's header says so, rather than promising an append-only file.
    header = (ROOT / "docker-compose.yml").read_text().split("\nx-app")[0].lower()
    assert "nothing on disk" in header and "append-only" not in header
    assert "healthcheck" in services["postgres"]
    assert services["migrate"]["command"] == ["moderation", "migrate"]
    # A fixed container name or host port would make `--scale worker=4` fail.
    assert "container_name" not in services["worker"] and "ports" not in services["worker"]
    assert services["worker"]["command"][:2] == ["moderation", "worker"]
    # Every queue is served, explanations and webhooks by workers of their own (neither
    # explaining nor a slow receiver ever holds up a decision).
    served = {
        name: set(s["command"][s["command"].index("--queues") + 1].split(","))
        for name, s in services.items()
        if s.get("command", [])[:2] == ["moderation", "worker"]
    }
    assert served == {
        "worker": {"comments"},
        "explanations": {"explanations"},
        "webhooks": {"webhooks"},
    }
    assert services["beat"]["command"] == ["moderation", "beat"]
    # Workers follow the versions the trainer promotes: both see the same registry.
    assert services["trainer"]["command"] == ["moderation", "trainer"]
    models = compose["x-app"]["environment"]["MODERATION_MODELS_DIR"]
    for name in ("worker", "explanations", "trainer"):
        assert any(v.endswith(":" + models) for v in services[name]["volumes"]), name


def test_the_trainer_is_optional_and_reads_its_datasets_from_the_deployments_folder(
    tmp_path: Path,
) -> None:
    """A deployment has no ../shared/datasets: the trainer starts only when asked for, and its
    datasets come from a folder beside the compose file unless MODERATION_DATASETS says where."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    trainer = services["trainer"]
    assert trainer["profiles"] == ["training"]
    assert all("profiles" not in s for name, s in services.items() if name != "trainer")
    data = trainer["environment"]["MODERATION_TRAINING_DATA_DIR"]
    (mount,) = [v for v in trainer["volumes"] if v.split(":")[-2] == data]
    assert mount == "${MODERATION_DATASETS:-./datasets}:" + data + ":ro"

    resolved = {}
    for datasets in (None, "/srv/datasets"):
        env = {k: v for k, v in os.environ.items() if k != "MODERATION_DATASETS"}
        if datasets:
            env["MODERATION_DATASETS"] = datasets
        result = docker_compose(tmp_path, "--profile", "training", "config", env=env)
        assert result.returncode == 0, result.stderr
        volumes = yaml.safe_load(result.stdout)["services"]["trainer"]["volumes"]
        resolved[datasets] = next(v for v in volumes if ":" + data in str(v))
    assert str(resolved[None]).startswith(f"{tmp_path}/datasets:"), resolved
    assert str(resolved["/srv/datasets"]).startswith("/srv/datasets:"), resolved


def test_readme_gives_exactly_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "docker" not in readme.split("## ")[1].lower()  # the quick start needs no docker


def test_a_plain_install_carries_migrations_pages_and_the_model(tmp_path: Path) -> None:
    """`pip install .` must give a working `moderation up`: the wheel holds every data file."""
    import sys
    import zipfile

    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("comment_moderation-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in [
        "moderation/storage/migrations/env.py",
        "moderation/storage/migrations/script.py.mako",
        "moderation/storage/migrations/versions/0001_articles_comments_decisions_events.py",
        "moderation/web/templates/article.html",
        "moderation/web/static/site.css",
        "classifiers/models/default/model.skops",
        "classifiers/models/default/manifest.json",
        "commands/__init__.py",
        "commands/__main__.py",
    ]:
        assert needed in names, needed
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "moderation = commands:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_image_holds_every_package_the_wheel_does() -> None:
    """The `moderation` console script lives in `commands`: an image without it runs no role."""
    import re
    import tomllib

    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.MULTILINE))
    assert {name.rstrip("*") for name in find["find"]["include"]} <= copied
