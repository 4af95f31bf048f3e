"""``CommentFeaturizer``: every feature of a comment in one float32 CSR matrix (n-grams,
lexicon, cues, word vectors, metadata), for the whole comment and for each sentence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted, validate_data

from classifiers.cues import CUE_NAMES, cue_matrix, sentence_bounds
from classifiers.features.cells import as_cells
from classifiers.features.lexicon import _lexicon_hit_counts, _lexicon_sets
from classifiers.features.metadata import _ROLES, _meta_matrix, _meta_names
from classifiers.features.ngrams import (
    _bucket,
    _hash_texts_and_words,
    _NgramTransformer,
    _padded_code_points,
    _scale_chars,
    _sublinear_l2,
    word_hashes,
)
from classifiers.features.vector_sums import _unit_rows, _vector_sums
from classifiers.normalise import normalise_text

__all__ = ["CommentFeaturizer"]


def _append_dense(left: sp.csr_matrix, dense: np.ndarray) -> sp.csr_matrix:
    """``hstack([left, dense])`` as CSR, without scipy's generic block machinery."""
    n_rows, width = dense.shape
    if width == 0:
        return left
    row_nnz = np.diff(left.indptr) + width
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(row_nnz, out=indptr[1:])
    total = int(indptr[-1])
    tail = (indptr[1:, None] - width + np.arange(width)).ravel()
    keep = np.ones(total, dtype=bool)
    keep[tail] = False
    indices = np.empty(total, dtype=np.int32)
    data = np.empty(total, dtype=np.float32)
    indices[keep] = left.indices
    data[keep] = left.data
    indices[tail] = np.tile(np.arange(left.shape[1], left.shape[1] + width, dtype=np.int32), n_rows)
    data[tail] = dense.ravel()
    return sp.csr_matrix(
        (data, indices, indptr.astype(np.int32)), shape=(n_rows, left.shape[1] + width), copy=False
    )


def _same_arrays(mine: Any, theirs: Any) -> bool:
    if mine is None or theirs is None:
        return mine is theirs
    return mine is theirs or bool(np.array_equal(mine, theirs))


def _sum_sentences(counts: sp.csr_matrix, owner: np.ndarray, n_rows: int) -> sp.csr_matrix:
    """Each row's n-gram counts: the sum of its sentences' (``owner`` is sorted, so a row's
    sentences are one run of ``counts``' rows). Their entries are joined and the repeated
    columns added up; a sparse (rows x sentences) product did the same but cleared a scratch
    array of every column (2^19) on each call, a quarter of one comment's time."""
    first = np.searchsorted(owner, np.arange(n_rows + 1))
    joined = sp.csr_matrix(
        (counts.data.copy(), counts.indices.copy(), counts.indptr[first]),
        shape=(n_rows, counts.shape[1]),
        copy=False,
    )
    joined.sum_duplicates()
    return joined


def _sum_by_owner(parts: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Rows of ``parts`` added up per comment: ``owner`` is sorted and names every comment
    (each has at least one part), so each comment's parts are one run."""
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    return np.add.reduceat(parts, starts, axis=0)


class CommentFeaturizer(_NgramTransformer):
    """All features of a comment in one float32 CSR matrix: body n-grams, then metadata.

    The first ``n_ngram_features_`` columns are exactly ``NgramHasher(columns=(text_column,))``
    (normalised text, hashed word and char_wb n-grams, sublinear tf, L2 per row). If
    ``roles`` is given, the ``CommentMetaFeatures(roles)`` columns follow (``log_length``
    capped at ``length_cap``, below). Two featurizers
    with the same n-gram parameters therefore share a column prefix, which lets the scorer
    featurise a comment once for both the spam and the toxicity head.

    ``idf``, one weight per n-gram column (``training.term_weights``: the inverse document
    frequency over the training texts), multiplies the sublinear counts before the L2 norm, as
    in TF-IDF; None weighs every n-gram alike (every model saved before 2026-12-05).

    ``vector_words`` (sorted word hashes), ``vector_rows`` and ``vectors`` are a word-vector
    table (``classifiers.word_vectors.vector_table``): the text's summed word vectors, scaled
    to length ``vector_scale``, follow the cue columns, for the whole comment and for each
    sentence alike; with ``vector_idf`` each word's vector weighs its unigram's ``idf``. None
    (every model saved before 2026-12-06) adds no columns.

    ``length_cap`` is the length (characters) from which a comment's ``log_length`` metadata
    stops growing; None (every model saved before 2026-12-06) lets it grow without end. The
    spam sources are short texts whose spam runs longer than their ham (SMS, video comments),
    so uncapped length was learnt as spam evidence and long discussion ham paid for it
    (docs/models.md, "Length cap of the spam model").

    ``transform_rows`` is the validated-elsewhere hot path used by the scorer: it takes rows
    of strings and skips scikit-learn's input checks, which cost more than the features for
    a single comment.
    """

    # The artifact names the class by the package path (skops records it, and
    # classifiers.persistence.ALLOW_LIST trusts it): defined here, it stays
    # ``classifiers.features.CommentFeaturizer`` for artifacts old and new.
    __module__ = "classifiers.features"

    def __init__(
        self,
        text_column: int = 0,
        roles: tuple[str, ...] | None = None,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (3, 5),
        word_bits: int = 17,
        char_bits: int = 18,
        char_scale: float = 1.0,
        lexicon: tuple[str, ...] = (),
        cues: bool = False,
        idf: np.ndarray | None = None,
        vector_words: np.ndarray | None = None,
        vector_rows: np.ndarray | None = None,
        vectors: np.ndarray | None = None,
        vector_scale: float = 1.0,
        vector_idf: bool = False,
        length_cap: int | None = None,
    ) -> None:
        self.text_column = text_column
        self.roles = roles
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.word_bits = word_bits
        self.char_bits = char_bits
        self.char_scale = char_scale
        self.lexicon = lexicon
        self.cues = cues
        self.idf = idf
        self.vector_words = vector_words
        self.vector_rows = vector_rows
        self.vectors = vectors
        self.vector_scale = vector_scale
        self.vector_idf = vector_idf
        self.length_cap = length_cap

    def fit(self, X: Any, y: Any = None) -> CommentFeaturizer:
        X = validate_data(self, X, dtype=None, reset=True)
        if not 0 <= self.text_column < self.n_features_in_:
            raise ValueError(f"text_column {self.text_column} out of range")
        if self.roles is not None and (
            len(self.roles) != self.n_features_in_ or not set(self.roles) <= _ROLES
        ):
            raise ValueError(f"roles {self.roles!r} do not match {self.n_features_in_} columns")
        self._ngram_shape().check()
        if not (isinstance(self.char_scale, int | float) and self.char_scale > 0):
            raise ValueError("char_scale must be a positive number")
        if any(not isinstance(t, str) for t in self.lexicon):
            raise ValueError("lexicon must be a sequence of strings")
        if self.length_cap is not None and not (
            isinstance(self.length_cap, int) and self.length_cap > 0
        ):
            raise ValueError("length_cap must be None or a positive number of characters")
        self.n_ngram_features_ = self._ngram_shape().width
        idf = self._idf()
        if idf is not None and idf.shape != (self.n_ngram_features_,):
            raise ValueError(f"idf needs one weight per n-gram column ({self.n_ngram_features_})")
        self._check_vectors()
        self.n_text_features_ = (
            self.n_ngram_features_
            + (1 if self.lexicon else 0)
            + len(self._cue_names())
            + self._vector_width()
        )
        self.meta_feature_names_ = np.asarray(
            _meta_names(self.roles) if self.roles is not None else [], dtype=object
        )
        self.n_features_out_ = self.n_text_features_ + len(self.meta_feature_names_)
        return self

    def _check_vectors(self) -> None:
        table = self._vector_table()
        if table is None:
            if any(v is not None for v in self._vector_arrays()):
                raise ValueError("vector_words, vector_rows and vectors go together")
            return
        words, rows, vectors = table
        if not (
            words.ndim == 1
            and rows.shape == words.shape
            and vectors.ndim == 2
            and words.dtype == np.uint64
            and np.issubdtype(rows.dtype, np.integer)
            and (rows.size == 0 or (rows.min() >= 0 and rows.max() < vectors.shape[0]))
            and bool(np.all(words[1:] > words[:-1]))
        ):
            raise ValueError(
                "vector_words must be sorted distinct uint64 hashes with one vector_rows "
                "entry each, pointing at rows of the 2-D vectors"
            )
        if not (isinstance(self.vector_scale, int | float) and self.vector_scale > 0):
            raise ValueError("vector_scale must be a positive number")

    def _vector_arrays(self) -> tuple[Any, Any, Any]:
        # A model saved before word vectors existed has none of these attributes.
        return (
            getattr(self, "vector_words", None),
            getattr(self, "vector_rows", None),
            getattr(self, "vectors", None),
        )

    def _vector_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        words, rows, vectors = self._vector_arrays()
        if words is None or rows is None or vectors is None:
            return None
        return np.asarray(words), np.asarray(rows), np.asarray(vectors, dtype=np.float32)

    def word_weights(self, words: np.ndarray) -> np.ndarray | None:
        """How much each word's vector counts in a text's sum: its unigram's idf with
        ``vector_idf`` (so "the", "live" and "people" weigh less than "pillock"), else None
        (1 each)."""
        idf = self._idf()
        if not getattr(self, "vector_idf", False) or idf is None:
            return None
        return idf[_bucket(words, 1, self.word_bits)]

    def reweigh_vectors(self, features: sp.csr_matrix, rows: Sequence[Sequence[str]]) -> None:
        """Recompute, in place, the word-vector columns of ``features`` (this featurizer's
        rows of ``rows``, made with another idf) with this featurizer's word weights: the
        leave-one-source-out evaluation hashes the data once and weighs each round with its own
        idf (``reweigh_ngrams`` does the n-gram columns)."""
        table = self._vector_table()
        if table is None or not getattr(self, "vector_idf", False):
            return
        codes, doc_of = _padded_code_points([normalise_text(row[self.text_column]) for row in rows])
        w_start, _, words = word_hashes(codes)
        sums = _vector_sums(doc_of[w_start], words, len(rows), table, self.word_weights(words))
        width = self._vector_width()
        first = self.n_text_features_ - width
        block = (features.indices >= first) & (features.indices < first + width)
        if int(block.sum()) != len(rows) * width:
            raise ValueError("the features do not hold every vector column of every row")
        features.data[block] = _unit_rows(sums, float(self.vector_scale)).ravel()

    def _vector_width(self) -> int:
        vectors = self._vector_arrays()[2]
        return 0 if vectors is None else int(np.shape(vectors)[1])

    def ngram_signature(self) -> tuple[Any, ...]:
        """What determines the text columns (equal => identical prefix). The idf and the
        vectors enter by identity, not by value: hashing megabytes on every explanation cost
        milliseconds, and the scorer makes heads with equal arrays share one copy
        (``same_ngrams`` compares values)."""
        idf = self._idf()
        return (
            *self._ngram_parameters(),
            None if idf is None else id(idf),
            *(None if a is None else id(a) for a in self._vector_arrays()),
        )

    def same_ngrams(self, other: CommentFeaturizer) -> bool:
        """Whether ``other`` makes exactly this featurizer's text columns."""
        if self._ngram_parameters() != other._ngram_parameters():
            return False
        pairs = zip(
            (self._idf(), *self._vector_arrays()),
            (other._idf(), *other._vector_arrays()),
            strict=True,
        )
        return all(_same_arrays(mine, theirs) for mine, theirs in pairs)

    def share_arrays(self, other: CommentFeaturizer) -> None:
        """Hold ``other``'s idf and vector arrays instead of equal copies of this one's (the
        scorer: seven heads, one copy in every worker process)."""
        if not self.same_ngrams(other):
            raise ValueError("only a featurizer with the same text columns can share arrays")
        self.idf = other._idf()
        self.vector_words, self.vector_rows, self.vectors = other._vector_arrays()

    def _ngram_parameters(self) -> tuple[Any, ...]:
        return (
            self.text_column,
            *self._ngram_shape(),
            float(self.char_scale),
            tuple(self.lexicon),
            self._cue_names(),
            self._vector_width(),
            float(getattr(self, "vector_scale", 1.0)),
            bool(getattr(self, "vector_idf", False)),
        )

    def _idf(self) -> np.ndarray | None:
        # A model saved before term weights existed has no ``idf`` attribute.
        return getattr(self, "idf", None)

    def document_frequencies(self, texts: Sequence[str]) -> np.ndarray:
        """In how many of ``texts`` each n-gram column occurs: what ``idf`` is made from
        (``inverse_document_frequency``), counted exactly as ``transform`` hashes a text."""
        rows = [[""] * self.text_column + [text] for text in texts]
        counts = self._hashed(rows, vectors=False)[3]
        return np.bincount(counts.indices, minlength=self._ngram_shape().width)

    def _cue_names(self) -> tuple[str, ...]:
        # A model saved before the cues existed has no ``cues`` attribute.
        return CUE_NAMES if getattr(self, "cues", False) else ()

    def transform(self, X: Any) -> sp.csr_matrix:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, reset=False)
        return self.transform_rows(as_cells(X))

    def transform_rows(self, rows: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """Features of rows of strings (one per input column); no input validation."""
        return self.transform_sentences(rows, sentences=False)[0]

    def transform_sentences(
        self, rows: Sequence[Sequence[str]], sentences: bool = True
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
        """The rows' features, and the text features of each sentence of the rows that have
        more than one (see ``classifiers.cues.sentence_bounds``), with the row each sentence
        belongs to.

        The text is hashed once, sentence by sentence (a NUL between sentences, so no n-gram
        spans two); a row's counts are the sum of its sentences'. Scoring the sentences
        therefore costs little more than scoring the rows, and one abusive sentence in a long
        comment gets a score of its own. The sentence matrix has the ``n_text_features_``
        columns only (n-grams, lexicon, cues): metadata belongs to the whole comment.
        """
        texts, parts, owner, whole, counts, sums = self._hashed(rows)
        split = len(parts) != len(texts)
        dense: list[np.ndarray] = []
        part_dense: list[np.ndarray] = []
        if self.lexicon:
            hits = _lexicon_hit_counts(parts, _lexicon_sets(tuple(self.lexicon)))
            part_dense.append(np.log1p(hits))
            dense.append(np.log1p(np.bincount(owner, hits[:, 0], len(texts)))[:, None])
        if self._cue_names():
            cues = cue_matrix(parts)
            part_dense.append(cues)
            row_cues = np.zeros((len(texts), cues.shape[1]), dtype=np.float32)
            np.maximum.at(row_cues, owner, cues)
            dense.append(row_cues)
        if sums is not None:
            scale = float(self.vector_scale)
            # Each sentence has its own direction of meaning, and the comment that of all its
            # words: a sentence borrowing its comment's vector scored an abusive sentence in a
            # long reasonable comment lower (tests/classifiers/test_sentences.py).
            part_dense.append(_unit_rows(sums, scale))
            row_sums = sums if not split else _sum_by_owner(sums, owner)
            dense.append(_unit_rows(row_sums, scale))
        if self.roles is not None:
            # Models saved before 2026-12-06 have no length cap.
            cap = getattr(self, "length_cap", None)
            dense.append(_meta_matrix(self.roles, rows, np.float32, cap))
        features = self._text_features(whole, dense)
        if not (sentences and split):
            empty = sp.csr_matrix((0, self.n_text_features_), dtype=np.float32)
            return features, empty, np.zeros(0, dtype=np.int64)
        # Only the rows cut into several sentences: a one-sentence row is its own sentence.
        several = np.bincount(owner, minlength=len(texts))[owner] > 1
        keep = np.flatnonzero(several)
        part_features = self._text_features(counts[keep], [block[keep] for block in part_dense])
        return features, part_features, owner[keep]

    def _hashed(
        self, rows: Sequence[Sequence[str]], vectors: bool = True
    ) -> tuple[list[str], list[str], np.ndarray, sp.csr_matrix, sp.csr_matrix, np.ndarray | None]:
        """The normalised texts, their sentences, each sentence's row, the rows' n-gram
        counts, the sentences' n-gram counts and the sentences' summed word vectors (None
        without a vector table, or unless ``vectors``)."""
        texts = [normalise_text(row[self.text_column]) for row in rows]
        parts: list[str] = []
        owner_list: list[int] = []
        for i, text in enumerate(texts):
            bounds = sentence_bounds(text)
            parts += [text[a:b] for a, b in bounds]
            owner_list += [i] * len(bounds)
        owner = np.asarray(owner_list, dtype=np.int64)
        counts, word_part, words = _hash_texts_and_words(parts, self._ngram_shape())
        table = self._vector_table() if vectors else None
        sums = None
        if table is not None:
            sums = _vector_sums(word_part, words, len(parts), table, self.word_weights(words))
        if len(parts) == len(texts):
            return texts, parts, owner, counts, counts, sums
        return texts, parts, owner, _sum_sentences(counts, owner, len(texts)), counts, sums

    def _text_features(self, counts: sp.csr_matrix, dense: list[np.ndarray]) -> sp.csr_matrix:
        # In place: ``counts`` is always a matrix made for this call.
        ngrams = _sublinear_l2(counts, self._idf())
        features = _scale_chars(ngrams, self.word_bits, float(self.char_scale))
        if not dense:
            return features
        # One append of all dense columns: each append rebuilds the whole CSR matrix.
        return _append_dense(features, np.hstack(dense).astype(np.float32, copy=False))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self)
        names = [f"ngram{i}" for i in range(self.n_ngram_features_)]
        if self.lexicon:
            names.append("lexicon_hits")
        names += [f"cue_{name}" for name in self._cue_names()]
        names += [f"vector{i}" for i in range(self._vector_width())]
        return np.asarray(names + list(self.meta_feature_names_), dtype=object)
