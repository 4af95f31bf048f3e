"""Quoted speech: where a comment quotes someone, so the rules can judge the author's own words
apart from the words they quote."""

from __future__ import annotations

import unicodedata

# Quoted speech. News comments often report what someone else said ("the MP called them
# 'vermin'", a court report quoting a threat); the words inside the quotes are not the author's,
# so a comment that is only toxic inside them is held for a moderator rather than rejected.
# A passage is the text between a pair of quotation marks. The directional marks (curly double
# quotes, German and Polish low quotes, guillemets, CJK corner brackets) say which way they
# face, so an opener simply pairs with its closer. The straight marks (" and ') face both ways,
# and ' and the curly single quotes are also apostrophes ("don't", "the witness' car", "the
# drivers' union", "don\u2019t"), so these "guarded" marks only count where a typographer
# would put a quote: an opener at the start of the text or after whitespace or opening
# punctuation, followed by a non-space; a closer after a non-space, followed by the end,
# whitespace or punctuation (not by a letter or digit, as in "don't"). Erring this way is safe:
# a quote missed means the comment is judged whole, as before, while an apostrophe taken for a
# quote would hide the author's own words from the second look.
_QUOTE_CLOSERS: dict[str, str] = {
    '"': '"',
    "'": "'",
    "\u2018": "\u2019",  # curly single quotes (the closer doubles as the apostrophe)
    "\u201a": "\u2018\u2019",  # low single quote: closed high in German, Polish
    "\u201c": "\u201d",  # curly double quotes
    "\u201e": "\u201c\u201d",  # low double quote: closed high in German, Polish
    "\u00ab": "\u00bb",  # guillemets
    "\u2039": "\u203a",  # single guillemets
    "\u300c": "\u300d",  # CJK corner brackets
    "\u300e": "\u300f",  # CJK white corner brackets
}
_GUARDED_QUOTES = frozenset({'"', "'", "\u2018", "\u201a"})
# Single quotes do not cross a line: an apostrophe taken for an opener would otherwise pair with
# one paragraphs away. A double-quoted passage may span lines (a quoted verse, a pasted excerpt).
_ONE_LINE_QUOTES = frozenset({"'", "\u2018", "\u201a", "\u2039"})
# What may come right before a guarded opener besides whitespace: opening brackets, dashes,
# initial quotes (categories Ps, Pd, Pi) and the punctuation that introduces speech.
_OPENS_AFTER = frozenset(":,;/\"'")
# The longest passage taken as a quote. Quoted speech in a comment is a phrase or a sentence; an
# unmatched quote mark pairing with one far away would otherwise hide a long stretch of the
# author's own words from the second look at the comment.
MAX_QUOTED_CHARS = 300
# What a quoted passage, marks included, is replaced with: the sentence still reads as one
# ("the attacker yelled "…" before the assault") without the quoted words.
QUOTE_PLACEHOLDER = '"\u2026"'


def _guarded_opens(text: str, i: int) -> bool:
    if i + 1 >= len(text) or text[i + 1].isspace():
        return False
    if i == 0:
        return True
    before = text[i - 1]
    return (
        before.isspace()
        or before in _OPENS_AFTER
        or unicodedata.category(before) in ("Ps", "Pd", "Pi")
    )


def _guarded_closes(text: str, i: int) -> bool:
    if text[i - 1].isspace():
        return False
    return i + 1 == len(text) or not text[i + 1].isalnum()


def _closing(text: str, start: int) -> int | None:
    """The position of the mark that closes the quote opened at `start`, if any."""
    opener = text[start]
    closers = _QUOTE_CLOSERS[opener]
    guarded = opener in _GUARDED_QUOTES
    # The closer comes after at least one character and at most MAX_QUOTED_CHARS of them.
    for j in range(start + 2, min(len(text), start + MAX_QUOTED_CHARS + 2)):
        mark = text[j]
        if mark == "\n" and opener in _ONE_LINE_QUOTES:
            return None
        if mark in closers:
            if not guarded:
                if text[start + 1 : j].strip():
                    return j
            elif _guarded_closes(text, j):
                return j
        if guarded and mark == opener and _guarded_opens(text, j):
            # Another opener before any closer: the first mark was an apostrophe ("'90s were
            # 'great'"); the scan picks the quote up from this one.
            return None
    return None


def quoted_passages(text: str) -> list[tuple[int, int]]:
    """The (start, end) of the text inside each pair of quotation marks, marks excluded, in
    order and not overlapping: `text[start:end]` is the quoted passage, `text[start - 1]` and
    `text[end]` its marks. A quote inside a quote belongs to the outer passage; a mark without
    its closer within MAX_QUOTED_CHARS (or, for single quotes, on the same line) opens nothing.
    Linear in the length of the text times MAX_QUOTED_CHARS at most."""
    passages: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        mark = text[i]
        if mark in _QUOTE_CLOSERS and (mark not in _GUARDED_QUOTES or _guarded_opens(text, i)):
            end = _closing(text, i)
            if end is not None:
                passages.append((i + 1, end))
                i = end + 1
                continue
        i += 1
    return passages


def without_quotes(text: str) -> str:
    """The text with every quoted passage, marks included, replaced by QUOTE_PLACEHOLDER: the
    author's own words, for a model to score apart from the words they quote."""
    kept: list[str] = []
    position = 0
    for start, end in quoted_passages(text):
        kept += [text[position : start - 1], QUOTE_PLACEHOLDER]
        position = end + 1
    kept.append(text[position:])
    return "".join(kept)
