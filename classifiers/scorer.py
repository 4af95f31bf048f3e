"""Loading the committed model and scoring batches of comments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from classifiers.features import COLUMNS
from classifiers.persistence import ModelLoadError, load_models

__all__ = ["DEFAULT_MODEL_DIR", "CommentText", "Scorer", "Scores", "comments_to_rows"]

DEFAULT_MODEL_DIR: Path = Path(__file__).resolve().parent / "models" / "default"


@dataclass(frozen=True, slots=True)
class CommentText:
    body: str
    author: str = ""
    email: str = ""
    url: str = ""  # the author's website field


@dataclass(frozen=True, slots=True)
class Scores:
    spam: float  # probability 0..1
    toxicity: float  # probability 0..1


def comments_to_rows(comments: Sequence[CommentText]) -> np.ndarray:
    """The 2-D object array [body, author, email, url] that both pipelines take."""
    rows = np.empty((len(comments), len(COLUMNS)), dtype=object)
    for i, c in enumerate(comments):
        rows[i] = (c.body, c.author, c.email, c.url)
    return rows


class Scorer:
    """The spam and toxicity pipelines of one verified model directory."""

    def __init__(self, models: dict[str, Pipeline], manifest: dict[str, Any]) -> None:
        self._spam = models["spam"]
        self._toxicity = models["toxicity"]
        self.manifest = manifest
        self.version: str = str(manifest["model_version"])

    @classmethod
    def load(cls, path: str | Path | None = None) -> Scorer:
        model_dir = DEFAULT_MODEL_DIR if path is None else Path(path)
        if not model_dir.is_dir():
            raise ModelLoadError(f"model directory {model_dir} does not exist")
        models, manifest = load_models(model_dir)
        return cls(models, manifest)

    def score(self, comments: Sequence[CommentText]) -> list[Scores]:
        if not comments:
            return []
        rows = comments_to_rows(comments)
        spam = self._spam.predict_proba(rows)[:, 1]
        toxicity = self._toxicity.predict_proba(rows)[:, 1]
        return [Scores(float(s), float(t)) for s, t in zip(spam, toxicity, strict=True)]

    def __repr__(self) -> str:
        return f"Scorer(version={self.version!r})"
