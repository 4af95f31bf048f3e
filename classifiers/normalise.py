"""Text normalisation that undoes common obfuscation before n-gram extraction."""
# ruff: noqa: RUF001, RUF003  (look-alike characters are the point of this file)

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalise_text", "normalise_with_offsets", "normalise_with_spans"]

# Invisible characters used to split words so that "id\u200biot" escapes a word filter.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
        "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u206a\u206b\u206c"
        "\u206d\u206e\u206f\u3164\ufeff\uffa0",
    ),
    None,
)

# Cyrillic/Greek letters that render like Latin ones; NFKC does not fold these, so a
# Cyrillic "а" in "idiоt" would otherwise produce unseen n-grams.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ɡ": "g", "ո": "n", "ս": "u", "ɑ": "a", "α": "a", "β": "b",
        "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x", "ω": "w", "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss",
    }
)  # fmt: skip

# Leetspeak substitutions, applied only inside tokens that also contain letters so that
# plain numbers (prices, phone numbers, years) survive for the spam features.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "l", "+": "t", "€": "e"})  # fmt: skip
# "!" and "|" only count as letters between word characters ("sh!t"), not at a word end.
_TOKEN = re.compile(r"[\w@$€+]+(?:[!|]+[\w@$€+]+)*")
_HAS_LEET = re.compile(r"[013457@$!|+€]")
# Tokens that are ordinary alphanumerics rather than leetspeak: "covid19", "mp3", "1st",
# "10am", "4k".
_NOT_LEET = re.compile(r"[a-z]+\d+|\d+(?:st|nd|rd|th|s|am|pm|k|m|km|kg|mb|gb|px|x)|[\d$€+]+")
# Three or more single letters split by separators: "i d i o t", "f.u.c.k", "s-h-i-t".
_SPACED = re.compile(r"(?<![^\W\d_])(?:[^\W\d_][ .\-_*]{1,2}){2,}[^\W\d_](?![^\W\d_])")
_SEPARATORS = re.compile(r"[ .\-_*]")
# Letters repeated three or more times are squeezed to one ("stuuupid" -> "stupid"); "w" is
# exempt so that "www" in links survives. Repeated punctuation keeps two ("!!!!" -> "!!").
_REPEATED_LETTER = re.compile(r"([^\W\dw_])\1{2,}")
_REPEATED_PUNCT = re.compile(r"([^\w\s])\1{2,}")
# Cheap tests that a text may hold what ``_SPACED`` or the two patterns above look for; most
# comments hold neither, and those patterns test a Unicode class at every character (half of
# normalising took them). Any spaced run has a lone letter between separators followed by
# another letter that ends it; any repeat is some character three times in a row.
_MAY_BE_SPACED = re.compile(r"[ .\-_*][^\W\d_][ .\-_*]{1,2}[^\W\d_](?![^\W\d_])")
_THRICE = re.compile(r"(.)\1\1", re.DOTALL)


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _deleet(match: re.Match[str]) -> str:
    token = match.group(0)
    # Most words are plain letters; str.isalpha is far cheaper than the regex checks below.
    if token.isalpha() or not _HAS_LEET.search(token) or _NOT_LEET.fullmatch(token):
        return token
    if not any(ch.isalpha() for ch in token):
        return token
    return token.translate(_LEET)


# A run of characters that tokens are made of (a token's inner "!" and "|" included), and
# one such character.
_RUN_CHAR = re.compile(r"[\w@$€+!|]")
_RUN_REST = re.compile(r"[\w@$€+!|]*")


def _deleet_text(text: str) -> str:
    """``_TOKEN.sub(_deleet, text)``, visiting only the runs of token characters that hold a
    character leetspeak may stand for.

    Calling ``_deleet`` on each of a comment's ~50 tokens was two thirds of normalising, and
    only tokens with such a character can change. A run is maximal and no token crosses its
    edges, so substituting run by run is the same as substituting the whole text."""
    out: list[str] = []
    last = 0
    for hit in _HAS_LEET.finditer(text):
        at = hit.start()
        if at < last:  # in the run just done
            continue
        start = at
        while start > last and _RUN_CHAR.match(text, start - 1):
            start -= 1
        rest = _RUN_REST.match(text, at)  # always matches: "*" takes an empty run too
        end = rest.end() if rest is not None else at
        out += (text[last:start], _TOKEN.sub(_deleet, text[start:end]))
        last = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _join_spaced(match: re.Match[str]) -> str:
    return _SEPARATORS.sub("", match.group(0))


# Both pipelines normalise the same comment body; the cache lets the second one reuse the
# first one's work within a scoring batch. Bounded so memory stays small.
@lru_cache(maxsize=8192)
def normalise_text(text: str) -> str:
    """Return a lower-cased, de-obfuscated form of ``text`` for n-gram features."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).casefold()
        text = text.translate(_CONFUSABLES)
        if not text.isascii():
            text = _strip_marks(text)
    else:
        text = text.lower()
    text = _deleet_text(text)
    if _MAY_BE_SPACED.search(text):
        text = _SPACED.sub(_join_spaced, text)
    if _THRICE.search(text):
        text = _REPEATED_LETTER.sub(r"\1", text)
        text = _REPEATED_PUNCT.sub(r"\1\1", text)
    return " ".join(text.split())


# Offset tracking for explanations. Each step below redoes one step of ``normalise_text`` on a
# string whose characters carry the [start, end) range of the original text they came from,
# so that a span of the normalised text can be shown on the comment the moderator sees.
# ``normalise_with_spans(text)[0] == normalise_text(text)`` is a tested invariant.

_Tracked = tuple[str, list[int], list[int]]


def _fold_chars(text: str) -> str:
    """The non-ASCII branch of ``normalise_text`` (marks always stripped: a no-op on ASCII)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_CONFUSABLES)
    return _strip_marks(text) if not text.isascii() else text


def _fold_tracked(text: str, starts: list[int], ends: list[int]) -> _Tracked:
    """``_fold_chars`` with offsets: fold small groups of characters one at a time.

    NFKC composes across characters ("e" + combining acute, Hangul jamo), so a character
    joins the group before it whenever folding them together differs from folding them
    apart. ASCII characters never compose with what precedes them and start a new group.
    """
    groups: list[tuple[int, int]] = []  # [first, last) indices into text
    folded: list[str] = []
    for i, ch in enumerate(text):
        if groups and not ch.isascii():
            first = groups[-1][0]
            joined = _fold_chars(text[first : i + 1])
            alone = _fold_chars(ch)
            # A combining mark that folds to nothing joins its base letter, so the letter's
            # range covers it.
            if joined != folded[-1] + alone or not alone:
                groups[-1] = (first, i + 1)
                folded[-1] = joined
                continue
        groups.append((i, i + 1))
        folded.append(_fold_chars(ch))
    out_chars: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    for (first, last), piece in zip(groups, folded, strict=True):
        if len(piece) == last - first:
            out_chars.append(piece)
            out_starts += starts[first:last]
            out_ends += ends[first:last]
        else:
            # A ligature that expands or a sequence that composes: every output character
            # stands for the whole group.
            out_chars.append(piece)
            out_starts += [starts[first]] * len(piece)
            out_ends += [ends[last - 1]] * len(piece)
    result = "".join(out_chars)
    expected = _fold_chars(text)
    if result != expected:
        return _realign(expected, result, out_starts, out_ends)
    return result, out_starts, out_ends


def _realign(expected: str, result: str, starts: list[int], ends: list[int]) -> _Tracked:
    """Give ``expected`` the offsets of ``result`` where the two agree at either end; each
    character of the differing middle stands for the whole differing middle.

    Only reached if folding group by group ever differs from folding the whole string, so
    that the output stays exactly ``normalise_text``'s even then.
    """
    shortest = min(len(expected), len(result))
    head = 0
    while head < shortest and expected[head] == result[head]:
        head += 1
    tail = 0
    while tail < shortest - head and expected[-1 - tail] == result[-1 - tail]:
        tail += 1
    old_last = len(result) - tail  # result[head:old_last] is the differing middle
    if old_last > head:
        lo, hi = starts[head], ends[old_last - 1]
    elif head > 0:
        lo, hi = starts[head - 1], ends[head - 1]
    elif starts:
        lo, hi = starts[0], ends[0]
    else:
        lo, hi = 0, 0
    middle = len(expected) - head - tail
    return (
        expected,
        starts[:head] + [lo] * middle + starts[old_last:],
        ends[:head] + [hi] * middle + ends[old_last:],
    )


def _drop(
    text: str, starts: list[int], ends: list[int], spans: list[tuple[int, int, int]]
) -> _Tracked:
    """Keep ``text[:keep]`` of each (start, keep, end) match; the last kept character's range
    grows over the dropped ones, so a span ending there still covers them."""
    if not spans:
        return text, starts, ends
    keep = [True] * len(text)
    new_ends = list(ends)
    for start, kept, end in spans:
        for i in range(start + kept, end):
            keep[i] = False
        new_ends[start + kept - 1] = ends[end - 1]
    return (
        "".join(ch for ch, k in zip(text, keep, strict=True) if k),
        [s for s, k in zip(starts, keep, strict=True) if k],
        [e for e, k in zip(new_ends, keep, strict=True) if k],
    )


def _join_spaced_tracked(text: str, starts: list[int], ends: list[int]) -> _Tracked:
    keep = [True] * len(text)
    for match in _SPACED.finditer(text):
        for i in range(match.start(), match.end()):
            if _SEPARATORS.match(text[i]):
                keep[i] = False
    if all(keep):
        return text, starts, ends
    return (
        "".join(ch for ch, k in zip(text, keep, strict=True) if k),
        [s for s, k in zip(starts, keep, strict=True) if k],
        [e for e, k in zip(ends, keep, strict=True) if k],
    )


def normalise_with_spans(text: str) -> tuple[str, list[int], list[int]]:
    """``normalise_text(text)`` plus, per output character, the [start, end) range of
    ``text`` it stands for (squeezed repeats and folded sequences cover all their source)."""
    starts = list(range(len(text)))
    ends = list(range(1, len(text) + 1))
    if not text.isascii():
        visible = [i for i, ch in enumerate(text) if ord(ch) not in _INVISIBLE]
        stripped = "".join(text[i] for i in visible)
        text, starts, ends = _fold_tracked(stripped, visible, [i + 1 for i in visible])
    else:
        text = text.lower()
    # Leetspeak replaces one character by one, so offsets are unchanged.
    text = _TOKEN.sub(_deleet, text)
    text, starts, ends = _join_spaced_tracked(text, starts, ends)
    text, starts, ends = _drop(
        text, starts, ends, [(m.start(), 1, m.end()) for m in _REPEATED_LETTER.finditer(text)]
    )
    text, starts, ends = _drop(
        text, starts, ends, [(m.start(), 2, m.end()) for m in _REPEATED_PUNCT.finditer(text)]
    )
    # " ".join(text.split()): words keep their offsets; each gap becomes one space that
    # stands for the gap's first whitespace character.
    out: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    gap = -1
    for i, ch in enumerate(text):
        if ch.isspace():
            if gap < 0:
                gap = i
            continue
        if gap >= 0 and out:
            out.append(" ")
            out_starts.append(starts[gap])
            out_ends.append(ends[gap])
        gap = -1
        out.append(ch)
        out_starts.append(starts[i])
        out_ends.append(ends[i])
    return "".join(out), out_starts, out_ends


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """``normalise_text(text)`` and, for each of its characters, the index in ``text`` it
    came from."""
    normalised, starts, _ends = normalise_with_spans(text)
    return normalised, starts
