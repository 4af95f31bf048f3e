"""Hashed word and char_wb n-grams of normalised text, vectorised over a whole batch: the
hashing, the term weights (sublinear tf, idf, L2 norm) and the ``NgramHasher`` estimator."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from classifiers.features.cells import as_cells
from classifiers.normalise import normalise_text

__all__ = [
    "NgramHasher",
    "char_ngram_windows",
    "code_points",
    "inverse_document_frequency",
    "reweigh_ngrams",
    "word_hashes",
]

_MASK64 = (1 << 64) - 1
_CHAR_BASE = np.uint64(0x100000001B3)  # odd, so polynomial hashes spread over 64 bits
_WORD_BASE = np.uint64(0x9E3779B97F4A7C15)
_WORD_BASE_INV = np.uint64(pow(0x9E3779B97F4A7C15, -1, 1 << 64))
_BIGRAM_MIX = np.uint64(0xC2B2AE3D27D4EB4F)
_FINAL_MIX = np.uint64(0xFF51AFD7ED558CCD)


def _bucket(h: np.ndarray, salt: int, bits: int) -> np.ndarray:
    # Salting separates n-gram orders and word/char kinds; the multiply-shift mix takes the
    # well-mixed high bits so a power-of-two table gets an even spread.
    h = h + np.uint64(salt)
    h ^= h >> np.uint64(33)
    h *= _FINAL_MIX
    h ^= h >> np.uint64(29)
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def word_hashes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end and polynomial hash of every word in the padded code array.

    Words are runs of [a-z0-9] and non-ASCII letters (punctuation separates). Shared with
    classifiers.explain, which must find exactly the words the featurizer hashed.
    """
    is_word = ((codes >= 97) & (codes <= 122)) | ((codes >= 48) & (codes <= 57)) | (codes >= 128)
    edge = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    w_start = np.flatnonzero(edge == 1)
    w_end = np.flatnonzero(edge == -1)
    if not w_start.size:
        return w_start, w_end, np.zeros(0, dtype=np.uint64)
    # Position-weighted prefix sums give each word's polynomial hash without a loop:
    # sum_j c_j B^(j-start) = (P[end] - P[start]) * B^-start  (all mod 2^64).
    total = codes.shape[0]
    powers = np.cumprod(np.full(total, _WORD_BASE, dtype=np.uint64))
    powers = np.concatenate(([np.uint64(1)], powers[:-1]))
    inv_powers = np.cumprod(np.full(total, _WORD_BASE_INV, dtype=np.uint64))
    inv_powers = np.concatenate(([np.uint64(1)], inv_powers[:-1]))
    prefix = np.concatenate(([np.uint64(0)], np.cumsum(codes * powers, dtype=np.uint64)))
    return w_start, w_end, (prefix[w_end] - prefix[w_start]) * inv_powers[w_start]


def char_ngram_windows(
    codes: np.ndarray, char_ngram_range: tuple[int, int], word_bits: int, char_bits: int
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Every char_wb n-gram of padded code points: its length n, its start positions in
    ``codes`` and its feature columns.

    A window counts when it holds no NUL sentinel (so no n-gram spans two comments), no space
    except at either end (char_wb n-grams stay inside a word) and is not all padding. Shared
    by the featurizer and the explanations: a span's offsets are only right if both see the
    same windows.
    """
    total = codes.shape[0]
    is_space = np.concatenate(([0], np.cumsum((codes == 32) | (codes == 0))))
    is_nul = np.concatenate(([0], np.cumsum(codes == 0)))
    h = codes.copy()
    for n in range(1, char_ngram_range[1] + 1):
        if n > 1:
            h = h[:-1] * _CHAR_BASE + codes[n - 1 :]
        if n < char_ngram_range[0]:
            continue
        starts = np.arange(total - n + 1)
        ok = (is_nul[starts + n] - is_nul[starts]) == 0
        if n > 2:
            ok &= (is_space[starts + n - 1] - is_space[starts + 1]) == 0
        # A window that is all padding (" " or "  ") carries no information.
        ok &= ~((codes[starts] == 32) & (codes[starts + n - 1] == 32) & (n <= 2))
        yield n, starts[ok], (1 << word_bits) + _bucket(h[ok], 1000 + n, char_bits)


def code_points(text: str) -> np.ndarray:
    """The text's code points, one per character. "surrogatepass": a lone surrogate (which a
    JSON string may carry as "\\ud800") is a code point like any other here, so no text a
    caller can send makes scoring fail."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.uint64
    )


class _NgramShape(NamedTuple):
    """What hashing n-grams depends on: the word and char_wb n-gram orders and the bits of
    each kind's table (word columns first, then char columns)."""

    word_ngram_range: tuple[int, int]
    char_ngram_range: tuple[int, int]
    word_bits: int
    char_bits: int

    @property
    def width(self) -> int:
        """How many columns the n-grams are hashed into."""
        return (1 << self.word_bits) + (1 << self.char_bits)

    def check(self) -> None:
        for lo, hi in (self.word_ngram_range, self.char_ngram_range):
            if not 1 <= lo <= hi:
                raise ValueError("n-gram ranges must satisfy 1 <= low <= high")
        if not (1 <= self.word_bits <= 30 and 1 <= self.char_bits <= 30):
            raise ValueError("word_bits and char_bits must be between 1 and 30")


def _hash_texts(
    texts: Sequence[str],
    word_ngram_range: tuple[int, int],
    char_ngram_range: tuple[int, int],
    word_bits: int,
    char_bits: int,
) -> sp.csr_matrix:
    """Hash word and char_wb n-grams of already normalised texts in one vectorised pass.

    Pure-Python n-gram generation costs ~0.3 ms per comment on slow cores; hashing the
    code points of the whole batch with numpy keeps scoring well above 5,000 comments/s.
    """
    shape = _NgramShape(word_ngram_range, char_ngram_range, word_bits, char_bits)
    return _hash_texts_and_words(texts, shape)[0]


def _padded_code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of ``texts`` joined, each padded with spaces (char_wb pads words) and
    followed by a NUL sentinel so that no n-gram spans two comments, and the text each code
    point belongs to."""
    padded = [" " + t + " \x00" for t in texts]
    lengths = np.fromiter((len(p) for p in padded), dtype=np.int64, count=len(padded))
    return code_points("".join(padded)), np.repeat(np.arange(len(padded), dtype=np.int64), lengths)


def _hash_texts_and_words(
    texts: Sequence[str], shape: _NgramShape
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """``_hash_texts``, plus the text each word belongs to and the word's hash (in text
    order), which the word vectors look up: hashed once for both."""
    word_ngram_range, char_ngram_range, word_bits, char_bits = shape
    n_docs = len(texts)
    n_cols = shape.width
    no_words = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    if n_docs == 0:
        return sp.csr_matrix((0, n_cols), dtype=np.float32), *no_words
    codes, doc_of = _padded_code_points(texts)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []

    for _, starts, columns in char_ngram_windows(codes, char_ngram_range, word_bits, char_bits):
        rows.append(doc_of[starts])
        cols.append(columns)

    w_start, _, words = word_hashes(codes)
    word_doc = doc_of[w_start]
    if w_start.size:
        gram = words
        same_doc = np.ones(words.shape[0], dtype=bool)
        for n in range(1, word_ngram_range[1] + 1):
            if n > 1:
                gram = gram[:-1] * _BIGRAM_MIX + words[n - 1 :]
                same_doc = same_doc[:-1] & (word_doc[n - 1 :] == word_doc[: -(n - 1)])
            if n < word_ngram_range[0]:
                continue
            rows.append(word_doc[: gram.shape[0]][same_doc])
            cols.append(_bucket(gram[same_doc], n, word_bits))

    # Sorting one int64 key per n-gram is cheaper than scipy's COO -> CSR conversion and
    # yields sorted, duplicate-free rows with their counts directly.
    # Keys that fit in 32 bits (batches up to ~5,000 comments) sort about twice as fast.
    key_type: type[np.signedinteger[Any]] = np.int32 if n_docs * n_cols < (1 << 31) else np.int64
    key: np.ndarray[Any, np.dtype[np.signedinteger[Any]]] = np.concatenate(rows).astype(key_type)
    key *= n_cols
    key += np.concatenate(cols).astype(key_type)
    key.sort()
    if key.shape[0] == 0:
        return sp.csr_matrix((n_docs, n_cols), dtype=np.float32), word_doc, words
    first = np.empty(key.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts_at = np.flatnonzero(first)
    counts = np.diff(np.append(starts_at, key.shape[0])).astype(np.float32)
    unique = key[first]
    indptr = np.searchsorted(unique // n_cols, np.arange(n_docs + 1), side="left")
    indices = (unique % n_cols).astype(np.int32)
    matrix = sp.csr_matrix(
        (counts, indices, indptr.astype(np.int32)), shape=(n_docs, n_cols), copy=False
    )
    return matrix, word_doc, words


def _sublinear_l2(counts: sp.csr_matrix, idf: np.ndarray | None = None) -> sp.csr_matrix:
    """Replace counts by (1 + log(tf)) * idf, L2-normalised per row (in place)."""
    values = 1.0 + np.log(counts.data)
    if idf is not None:
        values *= idf[counts.indices]
    row_of = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    norms = np.sqrt(np.bincount(row_of, weights=values * values, minlength=counts.shape[0]))
    norms[norms == 0] = 1.0
    counts.data = (values / norms[row_of]).astype(np.float32)
    return counts


def inverse_document_frequency(document_frequency: np.ndarray, documents: int) -> np.ndarray:
    """scikit-learn's smoothed idf, ``log((1 + n) / (1 + df)) + 1``, as float32."""
    return (np.log((1.0 + documents) / (1.0 + document_frequency)) + 1.0).astype(np.float32)


def reweigh_ngrams(
    features: sp.csr_matrix, idf: np.ndarray, word_bits: int, char_scale: float
) -> sp.csr_matrix:
    """Features a ``CommentFeaturizer`` made without term weights, as it makes them with
    ``idf``: exact, because the L2 norm of the weighted counts does not depend on the norm
    they had before. Lets the leave-one-source-out evaluation hash the data once and weigh it
    with each round's own idf (from that round's training texts only)."""
    out = features.tocsr(copy=True)
    n_ngrams = idf.shape[0]
    data = out.data.astype(np.float64)
    row_of = np.repeat(np.arange(out.shape[0]), np.diff(out.indptr))
    ngram = out.indices < n_ngrams
    chars = ngram & (out.indices >= (1 << word_bits))
    data[chars] /= char_scale
    data[ngram] *= idf[out.indices[ngram]]
    norms = np.sqrt(np.bincount(row_of[ngram], weights=data[ngram] ** 2, minlength=out.shape[0]))
    norms[norms == 0] = 1.0
    data[ngram] /= norms[row_of[ngram]]
    data[chars] *= char_scale
    out.data = data.astype(np.float32)
    return out


def _scale_chars(features: sp.csr_matrix, word_bits: int, char_scale: float) -> sp.csr_matrix:
    """Multiply the char n-gram block by ``char_scale`` (in place).

    With an L2-penalised linear model, shrinking a block of features is the same as
    penalising its weights more strongly: char n-grams then only carry what words cannot
    (obfuscated spellings, inflections), instead of short letter sequences that are merely
    frequent in one source's style ("ho" in "hope", "bitc" in "bitcoin").
    """
    if char_scale != 1.0:
        features.data[features.indices >= (1 << word_bits)] *= np.float32(char_scale)
    return features


class _NgramTransformer(TransformerMixin, BaseEstimator):
    """What ``NgramHasher`` and ``CommentFeaturizer`` share: the n-gram parameters, hashed
    alike by both, and text input. Never saved itself: an artifact names only the subclass."""

    word_ngram_range: tuple[int, int]
    char_ngram_range: tuple[int, int]
    word_bits: int
    char_bits: int

    def _ngram_shape(self) -> _NgramShape:
        # tuple(): a caller may have set the ranges as lists; the hashing and the featurizer's
        # signature (compared for equality) take tuples.
        return _NgramShape(
            tuple(self.word_ngram_range),  # type: ignore[arg-type]
            tuple(self.char_ngram_range),  # type: ignore[arg-type]
            self.word_bits,
            self.char_bits,
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        # Output is float32 whatever the input dtype (the input is text).
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = []
        return tags


class NgramHasher(_NgramTransformer):
    """Normalise text columns, then hash word and char_wb n-grams into a fixed-width matrix.

    Stateless apart from the input width, so the artifact holds no vocabulary. Values are
    sublinear term frequencies (1 + log tf), L2-normalised per row.
    """

    # The artifact names the class by the package path (skops records it, and
    # classifiers.persistence.ALLOW_LIST trusts it): defined here, it stays
    # ``classifiers.features.NgramHasher`` for artifacts old and new.
    __module__ = "classifiers.features"

    def __init__(
        self,
        columns: tuple[int, ...] | None = None,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (3, 5),
        word_bits: int = 17,
        char_bits: int = 18,
        normalise: bool = True,
    ) -> None:
        self.columns = columns
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.word_bits = word_bits
        self.char_bits = char_bits
        self.normalise = normalise

    def fit(self, X: Any, y: Any = None) -> NgramHasher:
        X = validate_data(self, X, dtype=None, reset=True)
        cols = self._columns()
        if any(not 0 <= c < self.n_features_in_ for c in cols):
            raise ValueError(f"columns {self.columns} out of range for {self.n_features_in_}")
        shape = self._ngram_shape()
        shape.check()
        self.n_features_out_ = shape.width
        return self

    def _columns(self) -> tuple[int, ...]:
        if self.columns is None:
            return tuple(range(self.n_features_in_))
        return tuple(self.columns)

    def texts(self, X: Any) -> list[str]:
        """The (normalised) text each row contributes, for inspection and tests."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, reset=False)
        cols = self._columns()
        rows = as_cells(X)
        joined = [" ".join(row[c] for c in cols) for row in rows]
        if self.normalise:
            return [normalise_text(t) for t in joined]
        return [" ".join(t.lower().split()) for t in joined]

    def transform(self, X: Any) -> sp.csr_matrix:
        return _sublinear_l2(_hash_texts_and_words(self.texts(X), self._ngram_shape())[0])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray([f"ngram{i}" for i in range(self.n_features_out_)], dtype=object)
