"""What a comment's card in a queue shows besides its text: the decision buttons and their
keys, the words that raised each score (highlighted), and the score bars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from moderation.domain.grounds import GroundView
from moderation.services.review import Action, Ground, QueueItem

# Scores whose spans are highlighted, in the order their colours take precedence.
HIGHLIGHTED = ("threat", "identity_attack", "insult", "obscene", "toxicity", "spam")
# Spans shown: at least this logit weight, and this share of the strongest span of the score.
MIN_SPAN_WEIGHT = 0.2
MIN_HIGHLIGHTED_SCORE = 0.3
SPAN_SHARE = 0.25
# The score bars of an item, in this order.
SCORE_ORDER = (
    "spam",
    "toxicity",
    "severe_toxicity",
    "insult",
    "threat",
    "identity_attack",
    "obscene",
)


@dataclass(frozen=True, slots=True)
class CardButton:
    """A decision button on a comment's card, with its key (static/workspace.js reads the key
    from the button, so a key and what it sends are written here once)."""

    text: str
    action: Action
    ground: str | None  # a catalogue key (or a review.Ground value)
    key: str | None
    number: str | None = None  # its place among the site's grounds: "1" to "9"
    law: str | None = None  # an illegal-content ground's law, shown as the button's title

    @property
    def value(self) -> str:
        """The form's value for this button on comment `{id}`: "id:action[:ground]"."""
        return f"{self.action.value}:{self.ground}" if self.ground else self.action.value


# A removal with a ground teaches the model of what it names (review.Ground); plain Reject
# teaches toxicity alone. Spam is the spam ground.
CARD_BUTTONS: tuple[CardButton, ...] = (
    CardButton("Approve", Action.APPROVE, None, "a"),
    CardButton("Reject", Action.REJECT, None, "r"),
    CardButton("Threat", Action.REJECT, Ground.THREAT, "t"),
    CardButton("Hate", Action.REJECT, Ground.HATE, "h"),
    CardButton("Harassment", Action.REJECT, Ground.HARASSMENT, "i"),
    CardButton("Obscene", Action.REJECT, Ground.OBSCENE, "o"),
    CardButton("Spam", Action.SPAM, None, "s"),
    CardButton("Not spam", Action.NOT_SPAM, None, None),
)

# The letters the common grounds kept from before the catalogue (their buttons' keys); every
# ground of a site also has its number, 1 to 9, in the catalogue's order.
GROUND_LETTERS = {"spam": "s", "threats": "t", "hate": "h", "harassment": "i", "obscene": "o"}


def site_buttons(grounds: Sequence[GroundView]) -> list[CardButton]:
    """A card's buttons for a comment of a site with these grounds (in use, in order): approve,
    reject without a ground, one button per ground (spam is the spam action), not spam."""
    by_ground = [
        CardButton(
            g.title,
            Action.SPAM if g.key == "spam" else Action.REJECT,
            None if g.key == "spam" else g.key,
            GROUND_LETTERS.get(g.key),
            str(n) if n <= 9 else None,
            g.law,
        )
        for n, g in enumerate(grounds, start=1)
    ]
    return [CARD_BUTTONS[0], CARD_BUTTONS[1], *by_ground, CARD_BUTTONS[-1]]


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    score: str | None  # the score whose span covers it, for its colour and title
    weight: float


def highlight(
    body: str, spans: dict[str, list[Any]], scores: dict[str, float] | None = None
) -> list[Segment]:
    """The body cut into runs, each marked with the score whose explanation covers it.

    Where the spans of several scores overlap, the more specific score wins (a threat over
    plain toxicity), so the moderator sees what kind of problem each word is. A score below
    MIN_HIGHLIGHTED_SCORE is not highlighted: words that nudged a spam score of 0.09 up are
    not what the moderator is looking for.
    """
    owner: list[tuple[str, float] | None] = [None] * len(body)
    for score in reversed(HIGHLIGHTED):
        if scores is not None and scores.get(score, 0.0) < MIN_HIGHLIGHTED_SCORE:
            continue
        found = spans.get(score, [])
        # Only the words that matter: a span far weaker than the strongest of its score
        # ("a", "the" at +0.01) would hide the signal in noise.
        floor = max(MIN_SPAN_WEIGHT, SPAN_SHARE * max((s.weight for s in found), default=0))
        for span in found:
            if span.weight < floor:
                continue
            for i in range(max(span.start, 0), min(span.end, len(body))):
                owner[i] = (score, span.weight)
    segments: list[Segment] = []
    start = 0
    for i in range(1, len(body) + 1):
        if i == len(body) or owner[i] != owner[start]:
            mark = owner[start]
            segments.append(
                Segment(body[start:i], mark[0] if mark else None, mark[1] if mark else 0.0)
            )
            start = i
    return segments


def score_bars(item: QueueItem) -> list[tuple[str, float]]:
    return [(name, item.scores[name]) for name in SCORE_ORDER if name in item.scores]
