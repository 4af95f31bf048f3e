"""Policy v0: scores and rules in, a status and its reasons out. Pure functions, no I/O.

A walk through it, top down:
- decision.py: POLICY, the ordered table of stages (which rule wins), and `decide`;
- rules.py: each rule, a small function of one comment's DecisionInputs;
- inputs.py: DecisionInputs, what a decision reads, and the measures taken of it;
- thresholds.py: the thresholds and settings, with why each default was chosen;
- reasons.py: Reason and Verdict, what a moderator reads;
- signals.py: the cues in the text the rules read, and swearing at nobody;
- text.py and quotes.py: links, words, repetition, fingerprints; quoted passages.
"""

from moderation.domain.policy.decision import POLICY, Stage, decide, decide_unscored
from moderation.domain.policy.inputs import DECIDING_SCORES, HOLDING_ATTRIBUTES, DecisionInputs
from moderation.domain.policy.quotes import (
    MAX_QUOTED_CHARS,
    QUOTE_PLACEHOLDER,
    quoted_passages,
    without_quotes,
)
from moderation.domain.policy.reasons import Reason, Verdict
from moderation.domain.policy.rules import Rule
from moderation.domain.policy.signals import (
    ATTACK_SIGNALS,
    HATE_CODE_SIGNAL,
    HOLDING_SPAM_SIGNALS,
    SELF_HARM_SIGNAL,
    SPAM_SIGNAL_PAIRS,
    TARGET_SIGNALS,
    UNTARGETED_BELOW,
    untargeted_profanity,
)
from moderation.domain.policy.text import (
    REPEATED_PHRASE_WORDS,
    body_fingerprint,
    count_links,
    normalised_body,
    repetition,
    words,
)
from moderation.domain.policy.thresholds import Thresholds

__all__ = [
    "ATTACK_SIGNALS",
    "DECIDING_SCORES",
    "HATE_CODE_SIGNAL",
    "HOLDING_ATTRIBUTES",
    "HOLDING_SPAM_SIGNALS",
    "MAX_QUOTED_CHARS",
    "POLICY",
    "QUOTE_PLACEHOLDER",
    "REPEATED_PHRASE_WORDS",
    "SELF_HARM_SIGNAL",
    "SPAM_SIGNAL_PAIRS",
    "TARGET_SIGNALS",
    "UNTARGETED_BELOW",
    "DecisionInputs",
    "Reason",
    "Rule",
    "Stage",
    "Thresholds",
    "Verdict",
    "body_fingerprint",
    "count_links",
    "decide",
    "decide_unscored",
    "normalised_body",
    "quoted_passages",
    "repetition",
    "untargeted_profanity",
    "without_quotes",
    "words",
]
