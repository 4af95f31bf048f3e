"""skops persistence of the model artifact and its manifest, with integrity checks."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import skops.io as sio
from sklearn.pipeline import Pipeline

from classifiers.labels import ATTRIBUTES, MODEL_NAMES, REQUIRED_MODELS

__all__ = [
    "ALLOW_LIST",
    "ARTIFACT_NAME",
    "MANIFEST_NAME",
    "MODEL_NAMES",
    "ModelLoadError",
    "dump_models",
    "load_models",
    "read_manifest",
    "sha256_file",
]

ARTIFACT_NAME = "model.skops"
MANIFEST_NAME = "manifest.json"

# Our own types that skops does not trust by default. Anything else skops flags as
# untrusted makes loading fail instead of executing arbitrary constructors.
ALLOW_LIST: list[str] = [
    "classifiers.features.CommentFeaturizer",
    "classifiers.features.CommentMetaFeatures",
    "classifiers.features.NgramHasher",
]

_REQUIRED_KEYS = ("model_version", "created", "artifact", "data_files", "libraries", "metrics")


class ModelLoadError(Exception):
    """The model directory is missing, untrusted, tampered with or inconsistent."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def dump_models(models: dict[str, Pipeline], out_dir: Path) -> Path:
    """Write the pipelines to ``out_dir/model.skops`` (deflated) and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ARTIFACT_NAME
    sio.dump(models, path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    untrusted = sorted(set(sio.get_untrusted_types(file=path)) - set(ALLOW_LIST))
    if untrusted:
        # Fail at training time rather than ship an artifact the loader will refuse.
        path.unlink()
        raise ModelLoadError(f"artifact would need untrusted types: {untrusted}")
    return path


def read_manifest(model_dir: Path) -> dict[str, Any]:
    path = model_dir / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read manifest {path}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ModelLoadError(f"manifest {path} is not a JSON object")
    missing = [k for k in _REQUIRED_KEYS if k not in manifest]
    if missing:
        raise ModelLoadError(f"manifest {path} lacks {missing}")
    artifact = manifest["artifact"]
    if not isinstance(artifact, dict) or not isinstance(artifact.get("sha256"), str):
        raise ModelLoadError(f"manifest {path} has no artifact sha256")
    return manifest


def load_models(model_dir: Path) -> tuple[dict[str, Pipeline], dict[str, Any]]:
    """Verify and load ``model_dir``; raise ModelLoadError on any problem."""
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    path = model_dir / ARTIFACT_NAME
    try:
        actual = sha256_file(path)
    except OSError as exc:
        raise ModelLoadError(f"cannot read artifact {path}: {exc}") from exc
    if actual != manifest["artifact"]["sha256"]:
        raise ModelLoadError(
            f"artifact {path} sha256 {actual} does not match manifest "
            f"{manifest['artifact']['sha256']}"
        )
    try:
        untrusted = sorted(set(sio.get_untrusted_types(file=path)) - set(ALLOW_LIST))
        if untrusted:
            raise ModelLoadError(f"artifact {path} contains untrusted types: {untrusted}")
        models = sio.load(path, trusted=ALLOW_LIST)
    except ModelLoadError:
        raise
    except Exception as exc:  # skops raises many types for corrupt or hostile files
        raise ModelLoadError(f"cannot load artifact {path}: {exc}") from exc
    if (
        not isinstance(models, dict)
        or not set(REQUIRED_MODELS) <= set(models)
        or not set(models) <= set(MODEL_NAMES)
    ):
        raise ModelLoadError(
            f"artifact {path} does not hold the models {REQUIRED_MODELS} (and optionally "
            f"{ATTRIBUTES}): it has {sorted(models) if isinstance(models, dict) else models!r}"
        )
    for name, model in models.items():
        if not isinstance(model, Pipeline) or list(getattr(model, "classes_", [])) != [0, 1]:
            raise ModelLoadError(f"artifact {path}: {name!r} is not a fitted binary Pipeline")
    return models, manifest
