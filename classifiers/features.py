"""Scikit-learn transformers turning comment fields into numeric features."""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

import ahocorasick
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from classifiers.cues import CUE_NAMES, cue_matrix, sentence_bounds
from classifiers.normalise import normalise_text

__all__ = ["COLUMNS", "CommentFeaturizer", "CommentMetaFeatures", "NgramHasher", "as_cells"]

# Column order of the 2-D input both pipelines take: one row per comment.
COLUMNS: tuple[str, ...] = ("body", "author", "email", "url")

_MASK64 = (1 << 64) - 1
_CHAR_BASE = np.uint64(0x100000001B3)  # odd, so polynomial hashes spread over 64 bits
_WORD_BASE = np.uint64(0x9E3779B97F4A7C15)
_WORD_BASE_INV = np.uint64(pow(0x9E3779B97F4A7C15, -1, 1 << 64))
_BIGRAM_MIX = np.uint64(0xC2B2AE3D27D4EB4F)
_FINAL_MIX = np.uint64(0xFF51AFD7ED558CCD)


def as_cells(X: Any) -> list[list[str]]:
    """Return the rows of a validated 2-D array as lists of strings (missing -> "")."""
    return [["" if v is None else v if isinstance(v, str) else str(v) for v in row] for row in X]


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
    return _hash_texts_and_words(texts, word_ngram_range, char_ngram_range, word_bits, char_bits)[0]


def _padded_code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of ``texts`` joined, each padded with spaces (char_wb pads words) and
    followed by a NUL sentinel so that no n-gram spans two comments, and the text each code
    point belongs to."""
    padded = [" " + t + " \x00" for t in texts]
    lengths = np.fromiter((len(p) for p in padded), dtype=np.int64, count=len(padded))
    return code_points("".join(padded)), np.repeat(np.arange(len(padded), dtype=np.int64), lengths)


def _hash_texts_and_words(
    texts: Sequence[str],
    word_ngram_range: tuple[int, int],
    char_ngram_range: tuple[int, int],
    word_bits: int,
    char_bits: int,
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """``_hash_texts``, plus the text each word belongs to and the word's hash (in text
    order), which the word vectors look up: hashed once for both."""
    n_docs = len(texts)
    n_cols = (1 << word_bits) + (1 << char_bits)
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


class NgramHasher(TransformerMixin, BaseEstimator):
    """Normalise text columns, then hash word and char_wb n-grams into a fixed-width matrix.

    Stateless apart from the input width, so the artifact holds no vocabulary. Values are
    sublinear term frequencies (1 + log tf), L2-normalised per row.
    """

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
        for lo, hi in (self.word_ngram_range, self.char_ngram_range):
            if not 1 <= lo <= hi:
                raise ValueError("n-gram ranges must satisfy 1 <= low <= high")
        if not (1 <= self.word_bits <= 30 and 1 <= self.char_bits <= 30):
            raise ValueError("word_bits and char_bits must be between 1 and 30")
        self.n_features_out_ = (1 << self.word_bits) + (1 << self.char_bits)
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
        return _sublinear_l2(
            _hash_texts(
                self.texts(X),
                tuple(self.word_ngram_range),  # type: ignore[arg-type]
                tuple(self.char_ngram_range),  # type: ignore[arg-type]
                self.word_bits,
                self.char_bits,
            )
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray([f"ngram{i}" for i in range(self.n_features_out_)], dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        # Output is float32 whatever the input dtype (the input is text).
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = []
        return tags


_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'()]+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|ru|cn|xyz|top|online"
    r"|site|club|shop|store|io|co|me|ly|be|tk|ml|ga|us|uk|de|in)\b(?:/[^\s<>\"'()]*)?",
    re.IGNORECASE,
)
_URL_HINTS = (
    "http",
    "www",
    ".com",
    ".net",
    ".org",
    ".info",
    ".biz",
    ".ru",
    ".cn",
    ".xyz",
    ".top",
    ".online",
    ".site",
    ".club",
    ".shop",
    ".store",
    ".io",
    ".co",
    ".me",
    ".ly",
    ".be",
    ".tk",
    ".ml",
    ".ga",
    ".us",
    ".uk",
    ".de",
    ".in",
)
_HOST = re.compile(r"^(?:https?://)?(?:www\.)?([^/:?#]+)", re.IGNORECASE)
# A phone number is at least this many digits (``_PHONE``): text with fewer needs no search.
_PHONE = re.compile(r"(?<!\d)\+?\d(?:[\s().-]{0,2}\d){7,}(?!\d)")
_PHONE_DIGITS = 8
_MESSENGERS = (
    "whatsapp",
    "whats app",
    "telegram",
    "t.me/",
    "wa.me/",
    "viber",
    "kik",
    "snapchat",
    "wechat",
    "skype",
    "signal app",
    "dm me",
    "inbox me",
)


class _AnyOf:
    """Whether any of a list's phrases is in a text: an Aho-Corasick automaton scans the text
    once. A test per phrase scanned it 13-36 times, and one alternation of the phrases in
    ``re`` still tried every phrase at every character (a fifth of the metadata's time). The
    count of distinct phrases is taken only where one is there, exactly as before."""

    def __init__(self, phrases: Sequence[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for phrase in phrases:
            self._automaton.add_word(phrase, phrase)
        self._automaton.make_automaton()

    def search(self, text: str) -> bool:
        return next(self._automaton.iter(text), None) is not None


_URL_HINT = _AnyOf(_URL_HINTS)
_MESSENGER = _AnyOf(_MESSENGERS)
_FREEMAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "163.com",
        "zoho.com",
    ]
)
_DISPOSABLE = frozenset(
    [
        "mailinator.com",
        "guerrillamail.com",
        "10minutemail.com",
        "temp-mail.org",
        "tempmail.com",
        "yopmail.com",
        "trashmail.com",
        "sharklasers.com",
        "getnada.com",
        "dispostable.com",
        "maildrop.cc",
        "throwawaymail.com",
        "fakeinbox.com",
        "mintemail.com",
    ]
)
# Words and phrases of money-making, prize and contact-me scams. SMS and YouTube spam use
# only some of them; as one counted feature family the model learns "several scam terms"
# rather than each word, so wording unlike SMS ("earn big money daily, link in my bio")
# still counts. Words that news comments use every day ("claim", "free", "money", "deal",
# "invest", "a day") are left to the n-grams: counted here they made a reader who checks a
# minister's claim look like a prize text.
_SCAM_WORDS = frozenset(
    "earn earning earnings crypto cryptocurrency bitcoin btc forex prize prizes winner "
    "bonus guaranteed discount cheap followers subscribers subscribe millionaire payout "
    "casino betting jackpot lottery giveaway voucher urgent reward rewards".split()
)
_SCAM_PHRASES = (
    "work from home", "working from home", "link in my bio", "link in bio", "dm me",
    "message me", "text me", "contact me", "inbox me", "no experience", "per day",
    "per week", "double your", "make money", "extra income", "passive income",
    "financial freedom", "sign up", "click here", "check out my", "my channel",
    "limited time", "act now", "no prescription", "without prescription", "add me on",
    "write me on", "write to me on", "you have won", "you've won", "claim your", "claim now",
    "cash prize", "free entry", "free gift", "100% free",
)  # fmt: skip
_SCAM_PHRASE = _AnyOf(_SCAM_PHRASES)
# An imperative at the start of the comment or of a sentence/clause: "Click the link",
# "..., contact me", "Get 10000 followers".
_IMPERATIVE = (
    r"(?:please\s+)?(?:click|visit|call|text|reply|contact|message|subscribe"
    r"|follow|join|buy|order|sign\s+up|register|download|check\s+(?:out|my)|dm|whatsapp"
    r"|send|claim|apply|get|earn|invest|make|win|go\s+to)\b"
)
_CALL_TO_ACTION = re.compile(r"(?:^|[.!?,;:]\s*)" + _IMPERATIVE)
# The same test in two parts: a pattern that may start at "^" is tried at every character,
# one that starts with punctuation only where there is punctuation (twice as fast).
_IMPERATIVE_FIRST = re.compile(_IMPERATIVE)
_IMPERATIVE_AFTER_PUNCTUATION = re.compile(r"[.!?,;:]\s*" + _IMPERATIVE)
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$", re.IGNORECASE)
_MIN_REPEAT_TOKENS = 6
_BARE_LINK_WORDS = 5
_UPPER = string.ascii_uppercase
_LOWER = string.ascii_lowercase
# Counted by deleting them from the UTF-8 bytes (no other character's bytes are ASCII):
# five times faster than deleting them from the str.
_UPPER_BYTES = _UPPER.encode()
_LOWER_BYTES = _LOWER.encode()
_DIGIT_BYTES = string.digits.encode()

_BODY_FEATURES = (
    "log_links",
    "log_link_domains",
    "has_link",
    "has_phone",
    "has_messenger",
    "shout_ratio",
    "log_exclamations",
    "has_money",
    "log_length",
    "log_scam_terms",
    "call_to_action",
    "repetition",
    "bare_link",
)
_EMAIL_FEATURES = (
    "email_none",
    "email_freemail",
    "email_disposable",
    "email_other",
    "email_invalid",
)
_URL_FEATURES = ("has_url", "url_domain_in_body")
_ROLES = frozenset({"body", "author", "email", "url", "ignore"})


def _links(text: str) -> list[str]:
    low = text.lower()
    if not _URL_HINT.search(low):
        return []
    return _URL.findall(text)


def _host(link: str) -> str:
    match = _HOST.match(link.strip())
    return match.group(1).lower() if match else ""


def _body_features(text: str, length_cap: int | None = None) -> tuple[list[float], set[str]]:
    links = _links(text)
    hosts = {_host(link) for link in links}
    # Counting by deletion runs in C; 52 str.count calls per comment did not.
    raw = text.encode("utf-8", "surrogatepass")
    upper = len(raw) - len(raw.translate(None, _UPPER_BYTES))
    letters = upper + len(raw) - len(raw.translate(None, _LOWER_BYTES))
    low = text.lower()
    digits = len(raw) - len(raw.translate(None, _DIGIT_BYTES))
    has_digit = digits > 0
    # ``\d`` also matches other scripts' digits, so only ASCII text is ruled out by its count.
    may_be_phone = has_digit and (digits >= _PHONE_DIGITS or not text.isascii())
    tokens = _LEX_WORD.findall(low)
    scam = len(_SCAM_WORDS.intersection(tokens))
    if _SCAM_PHRASE.search(low):
        scam += sum(1 for phrase in _SCAM_PHRASES if phrase in low)
    # Flooding: the share of word bigrams that repeat an earlier one ("lol lol lol", a phrase
    # pasted five times); ordinary prose of any length stays near 0.
    repetition = 0.0
    if len(tokens) >= _MIN_REPEAT_TOKENS:
        bigrams = list(pairwise(tokens))
        repetition = 1.0 - len(set(bigrams)) / len(bigrams)
    # A link with (almost) nothing said around it, unlike a reference inside an argument.
    bare = False
    if links:
        rest = text
        for link in links:
            rest = rest.replace(link, " ")
        bare = len(_LEX_WORD.findall(rest)) < _BARE_LINK_WORDS
    return [
        math.log1p(len(links)),
        math.log1p(len(hosts)),
        float(bool(links)),
        float(may_be_phone and _PHONE.search(text) is not None),
        float(_MESSENGER.search(low)),
        # Short texts ("OK") are not shouting; require a few letters before it counts.
        upper / letters if letters >= 8 else 0.0,
        math.log1p(text.count("!")),
        float(has_digit and any(c in text for c in "$£€")),
        math.log1p(len(text) if length_cap is None else min(len(text), length_cap)) / 6.0,
        math.log1p(scam),
        float(
            _IMPERATIVE_FIRST.match(low) is not None
            or _IMPERATIVE_AFTER_PUNCTUATION.search(low) is not None
        ),
        repetition,
        float(bare),
    ], hosts


def _email_features(email: str) -> list[float]:
    email = email.strip()
    out = [0.0] * len(_EMAIL_FEATURES)
    if not email:
        # All zero, not an "email_none" flag: no training source has e-mail addresses, so a
        # flag that is 1 on every training row would act as a hidden intercept and move every
        # real comment (which always has an e-mail) the moment one is given.
        return out
    match = _EMAIL.match(email)
    if match is None:
        out[4] = 1.0
        return out
    domain = match.group(1).lower()
    out[1 if domain in _FREEMAIL else 2 if domain in _DISPOSABLE else 3] = 1.0
    return out


def _meta_names(roles: Sequence[str]) -> list[str]:
    return [
        f"{role}{i}__{name}"
        for i, role in enumerate(roles)
        for name in {"body": _BODY_FEATURES, "email": _EMAIL_FEATURES}.get(
            role, _URL_FEATURES if role == "url" else ()
        )
    ]


def _meta_row(
    roles: Sequence[str], row: Sequence[str], length_cap: int | None = None
) -> list[float]:
    values: list[float] = []
    hosts: set[str] = set()
    for role, cell in zip(roles, row, strict=True):
        if role == "body":
            feats, found = _body_features(cell, length_cap)
            values += feats
            hosts |= found
        elif role == "email":
            values += _email_features(cell)
        elif role == "url":
            url = cell.strip()
            values += [float(bool(url)), float(bool(url) and _host(url) in hosts)]
    return values


def _meta_matrix(
    roles: Sequence[str],
    rows: Sequence[Sequence[str]],
    dtype: Any,
    length_cap: int | None = None,
) -> np.ndarray:
    width = len(_meta_names(roles))
    if not rows:
        return np.zeros((0, width), dtype=dtype)
    values = [_meta_row(roles, row, length_cap) for row in rows]
    return np.asarray(values, dtype=dtype).reshape(-1, width)


class CommentMetaFeatures(TransformerMixin, BaseEstimator):
    """Dense metadata features (links, contacts, shouting, e-mail and website fields).

    ``roles`` names what each input column holds ("body", "author", "email", "url" or
    "ignore"); ``None`` treats every column as body text. Author names carry no features
    in v0: none of the training sources has realistic author fields.
    """

    def __init__(self, roles: tuple[str, ...] | None = None) -> None:
        self.roles = roles

    def fit(self, X: Any, y: Any = None) -> CommentMetaFeatures:
        X = validate_data(self, X, dtype=None, reset=True)
        roles = self._roles()
        if len(roles) != self.n_features_in_ or not set(roles) <= _ROLES:
            raise ValueError(f"roles {self.roles!r} do not match {self.n_features_in_} columns")
        self.feature_names_ = np.asarray(_meta_names(roles), dtype=object)
        return self

    def _roles(self) -> tuple[str, ...]:
        return tuple(self.roles) if self.roles is not None else ("body",) * self.n_features_in_

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, reset=False)
        return _meta_matrix(self._roles(), as_cells(X), np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self)
        return self.feature_names_.copy()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags


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


class CommentFeaturizer(TransformerMixin, BaseEstimator):
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
        for lo, hi in (self.word_ngram_range, self.char_ngram_range):
            if not 1 <= lo <= hi:
                raise ValueError("n-gram ranges must satisfy 1 <= low <= high")
        if not (1 <= self.word_bits <= 30 and 1 <= self.char_bits <= 30):
            raise ValueError("word_bits and char_bits must be between 1 and 30")
        if not (isinstance(self.char_scale, int | float) and self.char_scale > 0):
            raise ValueError("char_scale must be a positive number")
        if any(not isinstance(t, str) for t in self.lexicon):
            raise ValueError("lexicon must be a sequence of strings")
        if self.length_cap is not None and not (
            isinstance(self.length_cap, int) and self.length_cap > 0
        ):
            raise ValueError("length_cap must be None or a positive number of characters")
        self.n_ngram_features_ = (1 << self.word_bits) + (1 << self.char_bits)
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
            tuple(self.word_ngram_range),
            tuple(self.char_ngram_range),
            self.word_bits,
            self.char_bits,
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
        return np.bincount(counts.indices, minlength=(1 << self.word_bits) + (1 << self.char_bits))

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
        counts, word_part, words = _hash_texts_and_words(
            parts,
            tuple(self.word_ngram_range),  # type: ignore[arg-type]
            tuple(self.char_ngram_range),  # type: ignore[arg-type]
            self.word_bits,
            self.char_bits,
        )
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

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        # Output is float32 whatever the input dtype (the input is text).
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = []
        return tags
