"""Policy v0: scores and rules in, a status and its reasons out. Pure functions, no I/O."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from moderation.domain.authors import AuthorStanding
from moderation.domain.statuses import CommentStatus
from moderation.domain.wordlists import WordHits

# What counts as a link in a comment body: an explicit scheme or a www. host. Bare domains
# ("example.com") are left to the spam model, since they appear in ordinary prose too.
_LINK = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")

# A word for the repetition rule: letters or digits in any script, keeping "don't" (and with a
# typographic apostrophe, U+2019) whole. Emoji and punctuation are not words: a row of emoji is
# a reaction, not a pasted text.
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")

# The phrase length of the repetition measure. Four words, because shorter phrases repeat in
# ordinary writing ("one of the", "they are both ... they are both ..."; a chant quoted twice,
# "no more cuts, no more cuts"), while a flood repeats whatever its unit is until any 4 words
# in a row come back: one word five times, two words two and a half times, a longer text twice.
REPEATED_PHRASE_WORDS = 4

# Punctuation (every Unicode P* character of the basic plane) becomes a space before two bodies
# are compared, so "FIRST!!!" and "first" are the same text. str.translate with a table built
# once keeps this at a few microseconds a comment: it runs on the intake path.
_PUNCTUATION_TO_SPACE = {
    cp: " " for cp in range(0x10000) if unicodedata.category(chr(cp)).startswith("P")
}


# Quoted speech. News comments often report what someone else said ("the MP called them
# 'vermin'", a court report quoting a threat); the words inside the quotes are not the author's,
# so a comment that is only toxic inside them is held for a moderator rather than rejected.
# A passage is the text between a pair of quotation marks. The directional marks (curly double
# quotes, German and Polish low quotes, guillemets, CJK corner brackets) say which way they
# face, so an opener simply pairs with its closer. The straight marks (" and ') face both ways,
# and ' and the curly single quotes are also apostrophes ("don't", "the witness' car", "the
# drivers' union", "don\u2019t"), so these "guarded" marks only count where a typographer
# would put a quote: an opener at the start of the text or after whitespace or opening
# punctuation, followed by a non-space; a closer after a non-space, followed by the end,
# whitespace or punctuation (not by a letter or digit, as in "don't"). Erring this way is safe:
# a quote missed means the comment is judged whole, as before, while an apostrophe taken for a
# quote would hide the author's own words from the second look.
_QUOTE_CLOSERS: dict[str, str] = {
    '"': '"',
    "'": "'",
    "\u2018": "\u2019",  # curly single quotes (the closer doubles as the apostrophe)
    "\u201a": "\u2018\u2019",  # low single quote: closed high in German, Polish
    "\u201c": "\u201d",  # curly double quotes
    "\u201e": "\u201c\u201d",  # low double quote: closed high in German, Polish
    "\u00ab": "\u00bb",  # guillemets
    "\u2039": "\u203a",  # single guillemets
    "\u300c": "\u300d",  # CJK corner brackets
    "\u300e": "\u300f",  # CJK white corner brackets
}
_GUARDED_QUOTES = frozenset({'"', "'", "\u2018", "\u201a"})
# Single quotes do not cross a line: an apostrophe taken for an opener would otherwise pair with
# one paragraphs away. A double-quoted passage may span lines (a quoted verse, a pasted excerpt).
_ONE_LINE_QUOTES = frozenset({"'", "\u2018", "\u201a", "\u2039"})
# What may come right before a guarded opener besides whitespace: opening brackets, dashes,
# initial quotes (categories Ps, Pd, Pi) and the punctuation that introduces speech.
_OPENS_AFTER = frozenset(":,;/\"'")
# The longest passage taken as a quote. Quoted speech in a comment is a phrase or a sentence; an
# unmatched quote mark pairing with one far away would otherwise hide a long stretch of the
# author's own words from the second look at the comment.
MAX_QUOTED_CHARS = 300
# What a quoted passage, marks included, is replaced with: the sentence still reads as one
# ("the attacker yelled "…" before the assault") without the quoted words.
QUOTE_PLACEHOLDER = '"\u2026"'


def _guarded_opens(text: str, i: int) -> bool:
    if i + 1 >= len(text) or text[i + 1].isspace():
        return False
    if i == 0:
        return True
    before = text[i - 1]
    return (
        before.isspace()
        or before in _OPENS_AFTER
        or unicodedata.category(before) in ("Ps", "Pd", "Pi")
    )


def _guarded_closes(text: str, i: int) -> bool:
    if text[i - 1].isspace():
        return False
    return i + 1 == len(text) or not text[i + 1].isalnum()


def _closing(text: str, start: int) -> int | None:
    """The position of the mark that closes the quote opened at `start`, if any."""
    opener = text[start]
    closers = _QUOTE_CLOSERS[opener]
    guarded = opener in _GUARDED_QUOTES
    # The closer comes after at least one character and at most MAX_QUOTED_CHARS of them.
    for j in range(start + 2, min(len(text), start + MAX_QUOTED_CHARS + 2)):
        mark = text[j]
        if mark == "\n" and opener in _ONE_LINE_QUOTES:
            return None
        if mark in closers:
            if not guarded:
                if text[start + 1 : j].strip():
                    return j
            elif _guarded_closes(text, j):
                return j
        if guarded and mark == opener and _guarded_opens(text, j):
            # Another opener before any closer: the first mark was an apostrophe ("'90s were
            # 'great'"); the scan picks the quote up from this one.
            return None
    return None


def quoted_passages(text: str) -> list[tuple[int, int]]:
    """The (start, end) of the text inside each pair of quotation marks, marks excluded, in
    order and not overlapping: `text[start:end]` is the quoted passage, `text[start - 1]` and
    `text[end]` its marks. A quote inside a quote belongs to the outer passage; a mark without
    its closer within MAX_QUOTED_CHARS (or, for single quotes, on the same line) opens nothing.
    Linear in the length of the text times MAX_QUOTED_CHARS at most."""
    passages: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        mark = text[i]
        if mark in _QUOTE_CLOSERS and (mark not in _GUARDED_QUOTES or _guarded_opens(text, i)):
            end = _closing(text, i)
            if end is not None:
                passages.append((i + 1, end))
                i = end + 1
                continue
        i += 1
    return passages


def without_quotes(text: str) -> str:
    """The text with every quoted passage, marks included, replaced by QUOTE_PLACEHOLDER: the
    author's own words, for a model to score apart from the words they quote."""
    kept: list[str] = []
    position = 0
    for start, end in quoted_passages(text):
        kept += [text[position : start - 1], QUOTE_PLACEHOLDER]
        position = end + 1
    kept.append(text[position:])
    return "".join(kept)


def count_links(text: str) -> int:
    return len(_LINK.findall(text))


def words(text: str) -> list[str]:
    """The words of a comment, case-folded, in order."""
    return _WORD.findall(text.casefold())


def repetition(tokens: Sequence[str]) -> float:
    """The share of words (0..1) that belong to a phrase the comment contains more than once.

    A phrase is any run of REPEATED_PHRASE_WORDS words. A text pasted twice or a word chanted
    twenty times scores 1.0 (all of it is repeated material); prose that echoes a phrase once
    ("I don't give a damn about X and I don't give a damn about Y") scores what that echo
    covers. Chosen over a compression ratio because it is explainable to a moderator ("92% of
    the words are repeated phrases") and over the share of distinct words because that falls
    with the length of any prose. Linear in the number of words.
    """
    n = REPEATED_PHRASE_WORDS
    if len(tokens) < n:
        return 0.0
    phrases = list(zip(*(tokens[i:] for i in range(n)), strict=False))
    seen = Counter(phrases)
    covered = 0
    covered_until = 0  # words before this position are already counted
    for start, phrase in enumerate(phrases):
        if seen[phrase] > 1:
            end = start + n
            covered += end - max(start, covered_until)
            covered_until = end
    return covered / len(tokens)


def normalised_body(text: str) -> str:
    """The text two comments must share to be copies: case-folded, punctuation dropped and
    whitespace collapsed, so re-posting with other capitals or exclamation marks still counts."""
    return " ".join(text.casefold().translate(_PUNCTUATION_TO_SPACE).split())


def body_fingerprint(text: str) -> int | None:
    """A signed 64-bit fingerprint of the normalised body (the first 8 bytes of its SHA-256),
    stored and indexed with each comment; None for a body of nothing but punctuation."""
    normalised = normalised_body(text)
    if not normalised:
        return None
    digest = hashlib.sha256(normalised.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


@dataclass(frozen=True, slots=True)
class Thresholds:
    # The reject thresholds are the lowest that remove at most 0.5% of clean comments the
    # model never saw (`moderation evaluate`'s operating points, leave-one-source-out, model
    # v0-20261205-ee896085): at 0.9, 1.0% of clean rows were marked spam and 4.0% rejected.
    # The hold thresholds are not its chosen points: publishing at most 3% of harmful rows
    # would hold 89% (toxicity) of a day's comments, which is pre-moderation (`premoderation`);
    # at 0.5 the same rows publish 32% and hold 38% (docs/policy.md).
    spam_reject: float = 0.98
    toxicity_reject: float = 0.99
    spam_hold: float = 0.5
    toxicity_hold: float = 0.5
    hold_links: int = 2
    # Repeated text inside one comment: measured only from this many words on, so "No no no."
    # or "Very, very good" are never judged; at or above `repetition_spam` of the words in
    # repeated phrases the comment is spam, at or above `repetition_hold` a moderator looks.
    repetition_min_words: int = 8
    repetition_hold: float = 0.7
    repetition_spam: float = 0.9
    # The same text posted again and again (any author, any article) within the window: the
    # copy that makes `flood_hold_copies` is held, from `flood_spam_copies` on it is spam.
    # Texts under `flood_min_words` words ("Great article, thank you!") are left alone: many
    # readers write those independently.
    flood_window_seconds: float = 600.0
    flood_hold_copies: int = 3
    flood_spam_copies: int = 10
    flood_min_words: int = 6
    # Toxicity attributes that hold a comment on their own: a threat or an attack on a group
    # is often worded politely, so the overall toxicity score stays low. The attribute models
    # read "probability under a 50/50 prior", and these attributes are rare, so only a high
    # score is evidence enough to ask a human.
    threat_hold: float = 0.9
    identity_attack_hold: float = 0.95
    # Explicit threats, calls to violence and dehumanisation are removed, not held: a threat
    # score this high together with a sentence that aims harm at someone (a `signals` cue)
    # rejects, and so does an identity-attack score this high with a group dehumanised.
    threat_reject: float = 0.9
    identity_attack_reject: float = 0.8
    # Swearing that attacks nobody ("fucking brilliant reporting"): "allow" judges the
    # comment without its profanity, "hold" sends it to a moderator, "reject" removes it.
    # Obscenity at a person (you, him, the reporter) is abuse whatever this says.
    profanity: str = "allow"
    # Authors: pre-moderation holds an author until this many of their comments were approved
    # (0: off); an author whose recent comments were mostly removed is held, judged over their
    # last `history_window` decided comments once they have `history_min`.
    premoderate_until: int = 0
    history_window: int = 10
    history_min: int = 3
    history_hold_share: float = 0.6
    # A site's pre-moderation: every comment waits for a moderator unless it is removed
    # outright (spam, reject-level toxicity, a blocked word, a banned author).
    premoderation: bool = False

    @property
    def flood_window(self) -> str:
        return _duration(self.flood_window_seconds)


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that fired, with the value that made it fire, so a moderator can see why."""

    rule: str
    value: float | int | str
    threshold: float | int | None = None
    # ">=" for a rule that fired; "<" for the checks an approved comment passed; None for a
    # rule without a threshold.
    op: str | None = ">="
    # Where the value was counted, for a rule that counts over time ("10 min"); None otherwise.
    within: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found = {"rule": self.rule, "value": self.value, "threshold": self.threshold, "op": self.op}
        if self.within is not None:
            found["within"] = self.within
        return found

    @property
    def text(self) -> str:
        if self.threshold is None:
            return f"{self.rule}: {self.value}"
        value = f"{self.value:.2f}" if isinstance(self.value, float) else str(self.value)
        text = f"{self.rule} {value} {self.op} {self.threshold}"
        return text if self.within is None else f"{text} in {self.within}"

    @property
    def words(self) -> str:
        """The reason as a moderator reads it in the workspace: scores as "toxicity 0.83 >=
        0.5", counts as "2 links (held from 2)"."""
        fired = self.op == ">="
        limit = "held from" if fired else "under"
        if self.rule == "links" and isinstance(self.value, int):
            noun = "link" if self.value == 1 else "links"
            return f"{self.value} {noun} ({limit} {self.threshold})"
        if self.rule == "copies" and isinstance(self.value, int):
            where = f" in {self.within}" if self.within else ""
            return f"{self.value} copies of this text{where} ({limit} {self.threshold})"
        if self.rule == "repetition" and isinstance(self.value, float):
            return f"{self.value:.0%} of its words repeat a phrase ({limit} {self.threshold:.0%})"
        if self.rule == "toxicity_outside_quotes" and isinstance(self.value, float):
            return (
                f"toxicity outside quotes {self.value:.2f} < {self.threshold}: "
                "it may be reporting what someone said"
            )
        if self.rule == "premoderation":
            return "pre-moderation: every comment on this site is reviewed first"
        if self.rule in ("blocked_word", "suspect_word", "banned_author"):
            return f"{self.rule.replace('_', ' ')}: {self.value}"
        if self.rule == "trusted_author":
            return "trusted author"
        if self.rule == "new_author" and isinstance(self.value, int):
            return f"new author: {self.value} approved comments (held until {self.threshold})"
        if self.rule == "author_history" and isinstance(self.value, float):
            return (
                f"{self.value:.0%} of the author's {self.within} comments removed "
                f"(held from {self.threshold:.0%})"
            )
        if self.rule == "scoring_failed":
            return f"not scored ({self.value}): a person must decide"
        return self.text.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Verdict:
    status: CommentStatus
    reasons: list[Reason] = field(default_factory=list)


# Cues (see classifiers.cues: found by the workers, named here) that say a sentence aims harm
# at someone; each holds a comment on its own, and with a high threat or identity-attack
# score removes it.
ATTACK_SIGNALS = frozenset(
    {"threat_phrase", "you_attacked", "person_attacked", "group_harmed", "group_dehumanised"}
)
# A call to self-harm ("kys", "kill yourself") is abuse however it is worded: removed.
SELF_HARM_SIGNAL = "self_harm_call"
# A hate code or dog whistle (1488, (((echo)))): several have innocent uses, so a person looks.
HATE_CODE_SIGNAL = "hate_code"
# Spam an article page gets that the spam model cannot see (classifiers.link_signals): praise
# that fits any article signed with a shop or a shortened link, or a link spelt out to dodge
# filters with praise or a contact handle, is spam; each signal alone but the commercial
# website (small businesses comment too) and the praise holds.
SPAM_SIGNAL_PAIRS = (
    ("generic_praise", "website_commercial"),
    ("generic_praise", "website_shortener"),
    ("obfuscated_link", "generic_praise"),
    ("obfuscated_link", "contact_handle"),
)
HOLDING_SPAM_SIGNALS = ("website_shortener", "obfuscated_link", "contact_handle")
# Who a comment is aimed at: swearing with one of these is obscenity at a person.
TARGET_SIGNALS = frozenset({"target_you", "target_person"})
# Attribute scores under which swearing is only swearing (no insult, threat or group attack).
UNTARGETED_BELOW = 0.5


def untargeted_profanity(
    toxicity: float, attributes: Mapping[str, float], signals: Mapping[str, str], hold: float
) -> bool:
    """Toxic only for its swear words: obscene at or above the hold toxicity, no insult,
    threat or identity attack, and no person or attack in its words."""
    if "obscene" not in attributes or toxicity < hold or attributes["obscene"] < hold:
        return False
    if TARGET_SIGNALS & signals.keys() or ATTACK_SIGNALS & signals.keys():
        return False
    if SELF_HARM_SIGNAL in signals or HATE_CODE_SIGNAL in signals:
        return False
    return all(
        attributes.get(name, 0.0) < UNTARGETED_BELOW
        for name in ("insult", "threat", "identity_attack", "severe_toxicity")
    )


# The toxicity attributes that hold a comment on their own (Thresholds.threat_hold, ...).
HOLDING_ATTRIBUTES: tuple[str, ...] = ("threat", "identity_attack")
# Every score `decide` reads: a new model version is judged on these before it may decide
# (workers.feedback). Obscene, insult and severe toxicity decide whether swearing attacks
# nobody (untargeted_profanity), so every attribute decides something.
DECIDING_SCORES: tuple[str, ...] = (
    "spam",
    "toxicity",
    *HOLDING_ATTRIBUTES,
    "obscene",
    "insult",
    "severe_toxicity",
)


def decide(
    spam: float,
    toxicity: float,
    body: str,
    thresholds: Thresholds,
    copies: int | None = None,
    attributes: Mapping[str, float] | None = None,
    unquoted_toxicity: float | None = None,
    standing: AuthorStanding | None = None,
    word_hits: WordHits | None = None,
    signals: Mapping[str, str] | None = None,
) -> Verdict:
    """Spam before abuse before doubt: the first matching outcome wins, every fired rule is kept.

    A moderator's ban comes first (rejected whatever the scores); a blocked word rejects like
    a reject-level toxicity; suspect words, pre-moderation of new authors and an author whose
    recent comments were mostly removed hold. A trusted author is approved unless the comment
    is spam or reaches a reject threshold. `standing` and `word_hits` are None where nobody
    looked them up (scoring a file), and their rules are then not applied.

    `copies` is how many comments with this text (this one included, earlier ones within the
    flood window) were submitted; None where nobody counted (scoring a file, no database).
    `attributes` are the toxicity attribute scores (threat, identity_attack, ...); a model
    trained before they existed gives none, and their rules are then not applied.
    `unquoted_toxicity` is the toxicity of `without_quotes(body)`, scored by the caller for a
    comment at or above the reject toxicity that quotes something (None otherwise, and ignored
    below that toxicity). When only the quoted words reach the reject toxicity, the comment may
    be reporting abuse rather than committing it, so a moderator decides: it is held with the
    hold reasons it meets plus `toxicity_outside_quotes` (the unquoted toxicity, "<" the reject
    threshold) instead of rejected. A spam comment stays spam, and a comment that reaches the
    reject toxicity outside its quotes too is rejected as before.
    `signals` are the cues found in the text (name -> the words that matched; see
    classifiers.cues and classifiers.link_signals), None where nobody looked: a call to
    self-harm, or an attack cue with a threat or identity-attack score at its reject
    threshold, rejects; an attack cue or a hate code holds; swearing at nobody follows
    `thresholds.profanity`; praise for any article signed with a shop is spam.
    """
    if standing is not None and standing.banned_by is not None:
        return Verdict(
            CommentStatus.REJECTED, [Reason("banned_author", standing.banned_by, None, None)]
        )
    attributes = attributes or {}
    hits = word_hits or WordHits([], [])
    holds = {"threat": thresholds.threat_hold, "identity_attack": thresholds.identity_attack_hold}
    held_by_attribute = [
        (name, attributes[name], holds[name]) for name in HOLDING_ATTRIBUTES if name in attributes
    ]
    links = count_links(body)
    tokens = words(body)
    # None: the comment is too short for the rule to mean anything, so it is not applied.
    repeated = repetition(tokens) if len(tokens) >= thresholds.repetition_min_words else None
    flood = copies if copies is not None and len(tokens) >= thresholds.flood_min_words else None
    window = thresholds.flood_window

    reasons: list[Reason] = []
    if spam >= thresholds.spam_reject:
        reasons.append(Reason("spam", spam, thresholds.spam_reject))
    if repeated is not None and repeated >= thresholds.repetition_spam:
        reasons.append(Reason("repetition", repeated, thresholds.repetition_spam))
    if flood is not None and flood >= thresholds.flood_spam_copies:
        reasons.append(Reason("copies", flood, thresholds.flood_spam_copies, within=window))
    cues = signals or {}
    for first, second in SPAM_SIGNAL_PAIRS:
        if first in cues and second in cues:
            reasons += [
                Reason(first, cues[first], None, None),
                Reason(second, cues[second], None, None),
            ]
            break
    is_spam = bool(reasons)
    # Swearing at nobody is judged by the site's profanity setting, not by the toxicity rules.
    profane_only = untargeted_profanity(toxicity, attributes, cues, thresholds.toxicity_hold)
    judged_toxicity = 0.0 if profane_only else toxicity
    too_toxic = judged_toxicity >= thresholds.toxicity_reject
    # Reported speech: the toxicity outside the quotes when only the quoted words reach the
    # reject threshold; None when the rule does not apply.
    outside_quotes = (
        unquoted_toxicity
        if too_toxic
        and unquoted_toxicity is not None
        and unquoted_toxicity < thresholds.toxicity_reject
        else None
    )
    if too_toxic and (is_spam or outside_quotes is None):
        reasons.append(Reason("toxicity", toxicity, thresholds.toxicity_reject))
    if is_spam:
        return Verdict(CommentStatus.SPAM, reasons)
    reasons += [Reason("blocked_word", word, None, None) for word in hits.blocked]
    reasons += _removing_signals(attributes, cues, thresholds)
    if profane_only and thresholds.profanity == "reject":
        reasons.append(Reason("profanity", "swearing at nobody: the site removes it", None, None))
    if reasons:
        return Verdict(CommentStatus.REJECTED, reasons)
    if standing is not None and standing.trusted and not thresholds.premoderation:
        return Verdict(
            CommentStatus.APPROVED,
            [Reason("trusted_author", "trusted by a moderator", None, None)],
        )

    if spam >= thresholds.spam_hold:
        reasons.append(Reason("spam", spam, thresholds.spam_hold))
    if judged_toxicity >= thresholds.toxicity_hold:
        reasons.append(Reason("toxicity", toxicity, thresholds.toxicity_hold))
    if links >= thresholds.hold_links:
        reasons.append(Reason("links", links, thresholds.hold_links))
    if repeated is not None and repeated >= thresholds.repetition_hold:
        reasons.append(Reason("repetition", repeated, thresholds.repetition_hold))
    if flood is not None and flood >= thresholds.flood_hold_copies:
        reasons.append(Reason("copies", flood, thresholds.flood_hold_copies, within=window))
    for name, value, limit in held_by_attribute:
        if value >= limit:
            reasons.append(Reason(name, value, limit))
    reasons += [Reason("suspect_word", word, None, None) for word in hits.suspect]
    reasons += [
        Reason(name, cues[name], None, None)
        for name in (*sorted(ATTACK_SIGNALS | {HATE_CODE_SIGNAL}), *HOLDING_SPAM_SIGNALS)
        if name in cues
    ]
    if profane_only and thresholds.profanity == "hold":
        reasons.append(Reason("profanity", "swearing at nobody: the site reviews it", None, None))
    if standing is not None:
        reasons += _author_holds(standing, thresholds)
    if thresholds.premoderation:
        reasons.append(
            Reason("premoderation", "every comment on this site is reviewed", None, None)
        )
    if outside_quotes is not None:
        # Always listed, so the comment is held (never approved) whatever the hold thresholds.
        reasons.append(
            Reason("toxicity_outside_quotes", outside_quotes, thresholds.toxicity_reject, "<")
        )
    if reasons:
        return Verdict(CommentStatus.PENDING, reasons)
    # An approval is explained too: every check it passed, with its value. A rule the comment
    # was too short for (or a count nobody took) was not a check, so it is not listed.
    passed = [
        Reason("spam", spam, thresholds.spam_hold, "<"),
        Reason("profanity", "swearing at nobody: allowed by the site", None, None)
        if profane_only
        else Reason("toxicity", toxicity, thresholds.toxicity_hold, "<"),
        Reason("links", links, thresholds.hold_links, "<"),
    ]
    if repeated is not None:
        passed.append(Reason("repetition", repeated, thresholds.repetition_hold, "<"))
    if flood is not None:
        passed.append(Reason("copies", flood, thresholds.flood_hold_copies, "<", within=window))
    passed += [Reason(name, value, limit, "<") for name, value, limit in held_by_attribute]
    return Verdict(CommentStatus.APPROVED, passed)


def _removing_signals(
    attributes: Mapping[str, float], cues: Mapping[str, str], thresholds: Thresholds
) -> list[Reason]:
    """Reasons to remove a comment for what it says of someone: a call to self-harm; an
    explicit threat (a high threat score and a sentence aiming harm at someone); a group
    dehumanised or harmed with a high identity-attack score."""
    found = []
    if SELF_HARM_SIGNAL in cues:
        found.append(Reason(SELF_HARM_SIGNAL, cues[SELF_HARM_SIGNAL], None, None))
    aimed = sorted(ATTACK_SIGNALS & cues.keys())
    threat = attributes.get("threat")
    if aimed and threat is not None and threat >= thresholds.threat_reject:
        found.append(Reason("threat", threat, thresholds.threat_reject))
        found.append(Reason(aimed[0], cues[aimed[0]], None, None))
    at_group = [n for n in ("group_dehumanised", "group_harmed") if n in cues]
    attack = attributes.get("identity_attack")
    if at_group and attack is not None and attack >= thresholds.identity_attack_reject:
        found.append(Reason("identity_attack", attack, thresholds.identity_attack_reject))
        found.append(Reason(at_group[0], cues[at_group[0]], None, None))
    return found


def _author_holds(standing: AuthorStanding, thresholds: Thresholds) -> list[Reason]:
    held = []
    if standing.approved < thresholds.premoderate_until:
        held.append(Reason("new_author", standing.approved, thresholds.premoderate_until, "<"))
    if standing.recent >= thresholds.history_min:
        share = standing.removed_recently / standing.recent
        if share >= thresholds.history_hold_share:
            held.append(
                Reason(
                    "author_history",
                    round(share, 2),
                    thresholds.history_hold_share,
                    within=f"last {standing.recent}",
                )
            )
    return held


def decide_unscored(error: str) -> Verdict:
    """When no model could score the comment we fail closed: a human decides, never `approved`."""
    return Verdict(CommentStatus.PENDING, [Reason("scoring_failed", error, None, None)])
