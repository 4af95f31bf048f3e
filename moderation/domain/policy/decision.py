"""The policy as one ordered table: which rule wins, and `decide`, which applies it."""

from __future__ import annotations

from dataclasses import dataclass

from moderation.domain.policy.inputs import DecisionInputs
from moderation.domain.policy.reasons import Reason, Verdict
from moderation.domain.policy.rules import (
    Rule,
    attack_or_hate_cue,
    attributes_at_hold,
    author_history,
    banned_author,
    blocked_word,
    checks_passed,
    copies_at_hold,
    copies_at_spam,
    identity_attack_at_reject,
    links_at_hold,
    new_author,
    premoderation,
    profanity_held,
    profanity_rejected,
    repetition_at_hold,
    repetition_at_spam,
    reported_speech,
    self_harm_call,
    spam_at_hold,
    spam_at_reject,
    spam_cue,
    spam_cue_pair,
    suspect_word,
    threat_at_reject,
    toxicity_at_hold,
    toxicity_at_reject,
    toxicity_at_reject_in_own_words,
    trusted_author,
)
from moderation.domain.statuses import CommentStatus


@dataclass(frozen=True, slots=True)
class Stage:
    """A status and the rules that give it: the stage decides when any of its rules fires,
    with every reason they give, then those of `noted` (which go along but decide nothing)."""

    status: CommentStatus
    rules: tuple[Rule, ...]
    noted: tuple[Rule, ...] = ()


# Spam before abuse before doubt: the first stage whose rules fire decides, and every rule of
# it that fired is kept as a reason. A comment no stage takes is approved (checks_passed).
POLICY: tuple[Stage, ...] = (
    # A moderator's ban: rejected whatever the scores.
    Stage(CommentStatus.REJECTED, (banned_author,)),
    # Spam stays spam, however toxic or quoted (a reject-level toxicity is noted beside it).
    Stage(
        CommentStatus.SPAM,
        (spam_at_reject, repetition_at_spam, copies_at_spam, spam_cue_pair),
        noted=(toxicity_at_reject,),
    ),
    # Abuse, removed: toxicity at reject outside the quotes too, a blocked word, what the
    # comment says of someone, swearing at nobody where the site removes it.
    Stage(
        CommentStatus.REJECTED,
        (
            toxicity_at_reject_in_own_words,
            blocked_word,
            self_harm_call,
            threat_at_reject,
            identity_attack_at_reject,
            profanity_rejected,
        ),
    ),
    # A trusted author skips the doubts below (not a site's pre-moderation).
    Stage(CommentStatus.APPROVED, (trusted_author,)),
    # Doubt: a moderator decides.
    Stage(
        CommentStatus.PENDING,
        (
            spam_at_hold,
            toxicity_at_hold,
            links_at_hold,
            repetition_at_hold,
            copies_at_hold,
            attributes_at_hold,
            suspect_word,
            attack_or_hate_cue,
            spam_cue,
            profanity_held,
            new_author,
            author_history,
            premoderation,
            reported_speech,
        ),
    ),
)


def decide(inputs: DecisionInputs) -> Verdict:
    """The status of the first stage of POLICY whose rules fire, with every reason they give;
    approved, with the checks it passed, when none does. Rules whose inputs nobody looked up
    (no standing, word hits, copies, attribute scores or signals) are not applied."""
    for stage in POLICY:
        reasons = [reason for rule in stage.rules for reason in rule(inputs)]
        if reasons:
            reasons += [reason for rule in stage.noted for reason in rule(inputs)]
            return Verdict(stage.status, reasons)
    return Verdict(CommentStatus.APPROVED, checks_passed(inputs))


def decide_unscored(error: str) -> Verdict:
    """When no model could score the comment we fail closed: a human decides, never `approved`."""
    return Verdict(CommentStatus.PENDING, [Reason("scoring_failed", error, None, None)])
