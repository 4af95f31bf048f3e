"""Dense metadata features of a comment: links, contacts, shouting, scam terms and calls to
action in the body, and the e-mail and website fields (``CommentMetaFeatures``)."""

from __future__ import annotations

import math
import re
import string
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import ahocorasick
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from classifiers.features.cells import as_cells
from classifiers.features.lexicon import _LEX_WORD

__all__ = ["CommentMetaFeatures"]


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

    # The artifact names the class by the package path (skops records it, and
    # classifiers.persistence.ALLOW_LIST trusts it): defined here, it stays
    # ``classifiers.features.CommentMetaFeatures`` for artifacts old and new.
    __module__ = "classifiers.features"

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
