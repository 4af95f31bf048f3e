"""Decisions that teach the model: the moderators' labels become training rows for a new model
version, a slice of them is held back to judge it, and it is promoted only if it does not do
worse than the active model, on that slice or on its own cross-validated figures."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from classifiers import CommentText, ModeratorLabel, Scorer
from classifiers.persistence import read_manifest
from classifiers.registry import ModelRegistry
from moderation.config import Settings
from moderation.storage.db import session_scope
from moderation.storage.review import FeedbackRow, feedback_rows

log = logging.getLogger(__name__)

# One label in HOLD_BACK_EVERY is kept out of training to judge candidates on, chosen by the
# comment's id so a label stays on its side of the split from one retraining to the next.
HOLD_BACK_EVERY = 5
# How much worse than the active model a candidate may be and still be promoted: its pooled
# cross-validated ROC-AUC per model (different training data move it a little either way),
# and its agreement with the held-back moderators' decisions.
CV_TOLERANCE = 0.01
AGREEMENT_TOLERANCE = 0.0
PROMOTION_FILE = "promotion.json"


def _held_back(comment_id: int) -> bool:
    digest = hashlib.blake2b(str(comment_id).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % HOLD_BACK_EVERY == 0


@dataclass(frozen=True, slots=True)
class Feedback:
    training: list[ModeratorLabel]
    held_back: list[FeedbackRow]

    @property
    def total(self) -> int:
        return len(self.training) + len(self.held_back)


def collect(settings: Settings) -> Feedback:
    """The moderators' labels from the database, split into training rows and the held-back
    slice (a site's first few labels all go to training: there is nothing to judge on yet)."""
    with session_scope(settings.database_url) as session:
        rows = feedback_rows(session)
    held = [r for r in rows if _held_back(r.comment_id)]
    if len(held) < 2:
        held = []
    kept = {r.comment_id for r in held}
    training = [
        ModeratorLabel(text=r.body, spam=r.spam, toxic=r.toxic)
        for r in rows
        if r.comment_id not in kept
    ]
    return Feedback(training, held)


def agreement(scorer: Scorer, rows: Sequence[FeedbackRow]) -> dict[str, float | None]:
    """The share of held-back decisions each model's call (score >= 0.5) agrees with: spam on
    the labels that say spam or not, toxicity on those that say abusive or not."""
    if not rows:
        return {"spam": None, "toxicity": None}
    scores = scorer.score([CommentText(body=r.body) for r in rows])
    spam = [(r.spam, s.spam) for r, s in zip(rows, scores, strict=True) if r.spam is not None]
    toxic = [
        (r.toxic, s.toxicity) for r, s in zip(rows, scores, strict=True) if r.toxic is not None
    ]
    return {"spam": _agreeing(spam), "toxicity": _agreeing(toxic)}


def _agreeing(pairs: list[tuple[bool, float]]) -> float | None:
    if not pairs:
        return None
    return round(sum((score >= 0.5) == label for label, score in pairs) / len(pairs), 4)


def _cv_auc(manifest: dict[str, Any]) -> dict[str, float]:
    return {
        name: float(found["roc_auc_pooled"])
        for name, found in manifest.get("metrics", {}).items()
        if isinstance(found, dict) and found.get("roc_auc_pooled") is not None
    }


@dataclass
class Verdict:
    """Whether a candidate may replace the active model, and why."""

    candidate: str
    active: str
    promote: bool
    reasons: list[str] = field(default_factory=list)
    held_back: int = 0
    agreement: dict[str, dict[str, float | None]] = field(default_factory=dict)
    cv_roc_auc: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(registry: ModelRegistry, candidate: str, held_back: Sequence[FeedbackRow]) -> Verdict:
    """Compare a candidate with the active model on the held-back decisions and on the
    cross-validated figures of their manifests. Not worse on every count: promote."""
    active = registry.active_version()
    verdict = Verdict(candidate=candidate, active=active, promote=True, held_back=len(held_back))
    ours, theirs = (read_manifest(registry.path_of(v)) for v in (candidate, active))
    new_cv, old_cv = _cv_auc(ours), _cv_auc(theirs)
    verdict.cv_roc_auc = {"candidate": new_cv, "active": old_cv}
    for name in sorted(set(new_cv) & set(old_cv)):
        if new_cv[name] < old_cv[name] - CV_TOLERANCE:
            verdict.promote = False
            verdict.reasons.append(
                f"{name}: cross-validated ROC-AUC {new_cv[name]:.3f} < active "
                f"{old_cv[name]:.3f} - {CV_TOLERANCE}"
            )
    new_agree = agreement(Scorer.load(registry.path_of(candidate)), held_back)
    old_agree = agreement(Scorer.load(registry.path_of(active)), held_back)
    verdict.agreement = {"candidate": new_agree, "active": old_agree}
    for name in ("spam", "toxicity"):
        new, old = new_agree[name], old_agree[name]
        if new is not None and old is not None and new < old - AGREEMENT_TOLERANCE:
            verdict.promote = False
            verdict.reasons.append(
                f"{name}: agrees with {new:.1%} of the held-back moderators' decisions, "
                f"the active model with {old:.1%}"
            )
    if verdict.promote:
        verdict.reasons.append("not worse than the active model on any count")
    return verdict


def retrain(
    settings: Settings,
    data_dir: Path,
    *,
    promote: bool,
    progress: Callable[[str], None] | None = None,
) -> Verdict:
    """Train a new version from the datasets plus the moderators' labels; judge it against the
    active model; promote it if asked and it is not worse. The verdict is kept beside the
    version (promotion.json) so `moderation models list` can say why it was kept back."""
    registry = ModelRegistry(settings.models_root)
    feedback = collect(settings)
    say = progress or (lambda _line: None)
    say(f"{feedback.total} moderators' labels: {len(feedback.training)} to train on, "
        f"{len(feedback.held_back)} held back to judge the new model")  # fmt: skip
    info = registry.train_into(data_dir, progress=progress, feedback=feedback.training)
    verdict = judge(registry, info.version, feedback.held_back)
    if promote and verdict.promote and info.version != verdict.active:
        registry.promote(info.version)
    elif not verdict.promote:
        log.warning("model %s kept as a candidate: %s", info.version, "; ".join(verdict.reasons))
    (registry.path_of(info.version) / PROMOTION_FILE).write_text(
        json.dumps({**verdict.as_dict(), "promoted": promote and verdict.promote}, indent=2) + "\n",
        encoding="utf-8",
    )
    return verdict


def labels_since_active(settings: Settings) -> int:
    """Training labels the active model was not trained on (a retrain waits for enough)."""
    registry = ModelRegistry(settings.models_root)
    trained_on = read_manifest(registry.path_of(registry.active_version())).get("feedback", {})
    return max(0, len(collect(settings).training) - int(trained_on.get("labels", 0)))
