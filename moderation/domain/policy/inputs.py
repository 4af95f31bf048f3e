"""What one decision reads (DecisionInputs), and the measures the rules take of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from moderation.domain.policy.signals import untargeted_profanity
from moderation.domain.policy.text import count_links, repetition, words
from moderation.domain.policy.thresholds import Thresholds
from moderation.domain.wordlists import WordHits

if TYPE_CHECKING:
    # Only named in annotations: importing it here made domain.authors -> schemas ->
    # statements -> policy -> inputs -> domain.authors a cycle whenever authors came first.
    from moderation.domain.authors import AuthorStanding

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


@dataclass(frozen=True, slots=True)
class DecisionInputs:
    """One comment as the policy sees it: its scores and body, its site's thresholds and what
    the worker found out about it; then what the rules measure of it, taken once when the
    record is made (below the inputs) or read off them (the properties)."""

    spam: float
    toxicity: float
    body: str
    thresholds: Thresholds
    # How many comments with this text (this one included, earlier ones within the flood
    # window) were submitted; None where nobody counted (scoring a file, no database).
    copies: int | None = None
    # The toxicity attribute scores (threat, identity_attack, ...); a model trained before they
    # existed gives none, and their rules are then not applied.
    attributes: Mapping[str, float] | None = None
    # The toxicity of `without_quotes(body)`, scored by the caller for a comment at or above the
    # reject toxicity that quotes something (None otherwise, and ignored below that toxicity).
    unquoted_toxicity: float | None = None
    # The author's ban, trust and history, and the site's blocked and suspect words found in
    # the body: None where nobody looked them up (scoring a file), and their rules are then not
    # applied.
    standing: AuthorStanding | None = None
    word_hits: WordHits | None = None
    # The cues found in the text (name -> the words that matched; see classifiers.cues and
    # classifiers.link_signals), None where nobody looked.
    signals: Mapping[str, str] | None = None

    # Measured when the record is made. The words of the body, case-folded, in order.
    tokens: list[str] = field(init=False, repr=False, compare=False)
    links: int = field(init=False, repr=False, compare=False)
    # The share of words in repeated phrases; None when the comment is too short for the rule
    # to mean anything, so it is not applied.
    repeated: float | None = field(init=False, repr=False, compare=False)
    # Swearing at nobody: judged by the site's profanity setting, not by the toxicity rules.
    profane_only: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        limits = self.thresholds
        tokens = words(self.body)
        repeated = repetition(tokens) if len(tokens) >= limits.repetition_min_words else None
        profane_only = untargeted_profanity(
            self.toxicity, self.attribute_scores, self.cues, limits.toxicity_hold
        )
        # A frozen record sets its own measures the way its generated __init__ does.
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "links", count_links(self.body))
        object.__setattr__(self, "repeated", repeated)
        object.__setattr__(self, "profane_only", profane_only)

    @property
    def attribute_scores(self) -> Mapping[str, float]:
        return self.attributes or {}

    @property
    def cues(self) -> Mapping[str, str]:
        return self.signals or {}

    @property
    def flood(self) -> int | None:
        """The copies of this text; None when nobody counted or the text is too short to be a
        flood, so the rule is not applied."""
        if self.copies is not None and len(self.tokens) >= self.thresholds.flood_min_words:
            return self.copies
        return None

    @property
    def judged_toxicity(self) -> float:
        """The toxicity the toxicity rules judge: none for swearing at nobody."""
        return 0.0 if self.profane_only else self.toxicity

    @property
    def too_toxic(self) -> bool:
        return self.judged_toxicity >= self.thresholds.toxicity_reject

    @property
    def outside_quotes(self) -> float | None:
        """Reported speech: the toxicity outside the quotes when only the quoted words reach
        the reject threshold; None when the rule does not apply."""
        unquoted = self.unquoted_toxicity
        if self.too_toxic and unquoted is not None and unquoted < self.thresholds.toxicity_reject:
            return unquoted
        return None

    @property
    def attribute_holds(self) -> list[tuple[str, float, float]]:
        """(name, score, hold threshold) of each holding attribute the model scored."""
        holds = {
            "threat": self.thresholds.threat_hold,
            "identity_attack": self.thresholds.identity_attack_hold,
        }
        scores = self.attribute_scores
        return [(name, scores[name], holds[name]) for name in HOLDING_ATTRIBUTES if name in scores]
