"""Word lists that admins keep: blocked terms (the comment is rejected), suspect terms (held
for a moderator), and exceptions (words a wildcard must not catch).

Matching is whole-word: a blocked "cialis" does not catch "specialist", and a wildcard
("*cialis*") catches it only where no exception ("specialist") names the word. The worker
matches on the comment as written (lower-cased) and on its de-obfuscated form (the same
normalisation the classifiers use: "c1al1s", "c i a l i s", look-alike letters), which it
passes in; this module stays free of the classifiers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from moderation.domain.schemas import Line, Text

MAX_TERM = 100
_TERM = re.compile(r"^[\w*' -]+$")


class WordKind(StrEnum):
    BLOCKED = "blocked"
    SUSPECT = "suspect"
    EXCEPTION = "exception"


@dataclass(frozen=True, slots=True)
class ListedTerm:
    """A term on one of the word lists, as the policy reads it (storage's `WordRule` is the
    row a moderator added, with its note and author)."""

    kind: WordKind
    term: str


def clean_term(term: str) -> str | None:
    """The term as stored (lower-case, single spaces), or None if it cannot be a term:
    letters, digits, spaces, apostrophes, hyphens and `*` (any letters) only."""
    term = " ".join(term.casefold().split())
    if not term or len(term) > MAX_TERM or not _TERM.match(term) or not term.strip("*"):
        return None
    return term


# Three or more single characters (letters or digits) each followed by one space or dot.
_SPACED_OUT = re.compile(r"(?<!\S)(?:\w[ .]){2,}\w(?=[\s.,;:!?]|$)")


def _join(match: re.Match[str]) -> str:
    return re.sub(r"[ .]", "", match.group(0))


def _pattern(term: str) -> str:
    parts = (re.escape(piece) for piece in term.split("*"))
    # `*` stands for any run of word characters: "spam*" catches "spammer", never "spam offer".
    body = r"\w*".join(parts).replace(r"\ ", r"\s+")
    return rf"(?<!\w){body}(?!\w)"


@dataclass(frozen=True, slots=True)
class WordLists:
    """Compiled once per set of rules; a worker reuses it for every comment of a batch."""

    blocked: re.Pattern[str] | None
    suspect: re.Pattern[str] | None
    exceptions: frozenset[str]

    @classmethod
    def compile(cls, listed: Iterable[ListedTerm]) -> WordLists:
        by_kind: dict[WordKind, list[str]] = {kind: [] for kind in WordKind}
        for entry in listed:
            by_kind[entry.kind].append(entry.term)

        def union(terms: Sequence[str]) -> re.Pattern[str] | None:
            if not terms:
                return None
            # Longest first, so "buy now" is reported rather than a shorter term inside it.
            ordered = sorted(set(terms), key=len, reverse=True)
            return re.compile("|".join(f"(?:{_pattern(t)})" for t in ordered))

        return cls(
            union(by_kind[WordKind.BLOCKED]),
            union(by_kind[WordKind.SUSPECT]),
            frozenset(by_kind[WordKind.EXCEPTION]),
        )

    @property
    def empty(self) -> bool:
        return self.blocked is None and self.suspect is None

    def _hits(self, pattern: re.Pattern[str] | None, texts: Sequence[str]) -> list[str]:
        if pattern is None:
            return []
        found: dict[str, None] = {}
        for text in texts:
            for match in pattern.finditer(text):
                word = " ".join(match.group(0).split())
                if word not in self.exceptions:
                    found[word] = None
        return list(found)

    def match(self, body: str, normalise: Callable[[str], str] | None = None) -> WordHits:
        """The blocked and suspect words in a comment, as they appear (de-obfuscated).

        `normalise` is the classifiers' de-obfuscation; it is also applied once more after
        single characters spaced apart are joined, since "c 1 a l 1 s" mixes two disguises.
        """
        texts = [body.casefold()]
        if normalise is not None:
            texts += [normalise(body), normalise(_SPACED_OUT.sub(_join, body))]
        unique = list(dict.fromkeys(texts))
        return WordHits(self._hits(self.blocked, unique), self._hits(self.suspect, unique))


@dataclass(frozen=True, slots=True)
class WordHits:
    blocked: list[str]
    suspect: list[str]


# Managing the lists (admins).


class WordRuleView(BaseModel):
    id: int
    kind: WordKind
    term: str
    note: str
    created_by: str
    created_at: datetime


class WordRuleRequest(BaseModel):
    kind: WordKind
    term: Line = Field(min_length=1, max_length=MAX_TERM)
    # Text: control characters (NUL, which PostgreSQL cannot store) are refused, as in comments.
    note: Text = Field(default="", max_length=500)
