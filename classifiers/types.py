"""Shared records: the comment a scorer reads and the explanation it gives back.

They live apart from the code that makes them so that the scorer, the explanations and the
evaluation can all name them while importing one another in one direction only
(``scorer`` -> ``explain`` -> ``types``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["CommentText", "Explanation", "Span"]


@dataclass(frozen=True, slots=True)
class CommentText:
    """One comment as a scorer reads it: the body and the author fields of the comment form."""

    body: str
    author: str = ""
    email: str = ""
    url: str = ""  # the author's website field


@dataclass(frozen=True, slots=True)
class Span:
    """Characters ``body[start:end] == text`` that raised a score's logit by ``weight``."""

    start: int
    end: int
    weight: float
    text: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """What raised each score of one comment: spans of its body, strongest first, and the
    metadata features (links, phone, scam terms, e-mail, ...) that raised the spam logit."""

    spam: tuple[Span, ...]
    toxicity: tuple[Span, ...]
    signals: Mapping[str, float] = field(default_factory=dict)
    # Per toxicity attribute the model has (threat, insult, ...): its spans, strongest first.
    attributes: Mapping[str, tuple[Span, ...]] = field(default_factory=dict)
    # Per score that is one sentence's rather than the whole comment's (see
    # ``Scorer.score``): that sentence's [start, end) in the body. Its spans lie inside it.
    sentences: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def in_sentences(self, sentences: Mapping[str, tuple[int, int]]) -> Explanation:
        """This explanation with each named score's spans kept to its sentence."""

        def inside(name: str, spans: tuple[Span, ...]) -> tuple[Span, ...]:
            if name not in sentences:
                return spans
            start, end = sentences[name]
            return tuple(s for s in spans if s.start >= start and s.end <= end)

        return Explanation(
            spam=inside("spam", self.spam),
            toxicity=inside("toxicity", self.toxicity),
            signals=self.signals,
            attributes={name: inside(name, spans) for name, spans in self.attributes.items()},
            sentences=dict(sentences),
        )
