"""The moderators' labels as training data: the latest decision per comment, a held-back
slice that stays put, and the judgement that keeps a worse candidate back with its reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers.registry import ModelRegistry
from moderation.config import Settings
from moderation.domain import review
from moderation.domain.accounts import Role, Staff
from moderation.domain.statuses import CommentStatus
from moderation.storage import repository
from moderation.storage.db import session_scope
from moderation.storage.review import FeedbackRow
from tests.classifiers.test_registry import BUILTIN, relabelled_copy
from workers import feedback

MONA = Staff(1, "mona", Role.MODERATOR)


def stored(database_url: str, bodies: list[str]) -> list[int]:
    """Comments as the API stores them, then decided by the policy as a worker does."""
    with session_scope(database_url) as session:
        article = repository.article_for(session, "story", None, None)
        rows = [
            {
                "article_id": article.id,
                "author_name": "Ann",
                "author_email": "ann@example.org",
                "body": body,
            }
            for body in bodies
        ]
        ids = [comment_id for comment_id, _ in repository.insert_comments(session, rows)]
        repository.record_decisions(
            session,
            [
                repository.DecisionRecord(i, CommentStatus.PENDING, {"spam": 0.5}, [], "", "v")
                for i in ids
            ],
        )
    return ids


def test_the_latest_decision_per_comment_is_its_label_and_the_split_is_stable(
    sqlite_url: str,
) -> None:
    ids = stored(sqlite_url, [f"Comment number {i} about the budget" for i in range(40)])
    with session_scope(sqlite_url) as session:
        review.decide(session, MONA, ids, review.Action.SPAM)
        # A second look: the first comment was not spam after all.
        review.decide(session, MONA, ids[:1], review.Action.NOT_SPAM)
    settings = Settings(database_url=sqlite_url)

    first, again = feedback.collect(settings), feedback.collect(settings)

    assert first.total == 40
    assert first.held_back == again.held_back
    assert 2 <= len(first.held_back) < 20
    labels = {label.text: (label.spam, label.toxic) for label in first.training}
    labels.update({row.body: (row.spam, row.toxic) for row in first.held_back})
    assert labels["Comment number 0 about the budget"] == (False, False)
    assert labels["Comment number 1 about the budget"] == (True, None)


def test_no_labels_no_feedback(sqlite_url: str) -> None:
    found = feedback.collect(Settings(database_url=sqlite_url))

    assert (found.training, found.held_back) == ([], [])


def _candidate(tmp_path: Path, version: str, cv_drop: float) -> Path:
    copy = relabelled_copy(tmp_path / version, version)
    manifest = json.loads((copy / "manifest.json").read_text())
    for found in manifest["metrics"].values():
        found["roc_auc_pooled"] = round(found["roc_auc_pooled"] - cv_drop, 4)
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return copy


HELD_BACK = [
    FeedbackRow(1, "Cheap pills at my online pharmacy, click now", True, None),
    FeedbackRow(2, "The council should publish the costs", False, False),
    FeedbackRow(3, "You are a worthless idiot", None, True),
]


def test_a_candidate_no_worse_than_the_active_model_may_be_promoted(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.add(_candidate(tmp_path, "v0-20300101-00000001", cv_drop=0.005))

    verdict = feedback.judge(registry, "v0-20300101-00000001", HELD_BACK)

    assert verdict.promote, verdict.reasons
    assert verdict.active == BUILTIN
    assert verdict.agreement["candidate"] == verdict.agreement["active"]
    assert verdict.agreement["active"] == {"spam": 1.0, "toxicity": 1.0}


def test_a_worse_candidate_is_kept_back_and_says_why(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.add(_candidate(tmp_path, "v0-20300101-00000002", cv_drop=0.05))

    verdict = feedback.judge(registry, "v0-20300101-00000002", HELD_BACK)

    assert not verdict.promote
    assert any(
        reason.startswith("spam: cross-validated ROC-AUC") and "< active" in reason
        for reason in verdict.reasons
    ), verdict.reasons


@pytest.mark.parametrize("count", [0, 1])
def test_agreement_needs_labels_of_its_kind(count: int) -> None:
    from classifiers import Scorer

    rows = HELD_BACK[2 : 2 + count]  # only an abuse label, or none

    found = feedback.agreement(Scorer.load(), rows)

    assert found["spam"] is None
    assert found["toxicity"] == (1.0 if count else None)
