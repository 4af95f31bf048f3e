"""The cues in a comment's text that the rules read (found by the workers, see classifiers.cues
and classifiers.link_signals; named here), and swearing that attacks nobody."""

from __future__ import annotations

from collections.abc import Mapping

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
