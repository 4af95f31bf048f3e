"""Explanations point at the words a moderator should look at, in the comment as written."""
# ruff: noqa: RUF001, RUF003  (look-alike characters are the point of this file)

from __future__ import annotations

import csv
import itertools
import random
from pathlib import Path

import numpy as np
import pytest

from classifiers import CommentText, Scorer
from classifiers.evaluation import SPAN_THRESHOLD, span_f1
from classifiers.explain import _Head, _ngram_occurrences
from classifiers.features import _hash_texts
from classifiers.normalise import normalise_text, normalise_with_offsets, normalise_with_spans
from classifiers.types import Explanation
from tests.conftest import ROOT, require

DATASETS = ROOT.parent / "shared" / "datasets"


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load()


def _explain(scorer: Scorer, body: str, top_k: int = 8) -> Explanation:
    return scorer.explain([CommentText(body)], top_k=top_k)[0]


def test_toxicity_span_is_the_insult(scorer: Scorer) -> None:
    body = "You are an idiot and your article is fine"
    spans = _explain(scorer, body).toxicity
    assert "idiot" in spans[0].text
    assert spans[0].text == "idiot"
    assert (spans[0].start, spans[0].end) == (11, 16)
    assert all(a.weight >= b.weight for a, b in itertools.pairwise(spans))


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("You are an 1d10t", "1d10t"),
        ("you are an i d i o t", "i d i o t"),
        ("you are an idiоt", "idiоt"),  # Cyrillic о
        ("you are an id\u200biot", "id\u200biot"),  # zero-width space
        ("what a stuuuupid article", "stuuuupid"),
    ],
)
def test_obfuscated_insult_maps_back_to_what_was_written(
    scorer: Scorer, body: str, word: str
) -> None:
    top = _explain(scorer, body).toxicity[0]
    start = body.index(word)
    assert (top.start, top.end) == (start, start + len(word))
    assert top.text == word
    assert top.weight >= SPAN_THRESHOLD


def test_masked_profanity_span_covers_the_mask(scorer: Scorer) -> None:
    body = "what the f*** is this"
    texts = [span.text for span in _explain(scorer, body, top_k=20).toxicity]
    assert "f***" in texts


@pytest.mark.parametrize(
    "body",
    [
        "The council should publish the budget figures before the vote.",
        "Thanks for the thoughtful reply, good point about taxes.",
        "My neighbours have waited months for the bridge repairs promised last spring.",
    ],
)
def test_clean_comment_has_no_strong_toxicity_span(scorer: Scorer, body: str) -> None:
    # Below what counts as a toxic span (the insults above reach it): the word vectors give
    # every word a little weight, and "neighbours" leans 0.57 to abuse (0.44 before them).
    spans = _explain(scorer, body).toxicity
    assert max((span.weight for span in spans), default=0.0) < SPAN_THRESHOLD


def test_spam_explanation_shows_the_link(scorer: Scorer) -> None:
    body = "Earn money from home!! visit www.cash-now.example.com today"
    explanation = _explain(scorer, body)
    assert any("www.cash-now.example.com" in span.text for span in explanation.spam)
    assert explanation.signals["links"] > 0
    assert explanation.signals["scam_terms"] > 0
    assert "links" not in _explain(scorer, "no link in this comment").signals


def test_spam_explanation_shows_the_phone_number(scorer: Scorer) -> None:
    body = "Congratulations! You won a FREE prize, call 0906 170 1461 to claim now"
    explanation = _explain(scorer, body)
    # Among the top six: "call", "FREE", "claim", "prize" and "won" weigh about as much.
    assert any("0906 170 1461" in span.text for span in explanation.spam[:6])
    assert explanation.signals["phone"] > 0


def test_explain_does_not_change_scores(scorer: Scorer) -> None:
    comments = [CommentText("You are an idiot"), CommentText("visit www.spam.example.com")]
    before = scorer.score(comments)
    assert len(scorer.explain(comments)) == 2
    assert scorer.score(comments) == before
    assert scorer.explain([]) == []


def test_toxicity_weights_add_up_to_the_logit(scorer: Scorer) -> None:
    # The toxicity model has no metadata: every bit of its logit but the intercept sits on
    # some word, so the words' weights (positive and negative) sum to it.
    pipeline = scorer._toxicity
    head = _Head(pipeline)
    bodies = ["You are an 1d10t!!", "what the f*** is this", "Go to hell, you moron."]
    rows = [(b, "", "", "") for b in bodies]
    parts = list(head.explain(rows, [normalise_with_spans(b) for b in bodies], {}, {}))
    logits = pipeline.decision_function(np.asarray(rows, dtype=object))
    intercept = float(pipeline[-1].intercept_[0])
    for (pieces, _signals), logit in zip(parts, logits, strict=True):
        assert sum(w for _, _, w in pieces) == pytest.approx(logit - intercept, abs=1e-3)


def _random_text(rng: random.Random) -> str:
    pools = [
        "abcdefghijklmnopqrstuvwxyz",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "0123456789013457@$!|+€",
        " .-_*",
        " \t\n\u00a0\u2028\u3000\x1c",
        "\u200b\u200d\u00ad\ufeff\u2060",
        "аеорсхіѕαορεΣς",
        "\u0301\u0308\u0327\u0338",
        "ﬁﬂß İ½™ǅＡＢ１",
        "\u1100\u1161\u11a8가",
        "!?,'\"()🖕😀",
    ]
    out = []
    for _ in range(rng.randint(0, 40)):
        ch = rng.choice(rng.choice(pools))
        out.append(ch * (rng.randint(2, 5) if rng.random() < 0.1 else 1))
    return "".join(out)


def _assert_offsets_valid(text: str) -> None:
    normalised, offsets = normalise_with_offsets(text)
    assert normalised == normalise_text(text), text
    _, starts, ends = normalise_with_spans(text)
    assert starts == offsets
    assert len(offsets) == len(normalised)
    assert offsets == sorted(offsets)
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends, strict=True)), text


def test_normalise_with_offsets_equals_normalise_text_on_random_strings() -> None:
    rng = random.Random(20240531)
    texts = [_random_text(rng) for _ in range(5000)]
    texts += ["", " ", "\u200b", "idiot", "ID\u200bIOT", "e\u0301", "<\u0338", "\u1100\u1161"]
    for text in texts:
        _assert_offsets_valid(text)


def test_normalise_with_offsets_points_at_the_source_characters() -> None:
    assert normalise_with_offsets("id\u200biot") == ("idiot", [0, 1, 3, 4, 5])
    assert normalise_with_offsets("I d i o t") == ("idiot", [0, 2, 4, 6, 8])
    assert normalise_with_offsets("  1d10t  x") == ("idiot x", [2, 3, 4, 5, 6, 7, 9])
    assert normalise_with_offsets("stuuupid") == ("stupid", [0, 1, 2, 5, 6, 7])
    assert normalise_with_offsets("ﬁne") == ("fine", [0, 0, 1, 2])
    # A squeezed repeat and a stripped accent still cover their whole source.
    assert normalise_with_spans("noooo!")[2] == [1, 5, 6]
    assert normalise_with_spans("e\u0301!")[2] == [2, 3]


def _dataset_texts() -> list[str]:
    texts: list[str] = []
    sources = [
        ("toxic_spans_civil_comments/comments.csv", "comment_text"),
        ("jigsaw_toxic_sample/jigsaw_sample.csv", "comment_text"),
        ("davidson_hate_offensive/labeled_data.csv", "tweet"),
        ("stormfront_hate_speech/stormfront_combined.csv", "text"),
        *((f"youtube_spam/{p.name}", "CONTENT") for p in DATASETS.glob("youtube_spam/*.csv")),
    ]
    for name, column in sources:
        with (DATASETS / name).open(encoding="utf-8", newline="") as fh:
            # Every non-ASCII text (where the offsets are hard) and every 16th of the rest.
            texts += [
                row[column]
                for i, row in enumerate(csv.DictReader(fh))
                if i % 16 == 0 or not row[column].isascii()
            ]
    sms = (DATASETS / "sms_spam" / "SMSSpamCollection").read_text(encoding="utf-8")
    texts += [line.partition("\t")[2] for line in sms.splitlines()[::16]]
    return texts


def test_normalise_with_offsets_equals_normalise_text_on_real_comments() -> None:
    require(DATASETS.is_dir(), f"shared datasets not found at {DATASETS}")
    texts = _dataset_texts()
    assert len(texts) > 4000
    for text in texts:
        _assert_offsets_valid(text)


def test_span_offsets_always_match_the_body(scorer: Scorer) -> None:
    rng = random.Random(7)
    bodies = [_random_text(rng) for _ in range(300)]
    bodies += [
        "You are an idiot and your article is fine",
        "CALL NOW 0800 123 4567!!! http://x.example.com/win?id=3 sh!t f.u.c.k",
        "İstanbul ﬁne café — Σ idiоt\u200b!!",
    ]
    for body, explanation in zip(bodies, scorer.explain([CommentText(b) for b in bodies], top_k=5),
                                 strict=True):  # fmt: skip
        for spans in (explanation.spam, explanation.toxicity):
            assert len(spans) <= 5
            for span in spans:
                assert body[span.start : span.end] == span.text
                assert 0 <= span.start < span.end <= len(body)
                assert span.weight > 0
            ordered = sorted(spans, key=lambda s: s.start)
            assert all(a.end < b.start for a, b in itertools.pairwise(ordered))
        assert all(v > 0 for v in explanation.signals.values())


def test_occurrences_reproduce_the_featurizer_counts(scorer: Scorer) -> None:
    # explain.py re-derives where each hashed n-gram occurs; it must count exactly what the
    # featurizer hashes, or weights would land on the wrong words.
    featurizer = scorer._toxicity[0]
    rng = random.Random(3)
    texts = [normalise_text(_random_text(rng)) for _ in range(200)]
    texts += [normalise_text("You are an idiot and your article is fine"), ""]
    for text in texts:
        expected = _hash_texts(
            [text],
            tuple(featurizer.word_ngram_range),
            tuple(featurizer.char_ngram_range),
            featurizer.word_bits,
            featurizer.char_bits,
        )
        cols, lows, highs = _ngram_occurrences(text, featurizer)
        unique, counts = np.unique(cols, return_counts=True)
        assert unique.tolist() == expected.indices.tolist(), text
        assert counts.tolist() == expected.data.astype(int).tolist(), text
        assert ((lows >= 0) & (lows < highs) & (highs <= len(text))).all()


def _write_toxic_spans(root: Path, gold: dict[str, list[tuple[int, int]]]) -> Path:
    """A TOXICSPANS-layout folder: two of three raters mark ``gold[text]``, the third marks
    the last word (a minority, so not ground truth)."""
    folder = root / "toxic_spans_civil_comments"
    folder.mkdir(parents=True)
    comments, annotations, spans = [], [], []
    for i, (text, ranges) in enumerate(gold.items()):
        cid = 500 + i
        comments.append([cid, text])
        for rater in range(3):
            annotation = 10 * i + rater
            annotations.append([annotation, cid, rater, "USA", False, not ranges and rater < 2])
            for start, end in ranges if rater < 2 else [(text.rindex(" ") + 1, len(text))]:
                spans.append([annotation, "Insult", start, end])
    for name, header, rows in (
        ("comments.csv", ["comment_id", "comment_text"], comments),
        ("annotations.csv", ["annotation", "comment_id", "worker", "country", "all toxic",
                             "not toxic"], annotations),
        ("spans.csv", ["annotation", "type", "start", "end"], spans),
    ):  # fmt: skip
        with (folder / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
    lexicon = root / "ldnoobw_profanity" / "en"
    lexicon.parent.mkdir(parents=True)
    lexicon.write_text("fuck\nshit\n", encoding="utf-8")
    return root


_INSULT = "You are an idiot and your article is fine"
_STUPID = "what a stupid article"
_CLEAN = "The council should publish the budget figures before the vote."


def test_span_f1_is_one_for_a_perfect_match(scorer: Scorer, tmp_path: Path) -> None:
    root = _write_toxic_spans(tmp_path, {_INSULT: [(11, 16)], _STUPID: [(7, 13)], _CLEAN: []})
    result = span_f1(scorer, root)
    assert result["comments"] == 3
    assert result["comments_with_gold_spans"] == 2
    assert result["f1"]["explain"] == 1.0
    assert result["f1"]["no_spans"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["f1"]["ldnoobw_lexicon"] == pytest.approx(1 / 3, abs=1e-4)
    table = result["table"]
    assert "| explain |" in table and "| ldnoobw_lexicon |" in table
    assert "| 1.000 |" in table
    assert span_f1(scorer, root, limit=1)["comments"] == 1


def test_span_f1_is_lower_for_a_wrong_match(scorer: Scorer, tmp_path: Path) -> None:
    # Raters marked "article" and "fine"; the model points at "idiot" and "stupid".
    root = _write_toxic_spans(tmp_path, {_INSULT: [(26, 33)], _STUPID: [(0, 4)], _CLEAN: [(4, 11)]})
    result = span_f1(scorer, root)
    assert result["f1"]["explain"] == 0.0
    half = _write_toxic_spans(tmp_path / "half", {_INSULT: [(11, 16), (26, 33)]})
    # Predicted "idiot" (5 chars) of gold "idiot" + "article" (12): P 1, R 5/12.
    assert span_f1(scorer, half)["f1"]["explain"] == pytest.approx(2 * (5 / 12) / (1 + 5 / 12),
                                                                    abs=1e-4)  # fmt: skip


def test_span_f1_on_toxicspans_beats_the_lexicon(scorer: Scorer) -> None:
    require(DATASETS.is_dir(), f"shared datasets not found at {DATASETS}")
    result = span_f1(scorer, DATASETS, limit=300)
    assert result["comments"] == 300
    f1 = result["f1"]
    # Measured on the first 300 comments with model v0-20261129-c4993aa1: explain 0.570,
    # lexicon 0.386, no spans 0.360 (0.625 / 0.130 on comments with a gold span).
    assert f1["explain"] > f1["ldnoobw_lexicon"] + 0.1
    assert f1["explain"] > f1["no_spans"] + 0.1
    assert f1["explain"] >= 0.5
    assert result["f1_comments_with_gold_spans"]["explain"] >= 0.55
