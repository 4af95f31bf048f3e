"""Explanations of held and removed comments: which words of the body raised each score, in
the form the decision row stores and the moderators' workspace highlights.

Explaining a comment costs some 20 to 40 times as much as scoring it, so it runs in a task of
its own on its own queue after the decision is committed, never while deciding.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded

from classifiers import Scorer
from classifiers.types import Explanation, Span
from moderation.config import Settings
from moderation.storage.comments import QueuedComment
from workers.scoring import comment_text, get_scorer

log = logging.getLogger(__name__)

# Spans kept per score: enough to cover what a moderator needs to see in a comment.
TOP_SPANS = 8
# Failures of the moment, not of the comment: they must reach the task, never be stored.
_TRANSIENT = (SoftTimeLimitExceeded, MemoryError)


def _spans(found: Sequence[Span]) -> list[list[float]]:
    """[start, end, weight] of the spans that raise the score; a weight that rounds to zero
    says nothing a moderator could see."""
    spans: list[list[float]] = []
    for span in found:
        weight = round(span.weight, 3)
        if weight > 0:
            spans.append([span.start, span.end, weight])
    return spans


def stored_explanation(explanation: Explanation, model_version: str) -> dict[str, Any]:
    """The JSON kept on the decision: spans per score (offsets into the original body), the
    metadata signals that raised spam, the model that found them, and for a score that is one
    sentence's, that sentence's [start, end]."""
    spans = {
        "spam": _spans(explanation.spam),
        "toxicity": _spans(explanation.toxicity),
        **{name: _spans(found) for name, found in explanation.attributes.items()},
    }
    signals = {name: round(value, 3) for name, value in explanation.signals.items()}
    found = {
        "spans": spans,
        "signals": {name: value for name, value in signals.items() if value > 0},
        "model_version": model_version,
    }
    if explanation.sentences:
        # The scores that are one sentence's, and where that sentence is in the body.
        found["sentences"] = {name: list(place) for name, place in explanation.sentences.items()}
    return found


def _nothing_found(model_version: str, reason: str) -> dict[str, Any]:
    """Stored for a comment the model cannot explain: no highlights, and no endless retries."""
    return {"spans": {}, "signals": {}, "model_version": model_version, "error": reason}


def explain_batch(settings: Settings, comments: Sequence[QueuedComment]) -> dict[int, Any]:
    """{comment id: stored explanation} for these comments, with one model call for them all.

    The model is the worker's current one (`get_scorer`), which may be newer than the one that
    decided; the explanation names its own version. If the batch call fails, each comment is
    tried alone, so one comment the model cannot explain does not hold back the others; that
    comment gets an empty explanation with the error, since it would fail the same way again.
    A model that does not load raises `ModelLoadError`: nothing is stored, the sweep retries.
    """
    if not comments:
        return {}
    scorer = get_scorer(settings)
    texts = [comment_text(c, c.body) for c in comments]
    try:
        explanations = scorer.explain(texts, top_k=TOP_SPANS)
    except _TRANSIENT:
        raise
    except Exception as error:
        log.warning(
            "explaining %d comment(s) together failed (%s: %s); explaining each alone",
            len(comments),
            type(error).__name__,
            error,
        )
        return {c.id: _explain_alone(scorer, c) for c in comments}
    return {
        comment.id: stored_explanation(explanation, scorer.version)
        for comment, explanation in zip(comments, explanations, strict=True)
    }


def _explain_alone(scorer: Scorer, comment: QueuedComment) -> dict[str, Any]:
    try:
        (explanation,) = scorer.explain([comment_text(comment, comment.body)], top_k=TOP_SPANS)
    except _TRANSIENT:
        raise
    except Exception as error:
        log.error("comment %d cannot be explained: %s: %s", comment.id, type(error).__name__, error)
        return _nothing_found(scorer.version, f"{type(error).__name__}: {error}")
    return stored_explanation(explanation, scorer.version)
