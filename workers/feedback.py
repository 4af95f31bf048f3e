"""Decisions that teach the model: the moderators' labels become training rows for a new model
version, a slice of them is held back to judge it, and it is promoted only if it is not worse,
model by model for those the policy decides with: than the best of the recent versions on its
cross-validated figures, and than the active model on the held-back slice and on the frozen
decision set."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from classifiers import CommentText, ModeratorLabel, Scorer
from classifiers.labels import ATTRIBUTES, MODEL_NAMES
from classifiers.persistence import ModelLoadError, read_manifest
from classifiers.registry import ModelRegistry, UnknownVersion
from moderation.config import Settings
from moderation.domain.policy import DECIDING_SCORES
from moderation.services.review import Ground
from moderation.storage.db import session_scope
from moderation.storage.review import FeedbackRow, feedback_rows
from workers.policy_evaluation import FROZEN_SET, PolicyReport, evaluate_policy

log = logging.getLogger(__name__)

# One label in HOLD_BACK_EVERY is kept out of training to judge candidates on, chosen by the
# comment's id so a label stays on its side of the split from one retraining to the next.
HOLD_BACK_EVERY = 5
# How much worse a candidate may be and still be promoted: its pooled cross-validated ROC-AUC
# per model against the best of the active version and the RECENT_VERSIONS active before it
# (different training data move it a little either way; measured against the best, not the
# last, so such losses cannot add up round after round: toxicity went 0.9225 -> 0.9182 ->
# 0.9153 in two promotions each "within 0.01" of the one before), and its agreement with the
# held-back moderators' decisions.
CV_TOLERANCE = 0.005
RECENT_VERSIONS = 5
AGREEMENT_TOLERANCE = 0.0
PROMOTION_FILE = "promotion.json"


def frozen_set() -> Path:
    """The comments every candidate decides before it may replace the active model: the
    frozen decision set, written before the models it judges and never tuned on."""
    return FROZEN_SET


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
        ModeratorLabel(text=r.body, spam=r.spam, toxic=r.toxic, attributes=named(r))
        for r in rows
        if r.comment_id not in kept
    ]
    return Feedback(training, held)


def named(row: FeedbackRow) -> tuple[str, ...]:
    """The attributes a removal's ground names (none for an approval or a plain reject)."""
    if not row.toxic or row.ground is None:
        return ()
    try:
        return Ground(row.ground).attributes
    except ValueError:  # a ground a later version wrote: it teaches what spam and toxic say
        return ()


def _labels(row: FeedbackRow) -> dict[str, bool | None]:
    """What one decision says of each model: spam, toxicity, and each attribute (named by a
    removal's ground; every one absent from a comment the moderators published)."""
    said: dict[str, bool | None] = {"spam": row.spam, "toxicity": row.toxic}
    for name in ATTRIBUTES:
        said[name] = False if row.toxic is False else (True if name in named(row) else None)
    return said


def agreement(scorer: Scorer, rows: Sequence[FeedbackRow]) -> dict[str, float | None]:
    """The share of held-back decisions each model's call (score >= 0.5) agrees with, on the
    decisions that say something of it: spam on those that say spam or not, toxicity on those
    that say abusive or not, an attribute on its grounds and on published comments."""
    found: dict[str, list[tuple[bool, float]]] = {name: [] for name in MODEL_NAMES}
    scores = scorer.score([CommentText(body=r.body) for r in rows]) if rows else []
    for row, score in zip(rows, scores, strict=True):
        values = score.as_dict()
        for name, label in _labels(row).items():
            if label is not None and name in values:
                found[name].append((label, values[name]))
    return {name: _agreeing(pairs) for name, pairs in found.items()}


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


def _public_data(manifest: dict[str, Any]) -> frozenset[tuple[str, str]]:
    return frozenset(
        (str(f.get("path")), str(f.get("sha256"))) for f in manifest.get("data_files", [])
    )


def _recent_best(
    registry: ModelRegistry, data: frozenset[tuple[str, str]] | None = None
) -> dict[str, dict[str, Any]]:
    """Per model, the best cross-validated ROC-AUC of the active version and the
    RECENT_VERSIONS that were active before it, and which version had it. With ``data``, only
    versions trained on those public files count: cross-validated figures over other data
    (a release that adds harder sources) are not comparable."""
    recent = list(dict.fromkeys([registry.active_version(), *reversed(registry.history())]))
    best: dict[str, dict[str, Any]] = {}
    for version in recent[: RECENT_VERSIONS + 1]:
        try:
            manifest = read_manifest(registry.path_of(version))
        except (UnknownVersion, ModelLoadError):  # removed by hand since: nothing to beat
            continue
        if data is not None and _public_data(manifest) != data:
            continue
        figures = _cv_auc(manifest)
        for name, value in figures.items():
            if name not in best or value > best[name]["roc_auc"]:
                best[name] = {"roc_auc": value, "version": version}
    return best


def _decisions(report: PolicyReport) -> dict[str, Any]:
    return {
        "model_version": report.model_version,
        "total": report.total,
        "clean_total": report.clean_total,
        "clean_removed": report.clean_removed,
        "harmful_total": report.harmful_total,
        "harmful_approved": report.harmful_approved,
        "sent_to_review": report.sent_to_review,
    }


@dataclass
class Verdict:
    """Whether a candidate may replace the active model, and why (`reasons`, in words)."""

    candidate: str
    active: str
    promote: bool
    reasons: list[str] = field(default_factory=list)
    held_back: int = 0
    agreement: dict[str, dict[str, float | None]] = field(default_factory=dict)
    # {"candidate": {model: auc}, "best_recent": {model: {"roc_auc", "version"}}}
    cv_roc_auc: dict[str, dict[str, Any]] = field(default_factory=dict)
    # {"set": path, "candidate": figures, "active": figures} (see _decisions)
    frozen_set: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def refuse(self, reason: str) -> None:
        self.promote = False
        self.reasons.append(reason)


def judge(
    registry: ModelRegistry,
    candidate: str,
    held_back: Sequence[FeedbackRow],
    settings: Settings,
    frozen: Path | None = None,
) -> Verdict:
    """Judge a candidate, model by model for those the policy decides with (DECIDING_SCORES):
    its cross-validated ROC-AUC against the best of the recent versions, its agreement with
    the held-back decisions and its decisions on the frozen set (`frozen`, by default
    `frozen_set()`) against the active model's. Not worse on any count: promote."""
    active = registry.active_version()
    verdict = Verdict(candidate=candidate, active=active, promote=True, held_back=len(held_back))
    manifest = read_manifest(registry.path_of(candidate))
    ours, best = _cv_auc(manifest), _recent_best(registry, _public_data(manifest))
    verdict.cv_roc_auc = {"candidate": ours, "best_recent": best}
    for name in DECIDING_SCORES:
        if name in ours and name in best and ours[name] < best[name]["roc_auc"] - CV_TOLERANCE:
            verdict.refuse(
                f"{name}: cross-validated ROC-AUC {ours[name]:.4f}, more than {CV_TOLERANCE} "
                f"below the best recent version's {best[name]['roc_auc']:.4f} "
                f"({best[name]['version']})"
            )
    new_model = Scorer.load(registry.path_of(candidate))
    old_model = Scorer.load(registry.path_of(active))
    new_agree, old_agree = agreement(new_model, held_back), agreement(old_model, held_back)
    verdict.agreement = {"candidate": new_agree, "active": old_agree}
    for name in DECIDING_SCORES:
        new, old = new_agree[name], old_agree[name]
        if new is not None and old is not None and new < old - AGREEMENT_TOLERANCE:
            verdict.refuse(
                f"{name}: agrees with {new:.1%} of the held-back moderators' decisions, "
                f"the active model with {old:.1%}"
            )
    path = frozen or frozen_set()
    new_report = evaluate_policy(settings, path, scorer=new_model)
    old_report = evaluate_policy(settings, path, scorer=old_model)
    verdict.frozen_set = {
        "set": path.name,
        "candidate": _decisions(new_report),
        "active": _decisions(old_report),
    }
    if new_report.clean_removed > old_report.clean_removed:
        verdict.refuse(
            f"{path.name}: removes {new_report.clean_removed} of {new_report.clean_total} clean "
            f"comments, the active model {old_report.clean_removed}"
        )
    if new_report.harmful_approved > old_report.harmful_approved:
        verdict.refuse(
            f"{path.name}: publishes {new_report.harmful_approved} of "
            f"{new_report.harmful_total} harmful comments, the active model "
            f"{old_report.harmful_approved}"
        )
    if verdict.promote:
        verdict.reasons.append(
            "not worse than the best recent version on its cross-validated figures, nor than "
            f"the active model on the held-back decisions or on {path.name}"
        )
    return verdict


def retrain(
    settings: Settings,
    data_dir: Path,
    *,
    promote: bool,
    progress: Callable[[str], None] | None = None,
    frozen: Path | None = None,
) -> Verdict:
    """Train a new version from the datasets plus the moderators' labels; judge it (`judge`,
    on the frozen set `frozen`); promote it if asked and it is not worse. The verdict is kept
    beside the version (promotion.json) so `moderation models list` can say why."""
    registry = ModelRegistry(settings.models_root)
    feedback = collect(settings)
    say = progress or (lambda _line: None)
    say(f"{feedback.total} moderators' labels: {len(feedback.training)} to train on, "
        f"{len(feedback.held_back)} held back to judge the new model")  # fmt: skip
    info = registry.train_into(data_dir, progress=progress, feedback=feedback.training)
    verdict = judge(registry, info.version, feedback.held_back, settings, frozen)
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
