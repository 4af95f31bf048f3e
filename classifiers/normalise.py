"""Text normalisation that undoes common obfuscation before n-gram extraction."""
# ruff: noqa: RUF001, RUF003  (look-alike characters are the point of this file)

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalise_text"]

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
    text = _TOKEN.sub(_deleet, text)
    text = _SPACED.sub(_join_spaced, text)
    text = _REPEATED_LETTER.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(r"\1\1", text)
    return " ".join(text.split())
