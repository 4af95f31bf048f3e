"""Policy v0: scores and rules in, a status and its reasons out. Pure functions, no I/O."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from moderation.domain.statuses import CommentStatus

# What counts as a link in a comment body: an explicit scheme or a www. host. Bare domains
# ("example.com") are left to the spam model, since they appear in ordinary prose too.
_LINK = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")

# A word for the repetition rule: letters or digits in any script, keeping "don't" (and with a
# typographic apostrophe, U+2019) whole. Emoji and punctuation are not words: a row of emoji is
# a reaction, not a pasted text.
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")

# The phrase length of the repetition measure. Four words, because shorter phrases repeat in
# ordinary writing ("one of the", "they are both ... they are both ..."; a chant quoted twice,
# "no more cuts, no more cuts"), while a flood repeats whatever its unit is until any 4 words
# in a row come back: one word five times, two words two and a half times, a longer text twice.
REPEATED_PHRASE_WORDS = 4

# Punctuation (every Unicode P* character of the basic plane) becomes a space before two bodies
# are compared, so "FIRST!!!" and "first" are the same text. str.translate with a table built
# once keeps this at a few microseconds a comment: it runs on the intake path.
_PUNCTUATION_TO_SPACE = {
    cp: " " for cp in range(0x10000) if unicodedata.category(chr(cp)).startswith("P")
}


def count_links(text: str) -> int:
    return len(_LINK.findall(text))


def words(text: str) -> list[str]:
    """The words of a comment, case-folded, in order."""
    return _WORD.findall(text.casefold())


def repetition(tokens: Sequence[str]) -> float:
    """The share of words (0..1) that belong to a phrase the comment contains more than once.

    A phrase is any run of REPEATED_PHRASE_WORDS words. A text pasted twice or a word chanted
    twenty times scores 1.0 (all of it is repeated material); prose that echoes a phrase once
    ("I don't give a damn about X and I don't give a damn about Y") scores what that echo
    covers. Chosen over a compression ratio because it is explainable to a moderator ("92% of
    the words are repeated phrases") and over the share of distinct words because that falls
    with the length of any prose. Linear in the number of words.
    """
    n = REPEATED_PHRASE_WORDS
    if len(tokens) < n:
        return 0.0
    phrases = list(zip(*(tokens[i:] for i in range(n)), strict=False))
    seen = Counter(phrases)
    covered = 0
    covered_until = 0  # words before this position are already counted
    for start, phrase in enumerate(phrases):
        if seen[phrase] > 1:
            end = start + n
            covered += end - max(start, covered_until)
            covered_until = end
    return covered / len(tokens)


def normalised_body(text: str) -> str:
    """The text two comments must share to be copies: case-folded, punctuation dropped and
    whitespace collapsed, so re-posting with other capitals or exclamation marks still counts."""
    return " ".join(text.casefold().translate(_PUNCTUATION_TO_SPACE).split())


def body_fingerprint(text: str) -> int | None:
    """A signed 64-bit fingerprint of the normalised body (the first 8 bytes of its SHA-256),
    stored and indexed with each comment; None for a body of nothing but punctuation."""
    normalised = normalised_body(text)
    if not normalised:
        return None
    digest = hashlib.sha256(normalised.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


@dataclass(frozen=True, slots=True)
class Thresholds:
    spam_reject: float = 0.9
    toxicity_reject: float = 0.9
    spam_hold: float = 0.5
    toxicity_hold: float = 0.5
    hold_links: int = 2
    # Repeated text inside one comment: measured only from this many words on, so "No no no."
    # or "Very, very good" are never judged; at or above `repetition_spam` of the words in
    # repeated phrases the comment is spam, at or above `repetition_hold` a moderator looks.
    repetition_min_words: int = 8
    repetition_hold: float = 0.7
    repetition_spam: float = 0.9
    # The same text posted again and again (any author, any article) within the window: the
    # copy that makes `flood_hold_copies` is held, from `flood_spam_copies` on it is spam.
    # Texts under `flood_min_words` words ("Great article, thank you!") are left alone: many
    # readers write those independently.
    flood_window_seconds: float = 600.0
    flood_hold_copies: int = 3
    flood_spam_copies: int = 10
    flood_min_words: int = 6
    # Toxicity attributes that hold a comment on their own: a threat or an attack on a group
    # is often worded politely, so the overall toxicity score stays low. The attribute models
    # read "probability under a 50/50 prior", and these attributes are rare, so only a high
    # score is evidence enough to ask a human.
    threat_hold: float = 0.9
    identity_attack_hold: float = 0.95

    @property
    def flood_window(self) -> str:
        return _duration(self.flood_window_seconds)


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


@dataclass(frozen=True, slots=True)
class Verdict:
    status: CommentStatus
    reasons: list[Reason] = field(default_factory=list)


def decide(
    spam: float,
    toxicity: float,
    body: str,
    thresholds: Thresholds,
    copies: int | None = None,
    attributes: Mapping[str, float] | None = None,
) -> Verdict:
    """Spam before abuse before doubt: the first matching outcome wins, every fired rule is kept.

    `copies` is how many comments with this text (this one included, earlier ones within the
    flood window) were submitted; None where nobody counted (scoring a file, no database).
    `attributes` are the toxicity attribute scores (threat, identity_attack, ...); a model
    trained before they existed gives none, and their rules are then not applied.
    """
    attributes = attributes or {}
    held_by_attribute = [
        (name, attributes[name], limit)
        for name, limit in (
            ("threat", thresholds.threat_hold),
            ("identity_attack", thresholds.identity_attack_hold),
        )
        if name in attributes
    ]
    links = count_links(body)
    tokens = words(body)
    # None: the comment is too short for the rule to mean anything, so it is not applied.
    repeated = repetition(tokens) if len(tokens) >= thresholds.repetition_min_words else None
    flood = copies if copies is not None and len(tokens) >= thresholds.flood_min_words else None
    window = thresholds.flood_window

    reasons: list[Reason] = []
    if spam >= thresholds.spam_reject:
        reasons.append(Reason("spam", spam, thresholds.spam_reject))
    if repeated is not None and repeated >= thresholds.repetition_spam:
        reasons.append(Reason("repetition", repeated, thresholds.repetition_spam))
    if flood is not None and flood >= thresholds.flood_spam_copies:
        reasons.append(Reason("copies", flood, thresholds.flood_spam_copies, within=window))
    is_spam = bool(reasons)
    if toxicity >= thresholds.toxicity_reject:
        reasons.append(Reason("toxicity", toxicity, thresholds.toxicity_reject))
    if is_spam:
        return Verdict(CommentStatus.SPAM, reasons)
    if toxicity >= thresholds.toxicity_reject:
        return Verdict(CommentStatus.REJECTED, reasons)

    if spam >= thresholds.spam_hold:
        reasons.append(Reason("spam", spam, thresholds.spam_hold))
    if toxicity >= thresholds.toxicity_hold:
        reasons.append(Reason("toxicity", toxicity, thresholds.toxicity_hold))
    if links >= thresholds.hold_links:
        reasons.append(Reason("links", links, thresholds.hold_links))
    if repeated is not None and repeated >= thresholds.repetition_hold:
        reasons.append(Reason("repetition", repeated, thresholds.repetition_hold))
    if flood is not None and flood >= thresholds.flood_hold_copies:
        reasons.append(Reason("copies", flood, thresholds.flood_hold_copies, within=window))
    for name, value, limit in held_by_attribute:
        if value >= limit:
            reasons.append(Reason(name, value, limit))
    if reasons:
        return Verdict(CommentStatus.PENDING, reasons)
    # An approval is explained too: every check it passed, with its value. A rule the comment
    # was too short for (or a count nobody took) was not a check, so it is not listed.
    passed = [
        Reason("spam", spam, thresholds.spam_hold, "<"),
        Reason("toxicity", toxicity, thresholds.toxicity_hold, "<"),
        Reason("links", links, thresholds.hold_links, "<"),
    ]
    if repeated is not None:
        passed.append(Reason("repetition", repeated, thresholds.repetition_hold, "<"))
    if flood is not None:
        passed.append(Reason("copies", flood, thresholds.flood_hold_copies, "<", within=window))
    passed += [Reason(name, value, limit, "<") for name, value, limit in held_by_attribute]
    return Verdict(CommentStatus.APPROVED, passed)


def decide_unscored(error: str) -> Verdict:
    """When no model could score the comment we fail closed: a human decides, never `approved`."""
    return Verdict(CommentStatus.PENDING, [Reason("scoring_failed", error, None, None)])
