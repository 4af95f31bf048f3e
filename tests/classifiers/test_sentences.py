"""A long comment's scores are the highest of its sentences' and the whole's (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers import CommentText, Scorer
from classifiers.cues import sentence_bounds
from classifiers.normalise import normalise_text

REASONABLE = (
    "I read the whole piece on the bypass and I broadly agree with the council's plan. "
    "The traffic figures look right to me and the consultation was fair. "
    "My only worry is the cost of the second bridge over the river. "
)
ABUSE = "And the reporter who wrote this is a worthless piece of garbage."


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load()


def test_an_abusive_sentence_is_not_averaged_away_by_a_reasonable_comment(scorer: Scorer) -> None:
    alone, buried, clean = scorer.score(
        [CommentText(ABUSE), CommentText(REASONABLE + ABUSE), CommentText(REASONABLE)]
    )
    # The buried sentence is scored as itself: at least as toxic as on its own.
    assert buried.toxicity >= alone.toxicity - 1e-6
    assert buried.toxicity > clean.toxicity
    for name, value in alone.attributes.items():
        assert buried.attributes[name] >= value - 1e-6, name


def test_spam_stays_the_whole_comments_score(scorer: Scorer) -> None:
    comment = CommentText(
        REASONABLE + "Great post. Visit my shop for cheap watches.", url="https://watches.example"
    )
    (shared,) = scorer.score([comment])
    (reference,) = scorer.score_with_pipelines([comment])
    assert shared.spam == pytest.approx(reference.spam, abs=1e-5)


def test_the_shared_heads_take_the_highest_of_the_whole_and_each_sentence(scorer: Scorer) -> None:
    bodies = [REASONABLE + ABUSE, "Short and clean.", REASONABLE]
    scores = scorer.score([CommentText(b) for b in bodies])
    for body, score in zip(bodies, scores, strict=True):
        text = normalise_text(body)
        parts = [text[a:b] for a, b in sentence_bounds(text)]
        # Each sentence scored as a comment of its own, by each saved pipeline.
        candidates = scorer.score_with_pipelines([CommentText(body)])
        if len(parts) > 1:
            candidates += scorer.score_with_pipelines([CommentText(p) for p in parts])
        expected = np.max([[c.toxicity, *c.attributes.values()] for c in candidates], axis=0)
        got = [score.toxicity, *score.attributes.values()]
        assert got == pytest.approx(expected.tolist(), abs=1e-5)


def test_the_explanation_points_at_the_sentence_whose_score_it_is(scorer: Scorer) -> None:
    body = REASONABLE + ABUSE
    (explanation,) = scorer.explain([CommentText(body)])
    start, end = explanation.sentences["toxicity"]
    assert body[start:end] == ABUSE
    assert explanation.toxicity, "the abusive sentence has spans"
    assert all(start <= s.start and s.end <= end for s in explanation.toxicity)
    assert "garbage" in {s.text.lower() for s in explanation.toxicity}
