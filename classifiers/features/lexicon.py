"""The count of lexicon words and phrases in normalised text (the featurizer's lexicon column)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

_LEX_WORD = re.compile(r"[^\W_]+")


_LexiconSets = tuple[frozenset[str], frozenset[str], frozenset[str], int]


@lru_cache(maxsize=8)
def _lexicon_sets(lexicon: tuple[str, ...]) -> _LexiconSets:
    words = frozenset(t for t in lexicon if " " not in t)
    phrases = frozenset(t for t in lexicon if " " in t)
    firsts = frozenset(t.split()[0] for t in phrases)
    longest = max((len(t.split()) for t in phrases), default=1)
    return words, phrases, firsts, longest


def _lexicon_hit_counts(texts: Sequence[str], sets: _LexiconSets) -> np.ndarray:
    """The number of lexicon words and phrases in each normalised text (one column)."""
    words, phrases, firsts, longest = sets
    out = np.zeros((len(texts), 1), dtype=np.float32)
    for i, text in enumerate(texts):
        tokens = _LEX_WORD.findall(text)
        # Word by word in C; the phrases only where one of them can start.
        hits = sum(map(words.__contains__, tokens))
        if not firsts.isdisjoint(tokens):
            for j, token in enumerate(tokens):
                if token in firsts:
                    for n in range(2, longest + 1):
                        if " ".join(tokens[j : j + n]) in phrases:
                            hits += 1
        out[i, 0] = hits
    return out
