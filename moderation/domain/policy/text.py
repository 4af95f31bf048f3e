"""What the rules measure in a comment's text: its links, its words and how much of them repeat,
and the normalised body (and its fingerprint) that copies of one text share."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

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
