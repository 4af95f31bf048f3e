"""The policy on held-out sources: what the whole policy decides on a source's toxicity rows
when the models never saw that source, under the configured thresholds and one change at a
time, and the markdown that `moderation evaluate` writes of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from classifiers import Scorer
from classifiers.operating_points import Targets as RateTargets
from moderation.config import Settings
from moderation.domain.records import DecisionRecord
from moderation.domain.statuses import CommentStatus
from moderation.storage.comments import QueuedComment
from workers.policy_evaluation.sets import DECISION_OF, REMOVED
from workers.policy_evaluation.tables import cell, shorten
from workers.scoring import decide_batch

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
        pairs = [(DECISION_OF[r.status], bool(h)) for r, h in zip(records, harmful, strict=True)]
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
        fired = _rules_fired_on_clean(records, harmful)
        header = (
            "| setting | clean removed | harmful published | clean held | harmful held "
            f"| held in a day ({_RATES.clean_share:.0%} clean) |\n|---|---|---|---|---|---|\n"
        )
        return {
            "table": header + "\n".join(o.row() for o in outcomes),
            "clean_held_by": _by_rule(fired, CommentStatus.PENDING),
            "clean_removed_by": _by_rule(fired, CommentStatus.REJECTED, CommentStatus.SPAM),
            "clean_removed_shown": _clean_removed(records, texts, harmful),
            "outcomes": [asdict(o) for o in outcomes],
        }


def _rules_fired_on_clean(
    records: Sequence[DecisionRecord], harmful: Any
) -> dict[CommentStatus, dict[str, int]]:
    """Which rules held or removed the clean rows under the configured policy (a row counts
    once per rule that fired): what a moderator looks at, and what readers lose, for nothing."""
    fired: dict[CommentStatus, dict[str, int]] = {}
    for record, bad in zip(records, harmful, strict=True):
        if bad or record.status is CommentStatus.APPROVED:
            continue
        counts = fired.setdefault(record.status, {})
        for reason in record.reasons:
            if reason.get("op") == ">=":
                counts[reason["rule"]] = counts.get(reason["rule"], 0) + 1
    return fired


def _by_rule(fired: dict[CommentStatus, dict[str, int]], *statuses: CommentStatus) -> str:
    """The rules that fired on clean rows of these statuses, most often first: "toxicity 29,
    threat 12"."""
    counts: dict[str, int] = {}
    for status in statuses:
        for rule, count in fired.get(status, {}).items():
            counts[rule] = counts.get(rule, 0) + count
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{rule} {count}" for rule, count in ranked) or "none"


def _clean_removed(records: Sequence[DecisionRecord], texts: list[str], harmful: Any) -> list[str]:
    """The first clean rows removed, as table rows, for a reader to judge: a source's "clean"
    label can be wrong (TOXICSPANS' raters passed some plain abuse), and only reading them
    tells."""
    return [
        f"| {cell(record.reason_text)} | {cell(shorten(text))} |"
        for record, text, bad in zip(records, texts, harmful, strict=True)
        if not bad and record.status in (CommentStatus.REJECTED, CommentStatus.SPAM)
    ][:_REMOVED_SHOWN]


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
