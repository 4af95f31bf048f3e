"""The policy's rules. Each is a small function of one comment's DecisionInputs that returns the
reasons it fires, none when it does not; decision.POLICY orders them into stages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from moderation.domain.policy.inputs import DecisionInputs
from moderation.domain.policy.reasons import Reason
from moderation.domain.policy.signals import (
    ATTACK_SIGNALS,
    HATE_CODE_SIGNAL,
    HOLDING_SPAM_SIGNALS,
    SELF_HARM_SIGNAL,
    SPAM_SIGNAL_PAIRS,
)

Rule = Callable[[DecisionInputs], list[Reason]]

# The cues that hold a comment on their own, in the order they are listed: an attack cue or a
# hate code (a person looks: several codes have innocent uses).
_HOLDING_CUES = (*sorted(ATTACK_SIGNALS | {HATE_CODE_SIGNAL}),)
# The attack cues that remove a comment with a high threat score, the first found named; those
# that do with a high identity-attack score.
_ATTACK_CUES = (*sorted(ATTACK_SIGNALS),)
_GROUP_ATTACK_CUES = ("group_dehumanised", "group_harmed")


def _reaches(
    rule: str, value: float | None, threshold: float, within: str | None = None
) -> list[Reason]:
    """The rule fires when its value reaches the threshold; a value nobody measured (None: the
    comment too short, a count nobody took) fires nothing."""
    if value is not None and value >= threshold:
        return [Reason(rule, value, threshold, within=within)]
    return []


def _named(rule: str, value: str) -> Reason:
    """A reason without a threshold: a word, a cue and the words that matched it, a setting."""
    return Reason(rule, value, None, None)


def _cues(cues: Mapping[str, str], names: Iterable[str]) -> list[Reason]:
    return [_named(name, cues[name]) for name in names if name in cues]


def banned_author(inputs: DecisionInputs) -> list[Reason]:
    """A moderator banned the author (by email or address): rejected whatever the scores."""
    standing = inputs.standing
    if standing is not None and standing.banned_by is not None:
        return [_named("banned_author", standing.banned_by)]
    return []


# Spam. The reject thresholds: see Thresholds.


def spam_at_reject(inputs: DecisionInputs) -> list[Reason]:
    """A spam score high enough to remove without a person (Thresholds: how it was chosen)."""
    return _reaches("spam", inputs.spam, inputs.thresholds.spam_reject)


def repetition_at_spam(inputs: DecisionInputs) -> list[Reason]:
    """A text pasted twice, a word chanted twenty times (see text.repetition)."""
    return _reaches("repetition", inputs.repeated, inputs.thresholds.repetition_spam)


def copies_at_spam(inputs: DecisionInputs) -> list[Reason]:
    """The same text posted again and again, by any author under any article."""
    limits = inputs.thresholds
    return _reaches("copies", inputs.flood, limits.flood_spam_copies, limits.flood_window)


def spam_cue_pair(inputs: DecisionInputs) -> list[Reason]:
    """The first of SPAM_SIGNAL_PAIRS found whole: praise for any article signed with a shop or
    a shortened link, a link spelt out to dodge filters with praise or a contact handle."""
    for first, second in SPAM_SIGNAL_PAIRS:
        if first in inputs.cues and second in inputs.cues:
            return _cues(inputs.cues, (first, second))
    return []


def toxicity_at_reject(inputs: DecisionInputs) -> list[Reason]:
    """Toxicity at the reject threshold, whatever the comment quotes: noted beside spam (a spam
    comment stays spam, quotes or not)."""
    if inputs.too_toxic:
        return [Reason("toxicity", inputs.toxicity, inputs.thresholds.toxicity_reject)]
    return []


# Abuse.


def toxicity_at_reject_in_own_words(inputs: DecisionInputs) -> list[Reason]:
    """Toxicity at the reject threshold, unless only the quoted words reach it: the comment may
    be reporting abuse rather than committing it, so a moderator decides (reported_speech)."""
    return toxicity_at_reject(inputs) if inputs.outside_quotes is None else []


def blocked_word(inputs: DecisionInputs) -> list[Reason]:
    """A word the site blocks rejects like a reject-level toxicity."""
    hits = inputs.word_hits
    return [_named("blocked_word", word) for word in hits.blocked] if hits is not None else []


def self_harm_call(inputs: DecisionInputs) -> list[Reason]:
    """A call to self-harm ("kys", "kill yourself") is abuse however it is worded."""
    return _cues(inputs.cues, (SELF_HARM_SIGNAL,))


def _score_with_cue(
    inputs: DecisionInputs, attribute: str, limit: float, cue_names: tuple[str, ...]
) -> list[Reason]:
    """An attribute score at its reject threshold beside a cue that says whom it aims at: the
    score and the first of `cue_names` found. Either alone does not remove the comment."""
    found = [name for name in cue_names if name in inputs.cues]
    score = inputs.attribute_scores.get(attribute)
    if found and score is not None and score >= limit:
        return [Reason(attribute, score, limit), *_cues(inputs.cues, found[:1])]
    return []


def threat_at_reject(inputs: DecisionInputs) -> list[Reason]:
    """An explicit threat: a high threat score and a sentence that aims harm at someone."""
    limit = inputs.thresholds.threat_reject
    return _score_with_cue(inputs, "threat", limit, _ATTACK_CUES)


def identity_attack_at_reject(inputs: DecisionInputs) -> list[Reason]:
    """A group dehumanised or harmed, with a high identity-attack score."""
    limit = inputs.thresholds.identity_attack_reject
    return _score_with_cue(inputs, "identity_attack", limit, _GROUP_ATTACK_CUES)


def profanity_rejected(inputs: DecisionInputs) -> list[Reason]:
    """Swearing at nobody, on a site whose profanity setting removes it."""
    if inputs.profane_only and inputs.thresholds.profanity == "reject":
        return [_named("profanity", "swearing at nobody: the site removes it")]
    return []


# Trust.


def trusted_author(inputs: DecisionInputs) -> list[Reason]:
    """Trusted by a moderator: approved unless the comment is spam or reaches a reject
    threshold, or the site pre-moderates every comment."""
    standing = inputs.standing
    if standing is not None and standing.trusted and not inputs.thresholds.premoderation:
        return [_named("trusted_author", "trusted by a moderator")]
    return []


# Doubt. The hold thresholds: see Thresholds.


def spam_at_hold(inputs: DecisionInputs) -> list[Reason]:
    """Below the reject threshold a spam score only asks a moderator to look."""
    return _reaches("spam", inputs.spam, inputs.thresholds.spam_hold)


def toxicity_at_hold(inputs: DecisionInputs) -> list[Reason]:
    """Judged without swearing at nobody, which the profanity setting decides."""
    limit = inputs.thresholds.toxicity_hold
    if inputs.judged_toxicity >= limit:
        return [Reason("toxicity", inputs.toxicity, limit)]
    return []


def links_at_hold(inputs: DecisionInputs) -> list[Reason]:
    """Links with a scheme or a www. host (bare domains are left to the spam model)."""
    return _reaches("links", inputs.links, inputs.thresholds.hold_links)


def repetition_at_hold(inputs: DecisionInputs) -> list[Reason]:
    """Prose that echoes a long phrase ("I don't give a damn about X and I don't give a damn
    about Y") is not a flood, but a moderator looks."""
    return _reaches("repetition", inputs.repeated, inputs.thresholds.repetition_hold)


def copies_at_hold(inputs: DecisionInputs) -> list[Reason]:
    """The same text again within the window, fewer times than spam: a moderator looks."""
    limits = inputs.thresholds
    return _reaches("copies", inputs.flood, limits.flood_hold_copies, limits.flood_window)


def attributes_at_hold(inputs: DecisionInputs) -> list[Reason]:
    """A threat or an attack on a group is often worded politely, so the overall toxicity stays
    low: their attribute scores hold a comment on their own (HOLDING_ATTRIBUTES)."""
    return [
        Reason(name, value, limit)
        for name, value, limit in inputs.attribute_holds
        if value >= limit
    ]


def suspect_word(inputs: DecisionInputs) -> list[Reason]:
    """A word on the site's suspect list: a moderator reads it in context."""
    hits = inputs.word_hits
    return [_named("suspect_word", word) for word in hits.suspect] if hits is not None else []


def attack_or_hate_cue(inputs: DecisionInputs) -> list[Reason]:
    """A sentence that aims harm at someone, or a hate code or dog whistle."""
    return _cues(inputs.cues, _HOLDING_CUES)


def spam_cue(inputs: DecisionInputs) -> list[Reason]:
    """A shortened link, a link spelt out, a contact handle: each alone holds."""
    return _cues(inputs.cues, HOLDING_SPAM_SIGNALS)


def profanity_held(inputs: DecisionInputs) -> list[Reason]:
    """Swearing at nobody, on a site whose profanity setting sends it to a moderator."""
    if inputs.profane_only and inputs.thresholds.profanity == "hold":
        return [_named("profanity", "swearing at nobody: the site reviews it")]
    return []


def new_author(inputs: DecisionInputs) -> list[Reason]:
    """Pre-moderation of new authors: held until enough of their comments were approved."""
    standing, limit = inputs.standing, inputs.thresholds.premoderate_until
    if standing is not None and standing.approved < limit:
        return [Reason("new_author", standing.approved, limit, "<")]
    return []


def author_history(inputs: DecisionInputs) -> list[Reason]:
    """An author whose recent decided comments were mostly removed."""
    standing, limits = inputs.standing, inputs.thresholds
    if standing is not None and standing.recent >= limits.history_min:
        share = standing.removed_recently / standing.recent
        if share >= limits.history_hold_share:
            within = f"last {standing.recent}"
            limit = limits.history_hold_share
            return [Reason("author_history", round(share, 2), limit, within=within)]
    return []


def premoderation(inputs: DecisionInputs) -> list[Reason]:
    """The site reviews every comment it does not remove outright."""
    if inputs.thresholds.premoderation:
        return [_named("premoderation", "every comment on this site is reviewed")]
    return []


def reported_speech(inputs: DecisionInputs) -> list[Reason]:
    """Only the quoted words reach the reject toxicity: held with the unquoted toxicity, "<"
    the reject threshold. Always listed, so the comment is held (never approved) whatever the
    hold thresholds."""
    if inputs.outside_quotes is not None:
        limit = inputs.thresholds.toxicity_reject
        return [Reason("toxicity_outside_quotes", inputs.outside_quotes, limit, "<")]
    return []


def checks_passed(inputs: DecisionInputs) -> list[Reason]:
    """An approval is explained too: every check it passed, with its value. A rule the comment
    was too short for (or a count nobody took) was not a check, so it is not listed."""
    limits = inputs.thresholds
    passed = [
        Reason("spam", inputs.spam, limits.spam_hold, "<"),
        _named("profanity", "swearing at nobody: allowed by the site")
        if inputs.profane_only
        else Reason("toxicity", inputs.toxicity, limits.toxicity_hold, "<"),
        Reason("links", inputs.links, limits.hold_links, "<"),
    ]
    if inputs.repeated is not None:
        passed.append(Reason("repetition", inputs.repeated, limits.repetition_hold, "<"))
    if inputs.flood is not None:
        within = limits.flood_window
        passed.append(Reason("copies", inputs.flood, limits.flood_hold_copies, "<", within=within))
    passed += [Reason(name, value, limit, "<") for name, value, limit in inputs.attribute_holds]
    return passed
