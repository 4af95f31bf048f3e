"""The policy's thresholds and settings, each with the reason its default was chosen."""

from __future__ import annotations

from dataclasses import dataclass


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
