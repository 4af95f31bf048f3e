"""Explanations of scores as spans of the comment body."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from classifiers.cues import cue_places
from classifiers.features import (
    _BIGRAM_MIX,
    _CALL_TO_ACTION,
    _LEX_WORD,
    _MESSENGERS,
    _PHONE,
    _SCAM_PHRASES,
    _SCAM_WORDS,
    _URL,
    _URL_HINTS,
    CommentFeaturizer,
    _bucket,
    _lexicon_sets,
    char_ngram_windows,
    code_points,
    find_words,
    word_hashes,
)
from classifiers.normalise import normalise_text, normalise_with_spans
from classifiers.types import Explanation, Span

__all__ = ["explain_rows"]


# Characters that n-gram weight is not put on: whitespace and sentence punctuation, so that
# "idiot!" highlights "idiot". Masks ("f***") and symbols keep their weight.
_EDGE = frozenset(
    ".,;:!?\"'`()[]{}<>/\\-\u2013\u2014\u2026\u201c\u201d\u2018\u2019\u00ab\u00bb~^=_|"
)
# Weight below this is rounding noise of float32 features, not a contribution.
_EPSILON = 1e-6

# Metadata features (CommentMetaFeatures names after the "role{i}__" prefix) and the name a
# moderator sees in Explanation.signals; features sharing a name are summed.
_SIGNAL_NAMES: dict[str, str] = {
    "log_links": "links",
    "log_link_domains": "links",
    "has_link": "links",
    "has_phone": "phone",
    "has_messenger": "messenger",
    "shout_ratio": "shouting",
    "log_exclamations": "exclamations",
    "has_money": "money",
    "log_length": "length",
    "log_scam_terms": "scam_terms",
    "call_to_action": "call_to_action",
    "has_url": "website",
    "url_domain_in_body": "website_in_body",
}
_NON_SPACE = re.compile(r"\S+")
_MONEY = re.compile(r"[$£€]\s?\d[\d,.]*|\d[\d,.]*\s?[$£€]")


def _linear_head(pipeline: Pipeline) -> tuple[CommentFeaturizer, np.ndarray]:
    steps = [step for _, step in pipeline.steps]
    featurizer, classifier = steps[0], steps[-1]
    coef = getattr(classifier, "coef_", None)
    if (
        len(steps) != 2
        or not isinstance(featurizer, CommentFeaturizer)
        or coef is None
        or np.shape(coef) != (1, featurizer.n_features_out_)
    ):
        raise TypeError("explanations need CommentFeaturizer -> linear classifier pipelines")
    return featurizer, np.asarray(coef, dtype=np.float64)[0]


def _ngram_occurrences(
    text: str, featurizer: CommentFeaturizer
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column, start and end (in ``text``) of every n-gram the featurizer counts in ``text``.

    Mirrors ``features._hash_texts`` for one text (through the same ``char_ngram_windows``)
    but keeps each n-gram's position; a test checks that counting these occurrences
    reproduces the featurizer's matrix.
    """
    word_lo, word_hi = featurizer.word_ngram_range
    word_bits, char_bits = featurizer.word_bits, featurizer.char_bits
    padded = " " + text + " \x00"
    codes = code_points(padded)
    cols: list[np.ndarray] = []
    lows: list[np.ndarray] = []
    highs: list[np.ndarray] = []

    for n, starts, columns in char_ngram_windows(
        codes, featurizer.char_ngram_range, word_bits, char_bits
    ):
        cols.append(columns)
        lows.append(starts - 1)  # padded -> text coordinates
        highs.append(starts - 1 + n)

    w_start, w_end, words = word_hashes(codes)
    if w_start.size:
        gram = words
        for n in range(1, word_hi + 1):
            if n > 1:
                gram = gram[:-1] * _BIGRAM_MIX + words[n - 1 :]
            if n < word_lo or gram.shape[0] == 0:
                continue
            cols.append(_bucket(gram, n, word_bits))
            lows.append(w_start[: gram.shape[0]] - 1)
            highs.append(w_end[n - 1 :] - 1)

    if not cols:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    size = len(text)
    return (
        np.concatenate(cols).astype(np.int64),
        np.clip(np.concatenate(lows), 0, size),
        np.clip(np.concatenate(highs), 0, size),
    )


def _lexicon_hits(text: str, lexicon: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where ``features._lexicon_hit_counts`` finds its words and phrases in normalised text."""
    words, phrases, firsts, longest = _lexicon_sets(lexicon)
    tokens = list(_LEX_WORD.finditer(text))
    hits: list[tuple[int, int]] = []
    for j, token in enumerate(tokens):
        if token.group() in words:
            hits.append(token.span())
        if token.group() in firsts:
            for n in range(2, longest + 1):
                if j + n <= len(tokens) and (
                    " ".join(t.group() for t in tokens[j : j + n]) in phrases
                ):
                    hits.append((token.start(), tokens[j + n - 1].end()))
    return hits


def _spread_over(
    mass: np.ndarray, mask: np.ndarray, lows: np.ndarray, highs: np.ndarray, amounts: np.ndarray
) -> np.ndarray:
    """Add each amount evenly over the ``mask`` characters of [low, high) of ``mass`` (in
    place); return which ranges had none, and so were left out."""
    prefix = np.concatenate(([0], np.cumsum(mask)))
    counts = prefix[highs] - prefix[lows]
    has = counts > 0
    if has.any():
        # A difference array over the masked characters: one cumsum instead of a loop.
        diff = np.zeros(int(prefix[-1]) + 1)
        per = amounts[has] / counts[has]
        np.add.at(diff, prefix[lows[has]], per)
        np.add.at(diff, prefix[highs[has]], -per)
        mass[mask] += np.cumsum(diff)[:-1]
    return ~has


def _spread(
    mass: np.ndarray,
    content: np.ndarray,
    solid: np.ndarray,
    lows: np.ndarray,
    highs: np.ndarray,
    amounts: np.ndarray,
) -> None:
    """Add each amount evenly over the content characters of [low, high); an n-gram with no
    content character (" !! ") over its non-space characters instead."""
    if lows.size == 0:
        return
    left = _spread_over(mass, content, lows, highs, amounts)
    if left.any():
        _spread_over(mass, solid, lows[left], highs[left], amounts[left])


def _word_pieces(
    body: str,
    text: str,
    starts: list[int],
    ends: list[int],
    mass: np.ndarray,
    content: np.ndarray,
) -> Iterator[tuple[int, int, float]]:
    """(start, end, weight) in ``body`` of each whitespace-separated word of normalised
    ``text``, trimmed to its content characters."""
    # Python lists: per-word numpy calls cost more than the words.
    prefix = np.concatenate(([0.0], np.cumsum(mass))).tolist()
    flags = content.tolist()
    for match in _NON_SPACE.finditer(text):
        a, b = match.span()
        weight = prefix[b] - prefix[a]
        first = next((i for i in range(a, b) if flags[i]), None)
        if first is not None:
            last = next(i for i in range(b - 1, first - 1, -1) if flags[i])
            a, b = first, last + 1
        yield starts[a], max(ends[a:b]), weight


def _occurrences_in(low: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    found = []
    for term in terms:
        at = low.find(term)
        while at >= 0:
            found.append((at, at + len(term)))
            at = low.find(term, at + 1)
    return found


def _signal_places(body: str, signal: str) -> list[tuple[int, int]]:
    """Where in the body a metadata signal comes from, for those that have a place."""
    low = body.lower()
    if len(low) != len(body):  # a few non-ASCII letters lower-case to two characters
        return []
    if signal == "links":
        if not any(hint in low for hint in _URL_HINTS):
            return []
        return [m.span() for m in _URL.finditer(body)]
    if signal == "phone":
        return [m.span() for m in _PHONE.finditer(body)]
    if signal == "money":
        return [m.span() for m in _MONEY.finditer(body)]
    if signal == "messenger":
        return _occurrences_in(low, _MESSENGERS)
    if signal == "scam_terms":
        words = [m.span() for m in _LEX_WORD.finditer(low) if m.group() in _SCAM_WORDS]
        return words + _occurrences_in(low, _SCAM_PHRASES)
    if signal == "call_to_action":
        match = _CALL_TO_ACTION.search(low)
        if match is None:
            return []
        start = match.start() + len(match.group()) - len(match.group().lstrip(".!?,;: \t\n"))
        return [(start, match.end())]
    return []


def _merge(body: str, pieces: Iterable[tuple[int, int, float]], top_k: int) -> tuple[Span, ...]:
    """Overlapping or touching pieces become one span with the summed weight; the positive
    ones are returned, strongest first."""
    merged: list[list[Any]] = []
    for start, end, weight in sorted(p for p in pieces if p[1] > p[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] += weight
        else:
            merged.append([start, end, weight])
    spans = [Span(s, e, w, body[s:e]) for s, e, w in merged if w > _EPSILON]
    spans.sort(key=lambda span: (-span.weight, span.start))
    return tuple(spans[: max(top_k, 0)])


class _Canvas:
    """The weight put on each character of one normalised text (``mass``), and where weight
    may go: its ``content`` characters, else its non-space (``solid``) ones (``_spread``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.solid = np.fromiter((not ch.isspace() for ch in text), bool, count=len(text))
        not_edge = np.fromiter((ch not in _EDGE for ch in text), bool, count=len(text))
        self.content = self.solid & not_edge
        self.mass = np.zeros(len(text))

    def spread(self, lows: np.ndarray, highs: np.ndarray, amounts: np.ndarray) -> None:
        """Add each amount over its range [low, high) (see ``_spread``)."""
        _spread(self.mass, self.content, self.solid, lows, highs, amounts)

    def spread_evenly(self, places: Sequence[tuple[int, int]], amount: float) -> None:
        """Share ``amount`` equally among ``places`` ([start, end) each)."""
        lows = np.asarray([a for a, _ in places])
        highs = np.asarray([b for _, b in places])
        self.spread(lows, highs, np.full(len(places), amount / len(places)))


class _Head:
    """One linear model: where each feature's contribution (value x coefficient) sits."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.featurizer, self.coef = _linear_head(pipeline)
        f = self.featurizer
        self.lexicon_column = f.n_ngram_features_ if f.lexicon else None
        # The cue columns follow the lexicon's (see CommentFeaturizer.n_text_features_).
        first_cue = f.n_ngram_features_ + (1 if f.lexicon else 0)
        self.cue_columns = {name: first_cue + i for i, name in enumerate(f._cue_names())}
        # The word-vector columns follow the cues'. Their contribution is linear in the words:
        # scale * (coef . sum of vectors) / |sum of vectors|, so each word's share is its own
        # vector's score over the same norm, and the shares add up to the block's.
        self.vector_table = f._vector_table()
        self.vector_coef: np.ndarray | None = None
        if self.vector_table is not None:
            first_vector = first_cue + len(self.cue_columns)
            self.vector_coef = self.coef[first_vector : first_vector + f._vector_width()]
        roles = tuple(f.roles) if f.roles is not None else ()
        self.meta: list[tuple[int, str, bool]] = []  # column, signal name, about the body
        for offset, name in enumerate(f.meta_feature_names_):
            role_index, _, feature = str(name).partition("__")
            column = int(role_index.lstrip("abcdefghijklmnopqrstuvwxyz"))
            signal = _SIGNAL_NAMES.get(feature, feature)
            about_body = roles[column] == "body" and column == f.text_column
            self.meta.append((f.n_text_features_ + offset, signal, about_body))

    def explain(
        self,
        rows: Sequence[Sequence[str]],
        normalised: Sequence[tuple[str, list[int], list[int]]],
        occurrences: dict[tuple[Any, int], tuple[np.ndarray, np.ndarray, np.ndarray]],
        matrices: dict[Any, Any],
    ) -> Iterator[tuple[list[tuple[int, int, float]], dict[str, float]]]:
        """Per row: pieces (start, end, weight) of the body and the metadata contributions.

        ``occurrences`` caches n-gram positions per (n-gram signature, row) across heads, and
        ``matrices`` the feature matrix per featurizer configuration (the toxicity attribute
        heads share the toxicity featurizer's).
        """
        signature = self.featurizer.ngram_signature()
        X = self._features(rows, signature, matrices)
        for i, row in enumerate(rows):
            body = row[self.featurizer.text_column]
            text, starts, ends = normalised[i]
            contrib = self._contributions(X, i)
            key = (signature, i)
            if key not in occurrences:
                occurrences[key] = _ngram_occurrences(text, self.featurizer)
            canvas = self._canvas(text, contrib, occurrences[key])
            pieces = list(_word_pieces(body, text, starts, ends, canvas.mass, canvas.content))
            signals, placed = self._signals(body, contrib)
            yield pieces + placed, signals

    def _features(
        self, rows: Sequence[Sequence[str]], signature: tuple[Any, ...], matrices: dict[Any, Any]
    ) -> Any:
        """The rows' feature matrix, made once per featurizer configuration (``matrices``)."""
        f = self.featurizer
        config = (signature, f.text_column, tuple(f.lexicon or ()), tuple(f.roles or ()))
        if config not in matrices:
            matrices[config] = f.transform_rows(rows)
        return matrices[config]

    def _contributions(self, X: Any, i: int) -> dict[int, float]:
        """Row ``i``'s contribution (value x coefficient) of each of its non-zero columns."""
        lo, hi = X.indptr[i], X.indptr[i + 1]
        indices, values = X.indices[lo:hi], X.data[lo:hi].astype(np.float64)
        return dict(zip(indices.tolist(), (values * self.coef[indices]).tolist(), strict=True))

    def _canvas(
        self,
        text: str,
        contrib: dict[int, float],
        occurrence: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> _Canvas:
        """The text features' contributions over the characters of normalised ``text``: the
        n-grams' (at their ``occurrence``), the lexicon's, the cues' and the word vectors'."""
        canvas = _Canvas(text)
        cols, lows, highs = occurrence
        if cols.size:
            unique, inverse, counts = np.unique(cols, return_inverse=True, return_counts=True)
            per_col = np.asarray([contrib.get(c, 0.0) for c in unique.tolist()])
            # An n-gram seen tf times shares its feature's contribution equally.
            canvas.spread(lows, highs, per_col[inverse] / counts[inverse])
        if self.lexicon_column is not None:
            hits = _lexicon_hits(text, tuple(self.featurizer.lexicon))
            amount = contrib.get(self.lexicon_column, 0.0)
            if hits and amount:
                canvas.spread_evenly(hits, amount)
        if self.cue_columns:
            for name, places in cue_places(text).items():
                if name not in self.cue_columns:
                    continue  # a target alone is no feature
                amount = contrib.get(self.cue_columns[name], 0.0)
                if amount:
                    canvas.spread_evenly(places, amount)
        if self.vector_coef is not None:
            self._spread_vectors(canvas)
        return canvas

    def _signals(
        self, body: str, contrib: dict[int, float]
    ) -> tuple[dict[str, float], list[tuple[int, int, float]]]:
        """The metadata contributions by signal name, and pieces of the ``body`` where the
        signals about it (links, phone numbers, scam terms, ...) have a place."""
        signals: dict[str, float] = defaultdict(float)
        placed: dict[str, float] = defaultdict(float)
        for column, signal, about_body in self.meta:
            amount = contrib.get(column, 0.0)
            signals[signal] += amount
            if about_body:
                placed[signal] += amount
        pieces: list[tuple[int, int, float]] = []
        for signal, amount in placed.items():
            places = _signal_places(body, signal) if amount else []
            pieces += [(a, b, amount / len(places)) for a, b in places]
        return dict(signals), pieces

    def _spread_vectors(self, canvas: _Canvas) -> None:
        """Each word's share of the word-vector block, over that word's characters."""
        assert self.vector_table is not None and self.vector_coef is not None
        lows, highs, rows, hashes = vector_words(canvas.text, self.vector_table)
        if not rows.size:
            return
        # Only the text's own words: the whole table times the coefficients, per head and
        # call, cost more than the rest of an explanation.
        vectors = self.vector_table[2][rows].astype(np.float64)
        weights = self.featurizer.word_weights(hashes)
        if weights is not None:
            vectors *= weights[:, None]
        norm = float(np.linalg.norm(vectors.sum(axis=0)))
        if norm == 0:
            return
        scale = float(self.featurizer.vector_scale)
        canvas.spread(lows, highs, vectors @ self.vector_coef * scale / norm)


def vector_words(
    text: str, table: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start, end, vector row and hash of each word of normalised ``text`` that has a word
    vector (found as ``features._vector_sums`` finds it, by ``find_words``)."""
    hashes, table_rows, _ = table
    starts, ends, words = word_hashes(code_points(" " + text + " \x00"))
    if not words.size or not hashes.size:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0, dtype=np.uint64)
    at, known = find_words(hashes, words)
    rows = table_rows[at].astype(np.int64)
    return starts[known] - 1, ends[known] - 1, rows, words[known]


def explain_rows(
    spam: Pipeline,
    toxicity: Pipeline,
    rows: Sequence[Sequence[str]],
    top_k: int = 8,
    attributes: Mapping[str, Pipeline] | None = None,
) -> list[Explanation]:
    """Explanations for rows of [body, author, email, url] strings (see ``Scorer.explain``)."""
    if not rows:
        return []
    attributes = dict(attributes or {})
    heads = [_Head(spam), _Head(toxicity), *(_Head(p) for p in attributes.values())]
    column = heads[0].featurizer.text_column
    if any(head.featurizer.text_column != column for head in heads):
        raise TypeError("every model must read the comment body from the same column")
    normalised = [normalise_with_spans(row[column]) for row in rows]
    # The offsets are only right if the text is exactly what the featurizer hashed.
    for row, (text, _, _) in zip(rows, normalised, strict=True):
        if text != normalise_text(row[column]):
            raise AssertionError("normalise_with_spans disagrees with normalise_text")
    occurrences: dict[tuple[Any, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    matrices: dict[Any, Any] = {}
    spam_parts = heads[0].explain(rows, normalised, occurrences, matrices)
    toxicity_parts = heads[1].explain(rows, normalised, occurrences, matrices)
    attribute_parts = [head.explain(rows, normalised, occurrences, matrices) for head in heads[2:]]
    out = []
    for row, (spam_pieces, signals), (toxic_pieces, _), *per_attribute in zip(
        rows, spam_parts, toxicity_parts, *attribute_parts, strict=True
    ):
        body = row[column]
        out.append(
            Explanation(
                spam=_merge(body, spam_pieces, top_k),
                toxicity=_merge(body, toxic_pieces, top_k),
                signals={k: v for k, v in signals.items() if v > _EPSILON},
                attributes={
                    name: _merge(body, pieces, top_k)
                    for name, (pieces, _) in zip(attributes, per_attribute, strict=True)
                },
            )
        )
    return out
