"""Decisions, not just scores: the worker's full scoring path over a labelled set of comments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers import Scorer
from classifiers.operating_points import Targets as RateTargets
from moderation.config import Settings
from moderation.domain.records import DecisionRecord
from moderation.domain.statuses import CommentStatus
from moderation.storage.comments import QueuedComment
from workers.scoring import decide_batch

_SETS = Path(__file__).resolve().parent / "evaluation_sets"
DEFAULT_SET: Path = _SETS / "news_comments.jsonl"
# Written by hand on 2026-12-05, before issue 13's model changes and before any model scored it;
# never edited (tests pin its sha256), never used to write templates or tune thresholds.
FROZEN_SET: Path = _SETS / "news_comments_frozen.jsonl"

# The decisions in the words a moderator uses; the order is the order of the confusion table.
DECISIONS: tuple[str, ...] = ("approve", "review", "reject", "spam")
_DECISION_OF: dict[CommentStatus, str] = {
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
        return {
            "id": self.id,
            "kind": self.kind,
            "expected": self.expected,
            "decided": self.decided,
            "severity": self.severity,
            "body": self.body,
            "scores": self.scores,
            "reasons": self.reasons,
            "note": self.note,
        }


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
            "total": self.total,
            "clean_total": self.clean_total,
            "harmful_total": self.harmful_total,
            "clean_removed": self.clean_removed,
            "harmful_approved": self.harmful_approved,
            "harmful_approved_rate": self.harmful_approved_rate,
            "sent_to_review": self.sent_to_review,
            "review_rate": self.review_rate,
            "agreed": self.agreed,
            "agreement_rate": self.agreement_rate,
            "targets": {t.issue: t.as_dict() for t in TARGETS},
            "meets_targets": {t.issue: self.meets(t) for t in TARGETS},
            "confusion": self.confusion,
            "by_kind": self.by_kind,
            "misses": [m.as_dict() for m in self.misses],
        }

    def markdown(self) -> str:
        """A section (level-2 heading) of the `moderation evaluate` report, and what
        `moderation evaluate-policy` prints."""
        met = [self.meets(t) for t in TARGETS]

        def marks(name: str, shown: list[str]) -> str:
            return " | ".join(
                f"{target} | {'met' if ok[name] else '**missed**'}"
                for target, ok in zip(shown, met, strict=True)
            )

        lines = [f"## {self.title}", ""]
        if self.about:
            lines += [self.about, ""]
        lines += [
            f"Model `{self.model_version}`, policy v0, {self.total} labelled comments "
            f"from `{Path(self.set_path).name}`, run through the worker's scoring path.",
            "",
            "| Figure | Value | " + "".join(f"Target, {t.issue} | | " for t in TARGETS).rstrip(),
            "|---|---|" + "---|---|" * len(TARGETS),
            f"| Clean comments rejected or marked spam | {self.clean_removed} of "
            f"{self.clean_total} | "
            + marks("clean_removed", [str(t.clean_removed) for t in TARGETS])
            + " |",
            f"| Spam or abuse approved (published) | {self.harmful_approved} of "
            f"{self.harmful_total} ({self.harmful_approved_rate:.1%}) | "
            + marks("harmful_approved_rate", [f"< {t.harmful_approved_rate:.0%}" for t in TARGETS])
            + " |",
            f"| Sent to review (held) | {self.sent_to_review} of {self.total} "
            f"({self.review_rate:.1%}) | "
            + marks("review_rate", [f"< {t.review_rate:.0%}" for t in TARGETS])
            + " |",
            f"| Same decision as the moderator | {self.agreed} of {self.total} "
            f"({self.agreement_rate:.1%}) |" + " | |" * len(TARGETS),
            "",
            "### Expected (rows) by decided (columns)",
            "",
            "| expected \\ decided | " + " | ".join(DECISIONS) + " | total |",
            "|---|" + "---|" * (len(DECISIONS) + 1),
        ]
        for expected in DECISIONS:
            row = self.confusion[expected]
            cells = " | ".join(str(row[d]) for d in DECISIONS)
            lines.append(f"| {expected} | {cells} | {sum(row.values())} |")
        lines += ["", "### By kind", "", "| kind | comments | as labelled |", "|---|---|---|"]
        for kind, counts in self.by_kind.items():
            lines.append(f"| {kind} | {counts['total']} | {counts['agreed']} |")
        lines += ["", f"### Misses ({len(self.misses)})", ""]
        if not self.misses:
            lines.append("None: every decision matched its label.")
        else:
            lines += [
                "| id | kind | expected | decided | spam | toxicity | reasons | comment |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for miss in self.misses:
                spam = miss.scores.get("spam")
                toxicity = miss.scores.get("toxicity")
                lines.append(
                    f"| {miss.id} | {miss.kind} | {miss.expected} | **{miss.decided}** "
                    f"| {_number(spam)} | {_number(toxicity)} | {_cell(miss.reasons)} "
                    f"| {_cell(_shorten(miss.body))} |"
                )
        return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _shorten(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(text: str) -> str:
    # A pipe or a newline inside a comment would break the table row.
    return text.replace("|", "\\|").replace("\n", " ")


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
        decided = _DECISION_OF[record.status]
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


# Threshold settings tried on held-out rows, one change at a time from the configured policy:
# the hold thresholds decide how much a moderator sees, the reject ones what is removed unseen.
# A hold of 1.0 is all but off: only a score saturated at exactly 1 still holds.
POLICY_VARIANTS: tuple[tuple[str, dict[str, float]], ...] = (
    ("toxicity hold 0.6", {"toxicity_hold_threshold": 0.6}),
    ("toxicity hold 0.7", {"toxicity_hold_threshold": 0.7}),
    ("spam hold 0.7", {"spam_hold_threshold": 0.7}),
    ("spam hold 0.9", {"spam_hold_threshold": 0.9}),
    ("threat hold 0.95", {"threat_hold_threshold": 0.95}),
    ("threat hold 0.99", {"threat_hold_threshold": 0.99}),
    ("threat hold 1.0", {"threat_hold_threshold": 1.0}),
    ("identity attack hold 0.98", {"identity_attack_hold_threshold": 0.98}),
    ("identity attack hold 1.0", {"identity_attack_hold_threshold": 1.0}),
    ("threat reject 0.95", {"threat_reject_threshold": 0.95}),
    ("identity attack reject 0.9", {"identity_attack_reject_threshold": 0.9}),
)
# The held-out rates' targets, and the day's mix the held share is counted over.
_RATES = RateTargets()
# Clean rows removed that the report quotes, per source (the first ones, in the source's order).
_REMOVED_SHOWN = 12


@dataclass(frozen=True, slots=True)
class HeldOutOutcome:
    """What one policy setting did to a held-out source's rows."""

    setting: str
    clean: int
    harmful: int
    clean_removed: int
    clean_held: int
    harmful_published: int
    harmful_held: int

    @property
    def held_in_a_day(self) -> float:
        """Share held of a day's mix (``_RATES.clean_share`` clean), not of the source's own."""
        return _RATES.clean_share * self.clean_held / max(self.clean, 1) + (
            1 - _RATES.clean_share
        ) * self.harmful_held / max(self.harmful, 1)

    def row(self) -> str:
        def share(count: int, total: int) -> str:
            return f"{100 * count / max(total, 1):.1f}%"

        return (
            f"| {self.setting} | {share(self.clean_removed, self.clean)} "
            f"| {share(self.harmful_published, self.harmful)} "
            f"| {share(self.clean_held, self.clean)} | {share(self.harmful_held, self.harmful)} "
            f"| {100 * self.held_in_a_day:.1f}% |"
        )


@dataclass(frozen=True, slots=True)
class HeldOutDecisions:
    """The policy run on a held-out source with models that never saw it
    (``classifiers.evaluation.HeldOutPolicy``): the decision-level figures that the per-score
    operating points cannot give, since a comment is held or removed by whichever rule fires
    first, cues and sentence scores included. No database, so no copies or author rules."""

    settings: Settings

    def _outcome(
        self, setting: str, settings: Settings, scorer: Scorer, texts: list[str], harmful: Any
    ) -> tuple[HeldOutOutcome, list[DecisionRecord]]:
        queued = [QueuedComment(i, text, "", "", None) for i, text in enumerate(texts)]
        records = decide_batch(settings, queued, scorer=scorer)
        pairs = [(_DECISION_OF[r.status], bool(h)) for r, h in zip(records, harmful, strict=True)]
        clean = [d for d, bad in pairs if not bad]
        bad = [d for d, bad in pairs if bad]
        return (
            HeldOutOutcome(
                setting=setting,
                clean=len(clean),
                harmful=len(bad),
                clean_removed=sum(d in REMOVED for d in clean),
                clean_held=clean.count("review"),
                harmful_published=bad.count("approve"),
                harmful_held=bad.count("review"),
            ),
            records,
        )

    def __call__(self, scorer: Scorer, texts: list[str], harmful: Any) -> dict[str, Any]:
        configured, records = self._outcome("as configured", self.settings, scorer, texts, harmful)
        outcomes = [configured] + [
            self._outcome(name, self.settings.model_copy(update=update), scorer, texts, harmful)[0]
            for name, update in POLICY_VARIANTS
        ]
        # Which rules held or removed the clean rows under the configured policy (a row counts
        # once per rule that fired): what a moderator looks at, and what readers lose, for nothing.
        fired: dict[CommentStatus, dict[str, int]] = {}
        for record, bad in zip(records, harmful, strict=True):
            if bad or record.status is CommentStatus.APPROVED:
                continue
            counts = fired.setdefault(record.status, {})
            for reason in record.reasons:
                if reason.get("op") == ">=":
                    counts[reason["rule"]] = counts.get(reason["rule"], 0) + 1

        def by_rule(*statuses: CommentStatus) -> str:
            counts: dict[str, int] = {}
            for status in statuses:
                for rule, count in fired.get(status, {}).items():
                    counts[rule] = counts.get(rule, 0) + count
            ranked = sorted(counts.items(), key=lambda kv: -kv[1])
            return ", ".join(f"{rule} {count}" for rule, count in ranked) or "none"

        # The clean rows removed, for a reader to judge: a source's "clean" label can be wrong
        # (TOXICSPANS' raters passed some plain abuse), and only reading them tells.
        removed = [
            f"| {_cell(record.reason_text)} | {_cell(_shorten(text))} |"
            for record, text, bad in zip(records, texts, harmful, strict=True)
            if not bad and record.status in (CommentStatus.REJECTED, CommentStatus.SPAM)
        ][:_REMOVED_SHOWN]
        header = (
            "| setting | clean removed | harmful published | clean held | harmful held "
            f"| held in a day ({_RATES.clean_share:.0%} clean) |\n|---|---|---|---|---|---|\n"
        )
        return {
            "table": header + "\n".join(o.row() for o in outcomes),
            "clean_held_by": by_rule(CommentStatus.PENDING),
            "clean_removed_by": by_rule(CommentStatus.REJECTED, CommentStatus.SPAM),
            "clean_removed_shown": removed,
            "outcomes": [
                {
                    "setting": o.setting,
                    "clean": o.clean,
                    "harmful": o.harmful,
                    "clean_removed": o.clean_removed,
                    "clean_held": o.clean_held,
                    "harmful_published": o.harmful_published,
                    "harmful_held": o.harmful_held,
                }
                for o in outcomes
            ],
        }


def held_out_policy_markdown(evaluation: Any) -> str:
    """The ``HeldOutDecisions`` tables of a ``classifiers.evaluation.Evaluation``, one per
    held-out source that has one; empty when none has."""
    parts = []
    for split in evaluation.splits:
        found = split.extras.get("policy")
        if not found:
            continue
        first = found["outcomes"][0]
        parts.append(
            f"### {split.held_out}, held out ({first['clean']} clean, {first['harmful']} "
            f"harmful)\n\n{found['table']}\n\nAs configured, clean comments held by the rule "
            f"that fired: {found['clean_held_by']}; removed: "
            f"{found['clean_removed_by']}.\n"
        )
        shown = found.get("clean_removed_shown") or []
        if shown:
            parts.append(
                f"The first {len(shown)} clean comments removed, to read (the label may be "
                "wrong):\n\n| reasons | comment |\n|---|---|\n" + "\n".join(shown) + "\n"
            )
    if not parts:
        return ""
    return (
        "The whole policy (scores, sentence scores, cues, hate codes, quotes; no copies or "
        "authors: there is no database) run on each source's toxicity rows by models trained "
        "without that source; harmful = the source's toxic label. Each setting changes one "
        "threshold of the configured policy. Issue 13's targets: clean removed <= "
        f"{_RATES.clean_removed:.1%}, harmful published <= {_RATES.harmful_published:.0%}, "
        f"held in a day <= {_RATES.held:.0%}.\n\n" + "\n".join(parts)
    )
