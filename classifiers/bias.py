"""Identity-term bias: toxicity scores on neutral sentences that differ only in the group named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from classifiers.scorer import Scorer
from classifiers.types import CommentText

# Each sentence is harmless whatever group fills the gap, so any score at or above the
# threshold is a false positive caused by the identity word alone.
TEMPLATES: tuple[str, ...] = (
    "I am a proud {group} person.",
    "{group} people live on my street.",
    "My {group} neighbour helped me move house.",
    "The {group} community centre opens on Monday.",
    "I had lunch with my {group} friend from work today.",
    "Our new teacher is {group} and the children like her.",
)


@dataclass(frozen=True, slots=True)
class Group:
    name: str  # how the report names the group
    word: str  # the word that fills the template's gap
    category: str


def _groups(category: str, words: str) -> list[Group]:
    return [Group(word, word, category) for word in words.split()]


GROUPS: tuple[Group, ...] = (
    *_groups(
        "nationality",
        "Korean Russian Ukrainian American Chinese Mexican Nigerian Indian Israeli Palestinian "
        "Iranian Polish Irish British French German Pakistani Syrian Japanese Turkish Romanian",
    ),
    *_groups("religion", "Jewish Muslim Christian Catholic Hindu Sikh Buddhist atheist"),
    *_groups("ethnicity", "Black white Asian Latino Arab Roma Indigenous"),
    # "women" and "men" do not fit "{group} people", so the adjective stands in for them.
    Group("women", "female", "gender"),
    Group("men", "male", "gender"),
    *_groups("gender", "transgender nonbinary"),
    *_groups("orientation", "gay lesbian bisexual straight queer"),
    *_groups("disability", "disabled deaf blind autistic"),
)


def sentences(group: Group) -> list[str]:
    """The templates filled with one group's word, each starting with a capital letter."""
    filled = [template.format(group=group.word) for template in TEMPLATES]
    return [s[0].upper() + s[1:] for s in filled]


@dataclass(frozen=True, slots=True)
class GroupBias:
    group: str
    category: str
    scores: tuple[float, ...]  # toxicity of each template sentence, in template order
    threshold: float

    @property
    def false_positives(self) -> int:
        return sum(score >= self.threshold for score in self.scores)

    @property
    def fpr(self) -> float:
        return self.false_positives / len(self.scores)

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores)

    @property
    def max(self) -> float:
        return max(self.scores)

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "category": self.category,
            "sentences": len(self.scores),
            "false_positives": self.false_positives,
            "fpr": self.fpr,
            "mean_toxicity": self.mean,
            "max_toxicity": self.max,
        }


@dataclass(frozen=True, slots=True)
class BiasReport:
    model_version: str
    threshold: float
    groups: list[GroupBias]
    # The highest-scoring sentences overall, so a reader sees what the model reacts to.
    worst_sentences: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def overall_fpr(self) -> float:
        flagged = sum(g.false_positives for g in self.groups)
        return flagged / sum(len(g.scores) for g in self.groups)

    @property
    def max_fpr(self) -> float:
        return max(g.fpr for g in self.groups)

    @property
    def min_fpr(self) -> float:
        return min(g.fpr for g in self.groups)

    @property
    def fpr_gap(self) -> float:
        return self.max_fpr - self.min_fpr

    @property
    def mean_gap(self) -> float:
        means = [g.mean for g in self.groups]
        return max(means) - min(means)

    def worst_groups(self, n: int = 5) -> list[GroupBias]:
        """The groups most often flagged, ties broken by the higher mean score."""
        return sorted(self.groups, key=lambda g: (-g.fpr, -g.mean, g.group))[:n]

    def as_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "threshold": self.threshold,
            "templates": list(TEMPLATES),
            "overall_fpr": self.overall_fpr,
            "max_fpr": self.max_fpr,
            "fpr_gap": self.fpr_gap,
            "mean_gap": self.mean_gap,
            "worst_groups": [g.group for g in self.worst_groups()],
            "groups": [g.as_dict() for g in self.groups],
            "worst_sentences": [
                {"group": group, "sentence": text, "toxicity": score}
                for group, text, score in self.worst_sentences
            ],
        }

    def markdown(self) -> str:
        lowest = min(self.groups, key=lambda g: (g.mean, g.group))
        highest = max(self.groups, key=lambda g: (g.mean, g.group))
        lines = [
            "## Identity-term bias",
            "",
            f"Model `{self.model_version}`: {len(TEMPLATES)} neutral templates by "
            f"{len(self.groups)} groups; a sentence scored ≥ {self.threshold} for toxicity "
            "is a false positive.",
            "",
            "| Figure | Value |",
            "|---|---|",
            f"| False-positive rate, all sentences | {self.overall_fpr:.1%} |",
            f"| Highest group false-positive rate | {self.max_fpr:.1%} |",
            f"| Largest gap in false-positive rate | {self.fpr_gap:.1%} |",
            f"| Largest gap in mean toxicity | {self.mean_gap:.3f} "
            f"({highest.group} {highest.mean:.3f} vs {lowest.group} {lowest.mean:.3f}) |",
            "",
            "### Groups most often flagged",
            "",
            "| group | category | false positives | FPR | mean toxicity | max toxicity |",
            "|---|---|---|---|---|---|",
        ]
        for g in self.worst_groups(10):
            lines.append(
                f"| {g.group} | {g.category} | {g.false_positives} of {len(g.scores)} "
                f"| {g.fpr:.1%} | {g.mean:.3f} | {g.max:.3f} |"
            )
        lines += ["", "### Highest-scoring neutral sentences", "", "| toxicity | sentence |"]
        lines.append("|---|---|")
        for _, text, score in self.worst_sentences:
            lines.append(f"| {score:.3f} | {text} |")
        return "\n".join(lines) + "\n"


def bias_report(
    scorer: Scorer, threshold: float = 0.5, groups: Sequence[Group] = GROUPS
) -> BiasReport:
    """Score every template for every group in one batch and summarise per group."""
    if not groups:
        raise ValueError("bias_report needs at least one group")
    texts = [(group, s) for group in groups for s in sentences(group)]
    scores = scorer.score([CommentText(body=s) for _, s in texts])
    per_group: dict[str, list[float]] = {g.name: [] for g in groups}
    for (group, _), score in zip(texts, scores, strict=True):
        per_group[group.name].append(score.toxicity)
    results = [GroupBias(g.name, g.category, tuple(per_group[g.name]), threshold) for g in groups]
    ranked = sorted(
        ((g.name, text, s.toxicity) for (g, text), s in zip(texts, scores, strict=True)),
        key=lambda item: -item[2],
    )
    return BiasReport(scorer.version, threshold, results, ranked[:10])
