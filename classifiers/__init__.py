"""Spam and toxicity classifiers for comments: pure scikit-learn, persisted with skops."""

from classifiers.datasets import ModeratorLabel
from classifiers.persistence import ModelLoadError
from classifiers.scorer import DEFAULT_MODEL_DIR, Scorer, Scores
from classifiers.training import train
from classifiers.types import CommentText

__all__ = [
    "DEFAULT_MODEL_DIR",
    "CommentText",
    "ModelLoadError",
    "ModeratorLabel",
    "Scorer",
    "Scores",
    "train",
]
