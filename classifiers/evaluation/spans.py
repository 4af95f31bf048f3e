"""Agreement of the toxicity explanations with the TOXICSPANS annotations (Pavlopoulos et al.,
ACL 2022): character F1 against the spans most raters marked, beside simple references."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.datasets import SourceFiles, ToxicSpansComment, read_toxic_spans
from classifiers.scorer import Scorer
from classifiers.types import CommentText

__all__ = ["SPAN_THRESHOLD", "SPAN_TOP_K", "char_f1", "span_f1"]

# Predicted toxic characters for span_f1: the toxicity spans that raise the logit by at least
# SPAN_THRESHOLD (multiply the odds by e^0.75 = 2.1 or more), at most SPAN_TOP_K of them.
# Chosen on the first 2,000 TOXICSPANS comments (mean F1 0.526 at 0.5, 0.549 at 0.75, 0.544 at
# 1.0, 0.524 at 2.0, with top 8): a broad plateau, so the figure is not a knife-edge pick.
# Weaker spans are mostly pronouns and function words ("you", "are") near an insult.
SPAN_THRESHOLD = 0.75
SPAN_TOP_K = 8
_METHODS = ("explain", "ldnoobw_lexicon", "no_spans")


def char_f1(predicted: set[int] | frozenset[int], gold: set[int] | frozenset[int]) -> float:
    """SemEval-2021 Task 5 per-comment F1 of character offsets (1.0 when both are empty)."""
    if not gold and not predicted:
        return 1.0
    common = len(predicted & gold)
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def _lexicon_marker(data_dir: Path) -> re.Pattern[str]:
    path = Path(data_dir) / "ldnoobw_profanity" / "en"
    terms = {line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines()}
    alternatives = "|".join(re.escape(t) for t in sorted(terms - {""}, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)


def _per_comment_f1(
    scorer: Scorer,
    comments: list[ToxicSpansComment],
    marker: re.Pattern[str],
    threshold: float,
    top_k: int,
) -> dict[str, list[float]]:
    """Per method, each comment's character F1 against its ground truth."""
    scores: dict[str, list[float]] = {m: [] for m in _METHODS}
    batch = 512
    for first in range(0, len(comments), batch):
        chunk = comments[first : first + batch]
        explanations = scorer.explain([CommentText(c.text) for c in chunk], top_k=top_k)
        for comment, explanation in zip(chunk, explanations, strict=True):
            predicted = {
                i
                for span in explanation.toxicity
                if span.weight >= threshold
                for i in range(span.start, span.end)
            }
            lexical = {i for m in marker.finditer(comment.text) for i in range(*m.span())}
            scores["explain"].append(char_f1(predicted, comment.gold))
            scores["ldnoobw_lexicon"].append(char_f1(lexical, comment.gold))
            scores["no_spans"].append(char_f1(set(), comment.gold))
    return scores


def _mean(values: list[float], mask: np.ndarray | None = None) -> float:
    array = np.asarray(values, dtype=np.float64)
    if mask is not None:
        array = array[mask]
    return round(float(array.mean()), 4) if array.size else float("nan")


def span_f1(
    scorer: Scorer,
    data_dir: str | Path,
    limit: int | None = None,
    *,
    threshold: float = SPAN_THRESHOLD,
    top_k: int = SPAN_TOP_K,
) -> dict[str, Any]:
    """Character F1 of the toxicity explanations against TOXICSPANS, with references.

    ``data_dir`` is the shared datasets folder (with ``toxic_spans_civil_comments/`` and
    ``ldnoobw_profanity/``); ``limit`` takes the first comments in file order. Returns the
    mean per-comment F1 of: the explanation spans weighing at least ``threshold`` (at most
    ``top_k``), every LDNOOBW word marked, and no span at all; over all comments and over
    those with a non-empty ground truth. ``"table"`` is the same as markdown.
    """
    data_dir = Path(data_dir)
    comments: list[ToxicSpansComment] = []
    for comment in read_toxic_spans(SourceFiles(data_dir)):
        comments.append(comment)
        if limit is not None and len(comments) >= limit:
            break
    marker = _lexicon_marker(data_dir)
    scores = _per_comment_f1(scorer, comments, marker, threshold, top_k)
    with_gold = np.asarray([bool(c.gold) for c in comments], dtype=bool)
    f1 = {m: _mean(scores[m]) for m in _METHODS}
    f1_gold = {m: _mean(scores[m], with_gold) for m in _METHODS}
    rules = {
        "explain": f"Scorer.explain toxicity spans, weight >= {threshold:g}, top {top_k}",
        "ldnoobw_lexicon": "every LDNOOBW term (whole words, case-insensitive)",
        "no_spans": "predict no span",
    }
    lines = [
        f"Toxic-span character F1 on TOXICSPANS ({len(comments)} comments, "
        f"{int(with_gold.sum())} with a majority span; model {scorer.version})",
        "",
        "| method | rule | F1, all comments | F1, comments with a span |",
        "|---|---|---:|---:|",
        *(f"| {m} | {rules[m]} | {f1[m]:.3f} | {f1_gold[m]:.3f} |" for m in _METHODS),
    ]
    return {
        "model_version": scorer.version,
        "comments": len(comments),
        "comments_with_gold_spans": int(with_gold.sum()),
        "threshold": threshold,
        "top_k": top_k,
        "f1": f1,
        "f1_comments_with_gold_spans": f1_gold,
        "rules": rules,
        "table": "\n".join(lines) + "\n",
    }
