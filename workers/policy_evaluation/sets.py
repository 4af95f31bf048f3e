"""The labelled decision sets: where they are and how their reports are headed, the decisions
in a moderator's words, the targets the issues set, and reading a set line by line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from moderation.domain.statuses import CommentStatus

_SETS = Path(__file__).resolve().parent.parent / "evaluation_sets"
DEFAULT_SET: Path = _SETS / "news_comments.jsonl"
# Written by hand on 2026-12-05, before issue 13's model changes and before any model scored it;
# never edited (tests pin its sha256), never used to write templates or tune thresholds.
FROZEN_SET: Path = _SETS / "news_comments_frozen.jsonl"

# The decisions in the words a moderator uses; the order is the order of the confusion table.
DECISIONS: tuple[str, ...] = ("approve", "review", "reject", "spam")
DECISION_OF: dict[CommentStatus, str] = {
    CommentStatus.APPROVED: "approve",
    CommentStatus.PENDING: "review",
    CommentStatus.REJECTED: "reject",
    CommentStatus.SPAM: "spam",
}
# "Clean" is everything a careful moderator would leave up, including what they would look at
# first (two links, a borderline remark); "harmful" is everything they would take down.
CLEAN: frozenset[str] = frozenset({"approve", "review"})
HARMFUL: frozenset[str] = frozenset({"reject", "spam"})
REMOVED: frozenset[str] = frozenset({"reject", "spam"})


@dataclass(frozen=True, slots=True)
class Targets:
    """What an issue asked of the policy on a decision set; every report shows them all."""

    issue: str
    clean_removed: int  # at most
    harmful_approved_rate: float  # below
    review_rate: float  # below

    def as_dict(self) -> dict[str, float]:
        return {
            "clean_removed": self.clean_removed,
            "harmful_approved_rate": self.harmful_approved_rate,
            "review_rate": self.review_rate,
        }


# Issue 3: no clean comment removed, < 5% of harmful approved, < 20% to review. Issue 13 asks
# more: no clean comment removed, < 3% of harmful published, < 15% held.
ISSUE_3 = Targets("issue 3", clean_removed=0, harmful_approved_rate=0.05, review_rate=0.20)
ISSUE_13 = Targets("issue 13", clean_removed=0, harmful_approved_rate=0.03, review_rate=0.15)
TARGETS: tuple[Targets, ...] = (ISSUE_3, ISSUE_13)


@dataclass(frozen=True, slots=True)
class DecisionSet:
    """A labelled set and how its report section is headed and introduced."""

    path: Path
    title: str
    about: str = ""

    @classmethod
    def at(cls, path: Path) -> DecisionSet:
        """The described set at ``path``, or one headed by its file name."""
        for known in DECISION_SETS:
            if known.path == path.resolve():
                return known
        return cls(path, f"Policy decisions on {path.name}")


DECISION_SETS: tuple[DecisionSet, ...] = (
    DecisionSet(
        DEFAULT_SET,
        "Policy decisions on news comments",
        "In-sample, or close to it: the template rows of `classifiers/synthetic.py` were written "
        "after seeing where the model failed on this set, so it flatters the model.",
    ),
    DecisionSet(
        FROZEN_SET,
        "Policy decisions on the frozen news comments (written 2026-12-05 before issue 13's "
        "model changes, never tuned on)",
        "Written by hand before the model changes of issue 13 and before any model scored it, on "
        "topics the first set does not cover. It is never used to write templates or tune "
        "thresholds, and never edited: a new set is a new file.",
    ),
)

_FIELDS = ("id", "body", "author", "email", "url", "kind", "expected", "note")


class EvaluationSetError(ValueError):
    """A line of the evaluation set that is not a valid labelled comment."""


@dataclass(frozen=True, slots=True)
class LabelledComment:
    id: str
    body: str
    author: str
    email: str
    url: str
    kind: str
    expected: str
    note: str


def load_set(path: Path = DEFAULT_SET) -> list[LabelledComment]:
    """Every labelled comment of a JSON-lines file; a bad line names its number and field."""
    comments: list[LabelledComment] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvaluationSetError(f"{path}:{number}: not JSON: {error}") from error
        if not isinstance(item, dict):
            raise EvaluationSetError(f"{path}:{number}: not a JSON object")
        for name in _FIELDS:
            if not isinstance(item.get(name), str):
                raise EvaluationSetError(f"{path}:{number}: {name!r} must be a string")
        if not item["body"].strip() or not item["id"].strip():
            raise EvaluationSetError(f"{path}:{number}: 'id' and 'body' must not be empty")
        if item["expected"] not in DECISIONS:
            raise EvaluationSetError(
                f"{path}:{number}: 'expected' must be one of {', '.join(DECISIONS)}"
            )
        if item["id"] in seen:
            raise EvaluationSetError(f"{path}:{number}: duplicate id {item['id']!r}")
        seen.add(item["id"])
        comments.append(LabelledComment(**{name: item[name] for name in _FIELDS}))
    return comments
