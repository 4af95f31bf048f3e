"""Decisions, not just scores: the worker's full scoring path over a labelled set of comments,
compared with the labels, and the report's markdown section."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers import Scorer
from moderation.config import Settings
from moderation.domain.records import DecisionRecord
from moderation.storage.comments import QueuedComment
from workers.policy_evaluation.sets import (
    CLEAN,
    DECISION_OF,
    DECISION_SETS,
    DECISIONS,
    DEFAULT_SET,
    HARMFUL,
    ISSUE_3,
    REMOVED,
    TARGETS,
    DecisionSet,
    LabelledComment,
    Targets,
    load_set,
)
from workers.policy_evaluation.tables import cell, number, shorten
from workers.scoring import decide_batch


def _named(source: object, names: Sequence[str]) -> dict[str, Any]:
    """These fields or properties of `source` by name, in this order (the order of the JSON)."""
    return {name: getattr(source, name) for name in names}


_MISS_KEYS = ("id", "kind", "expected", "decided", "severity", "body", "scores", "reasons", "note")
# The report's figures (properties of PolicyReport), in the order `as_dict` gives them.
_FIGURES = (
    "total",
    "clean_total",
    "harmful_total",
    "clean_removed",
    "harmful_approved",
    "harmful_approved_rate",
    "sent_to_review",
    "review_rate",
    "agreed",
    "agreement_rate",
)


@dataclass(frozen=True, slots=True)
class Miss:
    """One comment where the policy's decision differs from the moderator's label."""

    id: str
    kind: str
    expected: str
    decided: str
    body: str
    scores: dict[str, float]
    reasons: str
    note: str

    @property
    def severity(self) -> str:
        if self.expected in CLEAN and self.decided in REMOVED:
            return "clean removed"
        if self.expected in HARMFUL and self.decided == "approve":
            return "harmful approved"
        if self.decided == "review":
            return (
                "held, label says remove"
                if self.expected in HARMFUL
                else "held, label says approve"
            )
        if self.expected == "review":
            return "approved, label says hold"
        return "removed under the other label"

    def as_dict(self) -> dict[str, Any]:
        # Every field, with the severity beside the decision it judges.
        return _named(self, _MISS_KEYS)


# Misses that hurt readers or let harm through come first in every listing.
_SEVERITY_ORDER = (
    "clean removed",
    "harmful approved",
    "approved, label says hold",
    "held, label says remove",
    "held, label says approve",
    "removed under the other label",
)


@dataclass(frozen=True, slots=True)
class PolicyReport:
    """What the policy decided for each labelled comment, and how far that is from the labels."""

    model_version: str | None
    set_path: str
    confusion: dict[str, dict[str, int]]  # expected -> decided -> count
    by_kind: dict[str, dict[str, int]]  # kind -> {"total", "agreed"}
    misses: list[Miss] = field(default_factory=list)
    title: str = "Policy decisions"
    about: str = ""

    @property
    def total(self) -> int:
        return sum(sum(row.values()) for row in self.confusion.values())

    def _count(
        self, expected: frozenset[str] | set[str], decided: frozenset[str] | set[str]
    ) -> int:
        return sum(self.confusion[e][d] for e in expected for d in decided)

    @property
    def clean_total(self) -> int:
        return self._count(CLEAN, set(DECISIONS))

    @property
    def harmful_total(self) -> int:
        return self._count(HARMFUL, set(DECISIONS))

    @property
    def clean_removed(self) -> int:
        return self._count(CLEAN, REMOVED)

    @property
    def harmful_approved(self) -> int:
        return self._count(HARMFUL, {"approve"})

    @property
    def sent_to_review(self) -> int:
        return self._count(set(DECISIONS), {"review"})

    @property
    def agreed(self) -> int:
        return sum(self.confusion[d][d] for d in DECISIONS)

    @property
    def harmful_approved_rate(self) -> float:
        return self.harmful_approved / self.harmful_total if self.harmful_total else 0.0

    @property
    def review_rate(self) -> float:
        return self.sent_to_review / self.total if self.total else 0.0

    @property
    def agreement_rate(self) -> float:
        return self.agreed / self.total if self.total else 0.0

    def meets(self, targets: Targets) -> dict[str, bool]:
        return {
            "clean_removed": self.clean_removed <= targets.clean_removed,
            "harmful_approved_rate": self.harmful_approved_rate < targets.harmful_approved_rate,
            "review_rate": self.review_rate < targets.review_rate,
        }

    @property
    def meets_targets(self) -> dict[str, bool]:
        """Issue 3's targets, the ones this figure was first held to."""
        return self.meets(ISSUE_3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "set": self.set_path,
            **_named(self, _FIGURES),
            "targets": {t.issue: t.as_dict() for t in TARGETS},
            "meets_targets": {t.issue: self.meets(t) for t in TARGETS},
            "confusion": self.confusion,
            "by_kind": self.by_kind,
            "misses": [m.as_dict() for m in self.misses],
        }

    def markdown(self) -> str:
        """A section (level-2 heading) of the `moderation evaluate` report, and what
        `moderation evaluate-policy` prints."""
        parts = [[f"## {self.title}"], *([[self.about]] if self.about else [])]
        parts += [self._figures(), self._confusion_table(), self._kinds_table(), self._misses()]
        return "\n\n".join("\n".join(lines) for lines in parts) + "\n"

    def _figures(self) -> list[str]:
        """The figures the issues set targets for, each with every issue's target and whether
        it is met, then the agreement with the moderators (which has none)."""
        met = [self.meets(t) for t in TARGETS]
        lines = [
            f"Model `{self.model_version}`, policy v0, {self.total} labelled comments "
            f"from `{Path(self.set_path).name}`, run through the worker's scoring path.",
            "",
            "| Figure | Value | " + "".join(f"Target, {t.issue} | | " for t in TARGETS).rstrip(),
            "|---|---|" + "---|---|" * len(TARGETS),
        ]
        for figure, value, name, shown in self._targeted():
            marks = " | ".join(
                f"{target} | {'met' if ok[name] else '**missed**'}"
                for target, ok in zip(shown, met, strict=True)
            )
            lines.append(f"| {figure} | {value} | {marks} |")
        lines.append(
            f"| Same decision as the moderator | {self.agreed} of {self.total} "
            f"({self.agreement_rate:.1%}) |" + " | |" * len(TARGETS)
        )
        return lines

    def _targeted(self) -> list[tuple[str, str, str, list[str]]]:
        """Each figure with a target: its words, its value, its name in `meets`, and each
        issue's target as the table shows it."""
        return [
            (
                "Clean comments rejected or marked spam",
                f"{self.clean_removed} of {self.clean_total}",
                "clean_removed",
                [str(t.clean_removed) for t in TARGETS],
            ),
            (
                "Spam or abuse approved (published)",
                f"{self.harmful_approved} of {self.harmful_total} "
                f"({self.harmful_approved_rate:.1%})",
                "harmful_approved_rate",
                [f"< {t.harmful_approved_rate:.0%}" for t in TARGETS],
            ),
            (
                "Sent to review (held)",
                f"{self.sent_to_review} of {self.total} ({self.review_rate:.1%})",
                "review_rate",
                [f"< {t.review_rate:.0%}" for t in TARGETS],
            ),
        ]

    def _confusion_table(self) -> list[str]:
        lines = [
            "### Expected (rows) by decided (columns)",
            "",
            "| expected \\ decided | " + " | ".join(DECISIONS) + " | total |",
            "|---|" + "---|" * (len(DECISIONS) + 1),
        ]
        for expected in DECISIONS:
            row = self.confusion[expected]
            cells = " | ".join(str(row[d]) for d in DECISIONS)
            lines.append(f"| {expected} | {cells} | {sum(row.values())} |")
        return lines

    def _kinds_table(self) -> list[str]:
        lines = ["### By kind", "", "| kind | comments | as labelled |", "|---|---|---|"]
        for kind, counts in self.by_kind.items():
            lines.append(f"| {kind} | {counts['total']} | {counts['agreed']} |")
        return lines

    def _misses(self) -> list[str]:
        lines = [f"### Misses ({len(self.misses)})", ""]
        if not self.misses:
            return [*lines, "None: every decision matched its label."]
        lines += [
            "| id | kind | expected | decided | spam | toxicity | reasons | comment |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for miss in self.misses:
            spam = miss.scores.get("spam")
            toxicity = miss.scores.get("toxicity")
            lines.append(
                f"| {miss.id} | {miss.kind} | {miss.expected} | **{miss.decided}** "
                f"| {number(spam)} | {number(toxicity)} | {cell(miss.reasons)} "
                f"| {cell(shorten(miss.body))} |"
            )
        return lines


def build_report(
    comments: Sequence[LabelledComment],
    records: Sequence[DecisionRecord],
    set_path: str,
) -> PolicyReport:
    """Compare decision records (comment_id = position in `comments`) with the labels."""
    described = DecisionSet.at(Path(set_path))
    confusion = {e: dict.fromkeys(DECISIONS, 0) for e in DECISIONS}
    by_kind: dict[str, dict[str, int]] = {}
    misses: list[Miss] = []
    versions = {r.model_version for r in records}
    for record in records:
        comment = comments[record.comment_id]
        decided = DECISION_OF[record.status]
        confusion[comment.expected][decided] += 1
        counts = by_kind.setdefault(comment.kind, {"total": 0, "agreed": 0})
        counts["total"] += 1
        if decided == comment.expected:
            counts["agreed"] += 1
            continue
        misses.append(
            Miss(
                id=comment.id,
                kind=comment.kind,
                expected=comment.expected,
                decided=decided,
                body=comment.body,
                scores=dict(record.scores),
                reasons=record.reason_text,
                note=comment.note,
            )
        )
    misses.sort(key=lambda m: _SEVERITY_ORDER.index(m.severity))
    return PolicyReport(
        model_version=versions.pop() if len(versions) == 1 else None,
        set_path=set_path,
        confusion=confusion,
        by_kind=by_kind,
        misses=misses,
        title=described.title,
        about=described.about,
    )


def evaluate_policy(
    settings: Settings, path: Path = DEFAULT_SET, scorer: Scorer | None = None
) -> PolicyReport:
    """Score and decide every labelled comment exactly as a worker would (with `scorer`
    instead of the worker's model if given), then compare."""
    comments = load_set(path)
    # The same path a worker takes for a batch it took off the queue: QueuedComments in,
    # DecisionRecords out; the id is the comment's position so each record finds its label.
    queued = [
        QueuedComment(i, c.body, c.author, c.email, c.url or None) for i, c in enumerate(comments)
    ]
    records = decide_batch(settings, queued, scorer=scorer)
    return build_report(comments, records, str(path))


def policy_sections(settings: Settings, paths: Sequence[Path] = ()) -> str:
    """The markdown of every decision set (``paths``, or both described sets), one after another,
    each a level-2 section: what `moderation evaluate-policy` prints."""
    chosen = list(paths) or [s.path for s in DECISION_SETS]
    return "\n".join(evaluate_policy(settings, path).markdown() for path in chosen)
