"""What a decision says: a status and the reasons for it, as a moderator reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moderation.domain.statuses import CommentStatus


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that fired, with the value that made it fire, so a moderator can see why."""

    rule: str
    value: float | int | str
    threshold: float | int | None = None
    # ">=" for a rule that fired; "<" for the checks an approved comment passed; None for a
    # rule without a threshold.
    op: str | None = ">="
    # Where the value was counted, for a rule that counts over time ("10 min"); None otherwise.
    within: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found = {"rule": self.rule, "value": self.value, "threshold": self.threshold, "op": self.op}
        if self.within is not None:
            found["within"] = self.within
        return found

    @property
    def text(self) -> str:
        if self.threshold is None:
            return f"{self.rule}: {self.value}"
        value = f"{self.value:.2f}" if isinstance(self.value, float) else str(self.value)
        text = f"{self.rule} {value} {self.op} {self.threshold}"
        return text if self.within is None else f"{text} in {self.within}"

    @property
    def words(self) -> str:
        """The reason as a moderator reads it in the workspace: scores as "toxicity 0.83 >=
        0.5", counts as "2 links (held from 2)"."""
        fired = self.op == ">="
        limit = "held from" if fired else "under"
        if self.rule == "links" and isinstance(self.value, int):
            noun = "link" if self.value == 1 else "links"
            return f"{self.value} {noun} ({limit} {self.threshold})"
        if self.rule == "copies" and isinstance(self.value, int):
            where = f" in {self.within}" if self.within else ""
            return f"{self.value} copies of this text{where} ({limit} {self.threshold})"
        if self.rule == "repetition" and isinstance(self.value, float):
            return f"{self.value:.0%} of its words repeat a phrase ({limit} {self.threshold:.0%})"
        if self.rule == "toxicity_outside_quotes" and isinstance(self.value, float):
            return (
                f"toxicity outside quotes {self.value:.2f} < {self.threshold}: "
                "it may be reporting what someone said"
            )
        if self.rule == "premoderation":
            return "pre-moderation: every comment on this site is reviewed first"
        if self.rule in ("blocked_word", "suspect_word", "banned_author"):
            return f"{self.rule.replace('_', ' ')}: {self.value}"
        if self.rule == "trusted_author":
            return "trusted author"
        if self.rule == "new_author" and isinstance(self.value, int):
            return f"new author: {self.value} approved comments (held until {self.threshold})"
        if self.rule == "author_history" and isinstance(self.value, float):
            return (
                f"{self.value:.0%} of the author's {self.within} comments removed "
                f"(held from {self.threshold:.0%})"
            )
        if self.rule == "scoring_failed":
            return f"not scored ({self.value}): a person must decide"
        return self.text.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Verdict:
    status: CommentStatus
    reasons: list[Reason] = field(default_factory=list)
