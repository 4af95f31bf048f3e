"""Word vectors: what a word means, for the words no training set taught the models.

Hashed n-grams only know words seen in training, with the sense those sets gave them. A
comment calling someone an "imbecile" or a "nincompoop" scores clean if no labelled row said
so; its word vector sits near "idiot" and "moron". The featurizer adds each text's mean word
vector (``CommentFeaturizer(vectors=...)``), and the linear heads learn which directions of
meaning are abusive.

The table is ``lexicons/word_vectors.npz``, reduced by ``scripts/derive_word_vectors.py``
from Explosion's English vectors (OSCAR 2109 + Wikipedia + OpenSubtitles + WMT News Crawl,
CC0): 266,674 lowercase words pointing at 20,000 vectors of 300 dimensions. Training
projects them on their own leading principal components (``vector_table``); the model stores
what it needs (hashes, rows, vectors), so this file is read only when training.

Words that name a group (``lexicons/identity_terms.txt``) get no vector: in web text a group
word's neighbours include what is said of the group, and a neutral mention would borrow it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from classifiers.features import code_points, word_hashes
from classifiers.normalise import normalise_text

__all__ = [
    "VECTORS_FILE",
    "VectorTable",
    "hash_words",
    "identity_terms",
    "read_vectors",
    "vector_table",
]

LEXICONS = Path(__file__).resolve().parent / "lexicons"
VECTORS_FILE = LEXICONS / "word_vectors.npz"
IDENTITY_TERMS_FILE = LEXICONS / "identity_terms.txt"


class VectorTable(NamedTuple):
    """What the featurizer takes: sorted word hashes, each word's row, and the rows."""

    words: np.ndarray  # uint64, sorted, distinct: word_hashes of each word
    rows: np.ndarray  # int32: the row of ``vectors`` each word points at
    vectors: np.ndarray  # float32, one row per distinct vector in use


def read_vectors(path: Path = VECTORS_FILE) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The words, the vector row of each and the vectors (float32) of ``path``."""
    with np.load(path) as data:
        words = data["words"].tobytes().decode("utf-8").split("\n")
        return words, data["rows"].astype(np.int32), data["vectors"].astype(np.float32)


def hash_words(words: list[str]) -> np.ndarray:
    """Each word's hash as the featurizer hashes a word of a text (``features.word_hashes``).

    A word is hashed alone, between spaces, so the hash is the one it has inside any text.
    A string the featurizer would split into several words, or none, gets 0 (never found)."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    codes = code_points("".join(f" {w} \x00" for w in words))
    starts, ends, hashes = word_hashes(codes)
    lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    # Each word sits between a space and " \x00": its first character is one past the pad.
    first = np.concatenate(([0], np.cumsum(lengths + 3)[:-1])) + 1
    owner = np.searchsorted(first, starts, side="right") - 1
    per_word = np.bincount(owner, minlength=len(words))
    whole = (starts == first[owner]) & (ends == first[owner] + lengths[owner])
    whole &= per_word[owner] == 1
    found = np.zeros(len(words), dtype=np.uint64)
    found[owner[whole]] = hashes[whole]
    return found


@lru_cache(maxsize=1)
def identity_terms() -> frozenset[str]:
    """The words of ``lexicons/identity_terms.txt`` with their plurals."""
    words = {
        line.strip()
        for line in IDENTITY_TERMS_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    return frozenset(words | {w + "s" for w in words} | {w + "es" for w in words})


def vector_table(dimensions: int, path: Path = VECTORS_FILE) -> VectorTable:
    """The table a model carries: words as hashes, their rows, the vectors in ``dimensions``.

    Dropped: identity terms, and words the normaliser would change (the featurizer looks up
    normalised text, so "h3llo" could never be found and "l33t" would shadow "leet"). The
    vectors are centred and projected on their ``dimensions`` leading principal components,
    so a model keeps most of their variance in fewer columns.
    """
    words, rows, vectors = read_vectors(path)
    blocked = identity_terms()
    keep = [i for i, w in enumerate(words) if w not in blocked and normalise_text(w) == w]
    hashes = hash_words([words[i] for i in keep])
    rows = rows[keep]
    found = hashes != 0
    hashes, rows = hashes[found], rows[found]
    order = np.argsort(hashes, kind="stable")
    hashes, rows = hashes[order], rows[order]
    distinct = np.ones(hashes.shape[0], dtype=bool)
    distinct[1:] = hashes[1:] != hashes[:-1]
    hashes, rows = hashes[distinct], rows[distinct]
    used, rows = np.unique(rows, return_inverse=True)
    table = vectors[used]
    table = table - table.mean(axis=0)
    _, _, components = np.linalg.svd(table, full_matrices=False)
    projected = table @ components[:dimensions].T
    return VectorTable(hashes, rows.astype(np.int32), projected.astype(np.float32))
