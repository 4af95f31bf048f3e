"""The model, loaded once per worker process, and the batch decision it feeds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from classifiers import CommentText, ModelLoadError, Scorer
from moderation.config import Settings
from moderation.domain.policy import decide, decide_unscored
from moderation.storage.repository import DecisionRecord, QueuedComment

log = logging.getLogger(__name__)

_lock = threading.Lock()
_scorer: Scorer | None = None


def get_scorer(settings: Settings) -> Scorer:
    """Load the model on first use and keep it for the life of the process."""
    global _scorer
    with _lock:
        if _scorer is None:
            _scorer = Scorer.load(settings.model_dir)
            log.info("loaded model %s", _scorer.version)
        return _scorer


@dataclass(frozen=True, slots=True)
class ScoringFailed(Exception):
    reason: str


def decide_batch(settings: Settings, comments: Sequence[QueuedComment]) -> list[DecisionRecord]:
    """Score the batch together (one vectorised model call) and apply the policy to each."""
    try:
        scorer = get_scorer(settings)
        scores = scorer.score(
            [
                CommentText(
                    body=c.body, author=c.author_name, email=c.author_email, url=c.author_url or ""
                )
                for c in comments
            ]
        )
    except ModelLoadError as error:
        raise ScoringFailed(f"model unavailable: {error}") from error
    except Exception as error:
        raise ScoringFailed(f"scoring failed: {type(error).__name__}: {error}") from error
    limits = settings.thresholds
    records = []
    for comment, score in zip(comments, scores, strict=True):
        verdict = decide(score.spam, score.toxicity, comment.body, limits)
        records.append(
            DecisionRecord(
                comment_id=comment.id,
                status=verdict.status,
                scores={"spam": score.spam, "toxicity": score.toxicity},
                reasons=[r.as_dict() for r in verdict.reasons],
                reason_text="; ".join(r.text for r in verdict.reasons) or "no rule fired",
                model_version=scorer.version,
            )
        )
    return records


def fail_closed(comments: Sequence[QueuedComment], reason: str) -> list[DecisionRecord]:
    """No score after every retry: send each comment to a human with the reason."""
    verdict = decide_unscored(reason)
    return [
        DecisionRecord(
            comment_id=c.id,
            status=verdict.status,
            scores={},
            reasons=[r.as_dict() for r in verdict.reasons],
            reason_text=reason,
            model_version=None,
        )
        for c in comments
    ]
