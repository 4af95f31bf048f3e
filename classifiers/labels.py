"""The names of the scores the models produce, shared by training, loading and scoring."""

from __future__ import annotations

__all__ = ["ATTRIBUTES", "MODEL_NAMES", "REQUIRED_MODELS"]

# Every artifact has these two models.
REQUIRED_MODELS: tuple[str, ...] = ("spam", "toxicity")
# The toxicity attributes (Perspective's names, lower-case), each a model of its own over the
# same text features as ``toxicity``; an artifact from before they existed lacks them.
ATTRIBUTES: tuple[str, ...] = ("severe_toxicity", "insult", "threat", "identity_attack", "obscene")
MODEL_NAMES: tuple[str, ...] = REQUIRED_MODELS + ATTRIBUTES
