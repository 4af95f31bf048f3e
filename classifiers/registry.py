"""Versioned model directories under one root: add, list, promote, roll back; files only."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.datasets import ModeratorLabel
from classifiers.persistence import (
    ARTIFACT_NAME,
    MANIFEST_NAME,
    ModelLoadError,
    load_models,
    read_manifest,
    sha256_file,
)
from classifiers.scorer import DEFAULT_MODEL_DIR
from classifiers.training import train

__all__ = [
    "ACTIVE_FILE",
    "HISTORY_FILE",
    "SHADOW_FILE",
    "ModelRegistry",
    "RegistryError",
    "UnknownVersion",
    "VersionInfo",
]

ACTIVE_FILE = "ACTIVE"
HISTORY_FILE = "HISTORY"
# A candidate that scores every comment beside the active model, without deciding anything.
SHADOW_FILE = "SHADOW"
_LOCK_FILE = ".lock"
# A version names a directory, so it must not be able to climb out of the root or hide.
_VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")

log = logging.getLogger(__name__)


class RegistryError(Exception):
    """The registry cannot do what was asked (nothing to roll back to, a clashing version...)."""


class UnknownVersion(RegistryError, LookupError):
    """A version that is neither in the registry nor the built-in one."""


@dataclass(frozen=True, slots=True)
class VersionInfo:
    version: str
    created: str  # ISO 8601, from the manifest
    path: Path
    active: bool
    builtin: bool
    # Pooled out-of-fold figures from the manifest, e.g. {"spam_roc_auc": 0.9858}.
    metrics: dict[str, float] = field(default_factory=dict)


def _metrics_summary(manifest: dict[str, Any]) -> dict[str, float]:
    summary: dict[str, float] = {}
    metrics = manifest.get("metrics")
    if not isinstance(metrics, dict):
        return summary
    for model in ("spam", "toxicity"):
        figures = metrics.get(model)
        if not isinstance(figures, dict):
            continue
        for key, name in (("roc_auc_pooled", "roc_auc"), ("brier_weighted", "brier")):
            value = figures.get(key)
            if isinstance(value, int | float):
                summary[f"{model}_{name}"] = float(value)
    return summary


def _write_atomically(path: Path, text: str) -> None:
    """Readers see the old content or the new, never a half-written file."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


class ModelRegistry:
    """Model versions in ``root/<version>/`` plus the built-in model shipped in the package.

    ``root/ACTIVE`` names the active version (the built-in one when the file is absent) and
    ``root/HISTORY`` lists the versions active before it, newest last, for ``rollback()``.
    """

    def __init__(self, root: Path, builtin: Path = DEFAULT_MODEL_DIR) -> None:
        self.root = Path(root)
        self.builtin = Path(builtin)

    # -- reading -------------------------------------------------------------------------

    @property
    def builtin_version(self) -> str:
        return str(read_manifest(self.builtin)["model_version"])

    def active_version(self) -> str:
        """The name in ACTIVE, unchecked: cheap enough for a worker to call once a minute."""
        try:
            name = (self.root / ACTIVE_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            name = ""
        return name or self.builtin_version

    def shadow_version(self) -> str | None:
        """The version in SHADOW, unchecked (None: no shadow); as cheap as active_version."""
        try:
            name = (self.root / SHADOW_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def set_shadow(self, version: str | None) -> None:
        """Let ``version`` score every comment beside the active model (None: stop)."""
        if version is None:
            with self._locked(), contextlib.suppress(FileNotFoundError):
                (self.root / SHADOW_FILE).unlink()
            return
        load_models(self.path_of(version))  # refuse one the workers would fail to load
        with self._locked():
            _write_atomically(self.root / SHADOW_FILE, version + "\n")

    def _info(self, version: str, path: Path, active: str, builtin: bool) -> VersionInfo:
        manifest = read_manifest(path)
        return VersionInfo(
            version=version,
            created=str(manifest["created"]),
            path=path,
            active=version == active,
            builtin=builtin,
            metrics=_metrics_summary(manifest),
        )

    def _stored(self) -> dict[str, Path]:
        """Version directories under root that hold a model; temporary ones start with a dot."""
        if not self.root.is_dir():
            return {}
        return {
            entry.name: entry
            for entry in self.root.iterdir()
            if entry.is_dir()
            and _VERSION_NAME.fullmatch(entry.name)
            and (entry / MANIFEST_NAME).is_file()
        }

    def versions(self) -> list[VersionInfo]:
        """The built-in version first, then the stored ones from oldest to newest."""
        active = self.active_version()
        builtin = self.builtin_version
        infos = [self._info(builtin, self.builtin, active, builtin=True)]
        stored: list[VersionInfo] = []
        for name, path in self._stored().items():
            if name == builtin:
                continue
            try:
                stored.append(self._info(name, path, active, builtin=False))
            except ModelLoadError as error:
                log.warning("skipping model version %s: %s", name, error)
        return infos + sorted(stored, key=lambda info: (info.created, info.version))

    def path_of(self, version: str) -> Path:
        if version == self.builtin_version:
            return self.builtin
        if _VERSION_NAME.fullmatch(version):
            path = self.root / version
            if (path / MANIFEST_NAME).is_file():
                return path
        known = ", ".join(info.version for info in self.versions())
        raise UnknownVersion(f"unknown model version {version!r} (known: {known})")

    def info(self, version: str) -> VersionInfo:
        path = self.path_of(version)
        return self._info(version, path, self.active_version(), builtin=path == self.builtin)

    def active(self) -> VersionInfo:
        version = self.active_version()
        try:
            return self.info(version)
        except UnknownVersion:
            raise UnknownVersion(
                f"{self.root / ACTIVE_FILE} names {version!r}, which is not in the registry"
            ) from None

    def history(self) -> list[str]:
        try:
            text = (self.root / HISTORY_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line.strip() for line in text.splitlines() if line.strip()]

    # -- changing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One change at a time, so two promotions cannot interleave ACTIVE and HISTORY."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / _LOCK_FILE).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add(self, trained_dir: Path) -> VersionInfo:
        """Copy a trained model directory in as ``root/<its model_version>``; not promoted."""
        trained_dir = Path(trained_dir)
        manifest = read_manifest(trained_dir)
        version = str(manifest["model_version"])
        self._check_artifact(trained_dir, manifest)
        with self._locked():
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".add-"))
            try:
                for name in (ARTIFACT_NAME, MANIFEST_NAME):
                    shutil.copy2(trained_dir / name, staging / name)
                return self._file(staging, version, manifest)
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def train_into(
        self,
        data_dir: Path,
        *,
        progress: Callable[[str], None] | None = None,
        feedback: Sequence[ModeratorLabel] = (),
    ) -> VersionInfo:
        """Train from ``data_dir`` (and the moderators' ``feedback``) straight into a new
        version; the active one is untouched."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".train-"))
        try:
            manifest = train(data_dir, staging, progress=progress, feedback=feedback)
            with self._locked():
                return self._file(staging, str(manifest["model_version"]), manifest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _check_artifact(self, model_dir: Path, manifest: dict[str, Any]) -> None:
        version = str(manifest["model_version"])
        if not _VERSION_NAME.fullmatch(version) or version in (ACTIVE_FILE, HISTORY_FILE):
            raise RegistryError(f"model_version {version!r} cannot name a directory")
        try:
            actual = sha256_file(model_dir / ARTIFACT_NAME)
        except OSError as error:
            raise ModelLoadError(f"cannot read artifact in {model_dir}: {error}") from error
        if actual != manifest["artifact"]["sha256"]:
            raise ModelLoadError(f"artifact in {model_dir} does not match its manifest sha256")

    def _file(self, staging: Path, version: str, manifest: dict[str, Any]) -> VersionInfo:
        """Move a complete staging directory to its version name (the caller holds the lock)."""
        sha = manifest["artifact"]["sha256"]
        existing = self.builtin if version == self.builtin_version else self.root / version
        if (existing / MANIFEST_NAME).is_file():
            if read_manifest(existing)["artifact"]["sha256"] != sha:
                raise RegistryError(f"version {version} already exists with another artifact")
            return self.info(version)  # the same model again: nothing to add
        # A rename within one file system: workers never see a half-copied version.
        os.rename(staging, self.root / version)
        return self.info(version)

    def promote(self, version: str) -> VersionInfo:
        """Make ``version`` active after checking it loads; the previous one goes on HISTORY."""
        path = self.path_of(version)
        load_models(path)  # refuse a version the workers would fail to load
        with self._locked():
            current = self.active_version()
            if current != version:
                _write_atomically(
                    self.root / HISTORY_FILE, "".join(f"{v}\n" for v in [*self.history(), current])
                )
                _write_atomically(self.root / ACTIVE_FILE, version + "\n")
        return self.info(version)

    def rollback(self) -> VersionInfo:
        """Return to the version active before the current one."""
        with self._locked():
            history = self.history()
            current = self.active_version()
            while history and history[-1] == current:
                history.pop()
            if not history:
                raise RegistryError(
                    f"nothing to roll back to: no version was active here before {current}"
                )
            previous = history.pop()
            self.path_of(previous)  # still there? an UnknownVersion says which is missing
            _write_atomically(self.root / ACTIVE_FILE, previous + "\n")
            _write_atomically(self.root / HISTORY_FILE, "".join(f"{v}\n" for v in history))
        return self.info(previous)
