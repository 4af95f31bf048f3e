"""Each text's sum of its words' vectors, found in a word-vector table by the words' hashes."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["find_words"]


def find_words(table_hashes: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``words`` that the sorted ``table_hashes`` holds sits in it, and which
    of ``words`` it holds (a mask): one ``searchsorted`` for the whole batch."""
    at = np.minimum(np.searchsorted(table_hashes, words), table_hashes.shape[0] - 1)
    known = table_hashes[at] == words
    return at[known], known


def _vector_sums(
    word_doc: np.ndarray,
    words: np.ndarray,
    n_docs: int,
    table: tuple[Any, Any, Any],
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Per text, the sum of its words' vectors (words without one add nothing).

    ``table`` is (sorted word hashes, each word's vector row, vectors): one ``searchsorted``
    finds the words, and a (texts x vectors) count matrix times the vectors adds them up,
    with no Python loop over words. ``word_doc`` is in text order, so the count matrix is
    CSR as it stands (scipy's conversion from coordinates was most of one comment's cost; a
    row may name a vector twice, which the product adds like a count of 2). ``weights``, one
    per word, weigh each word's vector (None: 1 each)."""
    hashes, rows, vectors = table
    if not words.size or not hashes.size:
        return np.zeros((n_docs, vectors.shape[1]), dtype=np.float32)
    at, known = find_words(hashes, words)
    indptr = np.searchsorted(word_doc[known], np.arange(n_docs + 1))
    data = np.ones(indptr[-1], dtype=np.float32) if weights is None else weights[known]
    counts = sp.csr_matrix(
        (data.astype(np.float32, copy=False), rows[at], indptr),
        shape=(n_docs, vectors.shape[0]),
        copy=False,
    )
    return np.asarray(counts @ vectors, dtype=np.float32)


def _unit_rows(sums: np.ndarray, scale: float) -> np.ndarray:
    """Each row scaled to length ``scale`` (a text with no known word stays all zero): the
    direction of a text's meaning, whatever its length."""
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.divide(sums * scale, norms, out=np.zeros_like(sums), where=norms > 0)
