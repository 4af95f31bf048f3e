"""Policy v0: scores and rules in, a status and its reasons out. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from moderation.domain.statuses import CommentStatus

# What counts as a link in a comment body: an explicit scheme or a www. host. Bare domains
# ("example.com") are left to the spam model, since they appear in ordinary prose too.
_LINK = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")


def count_links(text: str) -> int:
    return len(_LINK.findall(text))


@dataclass(frozen=True, slots=True)
class Thresholds:
    spam_reject: float = 0.9
    toxicity_reject: float = 0.9
    spam_hold: float = 0.5
    toxicity_hold: float = 0.5
    hold_links: int = 2


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that fired, with the value that made it fire, so a moderator can see why."""

    rule: str
    value: float | int | str
    threshold: float | int | None = None
    # ">=" for a rule that fired; "<" for the checks an approved comment passed; None for a
    # rule without a threshold.
    op: str | None = ">="

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "value": self.value, "threshold": self.threshold, "op": self.op}

    @property
    def text(self) -> str:
        if self.threshold is None:
            return f"{self.rule}: {self.value}"
        value = f"{self.value:.2f}" if isinstance(self.value, float) else str(self.value)
        return f"{self.rule} {value} {self.op} {self.threshold}"


@dataclass(frozen=True, slots=True)
class Verdict:
    status: CommentStatus
    reasons: list[Reason] = field(default_factory=list)


def decide(spam: float, toxicity: float, body: str, thresholds: Thresholds) -> Verdict:
    """Spam before abuse before doubt: the first matching outcome wins, every fired rule is kept."""
    links = count_links(body)
    reasons: list[Reason] = []
    if spam >= thresholds.spam_reject:
        reasons.append(Reason("spam", spam, thresholds.spam_reject))
    if toxicity >= thresholds.toxicity_reject:
        reasons.append(Reason("toxicity", toxicity, thresholds.toxicity_reject))
    if spam >= thresholds.spam_reject:
        return Verdict(CommentStatus.SPAM, reasons)
    if toxicity >= thresholds.toxicity_reject:
        return Verdict(CommentStatus.REJECTED, reasons)

    if spam >= thresholds.spam_hold:
        reasons.append(Reason("spam", spam, thresholds.spam_hold))
    if toxicity >= thresholds.toxicity_hold:
        reasons.append(Reason("toxicity", toxicity, thresholds.toxicity_hold))
    if links >= thresholds.hold_links:
        reasons.append(Reason("links", links, thresholds.hold_links))
    if reasons:
        return Verdict(CommentStatus.PENDING, reasons)
    # An approval is explained too: every check it passed, with its value.
    return Verdict(
        CommentStatus.APPROVED,
        [
            Reason("spam", spam, thresholds.spam_hold, "<"),
            Reason("toxicity", toxicity, thresholds.toxicity_hold, "<"),
            Reason("links", links, thresholds.hold_links, "<"),
        ],
    )


def decide_unscored(error: str) -> Verdict:
    """When no model could score the comment we fail closed: a human decides, never `approved`."""
    return Verdict(CommentStatus.PENDING, [Reason("scoring_failed", error, None, None)])
