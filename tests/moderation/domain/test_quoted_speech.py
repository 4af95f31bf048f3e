"""Quoted speech: reporting what someone said is held for a moderator, not rejected (pure)."""

from __future__ import annotations

import pytest

from moderation.domain.policy import (
    MAX_QUOTED_CHARS,
    DecisionInputs,
    Reason,
    Thresholds,
    decide,
    quoted_passages,
    without_quotes,
)
from moderation.domain.statuses import CommentStatus
from tests.support.tables import cases

T = Thresholds(spam_reject=0.9, toxicity_reject=0.9)  # round thresholds: each case reads plainly
REPORT = "The witness said the attacker yelled 'die, you scum' before the assault. Horrifying."

# (test id, text, the quoted passages, marks excluded)
PASSAGE_ROWS = [
    ("straight double", 'He said "go home" twice.', ["go home"]),
    ("curly double", "He said \u201cgo home\u201d twice.", ["go home"]),
    ("guillemets", "Il a dit \u00abrentre chez toi\u00bb hier.", ["rentre chez toi"]),
    ("spaced guillemets", "Il a dit \u00ab rentre chez toi \u00bb hier.", [" rentre chez toi "]),
    ("German low-high", "Er rief \u201egeh nach Hause\u201c laut.", ["geh nach Hause"]),
    ("Polish low-high", "Krzyczał \u201eidź do domu\u201d głośno.", ["idź do domu"]),
    (
        "CJK corner brackets",
        "\u5f7c\u306f\u300c\u5e30\u308c\u300d\u3068\u8a00\u3063\u305f",
        ["\u5e30\u308c"],
    ),
    ("single quote", "The MP called them 'vermin' in a speech.", ["vermin"]),
    ("curly single", "The MP called them \u2018vermin\u2019 in a speech.", ["vermin"]),
    ("single at the start and end", "'vermin'", ["vermin"]),
    ("after an opening bracket", "(he said 'vermin')", ["vermin"]),
    ("after a colon", "The banner read:'Go home'.", ["Go home"]),
    (
        "closed by punctuation",
        "Called them 'vermin', 'scum'; and 'rats'!",
        ["vermin", "scum", "rats"],
    ),
    ("apostrophe inside a single quote", "He said 'don't do it' loudly.", ["don't do it"]),
    (
        "curly apostrophe inside a curly quote",
        "He said \u2018don\u2019t do it\u2019 loudly.",
        ["don\u2019t do it"],
    ),
    (
        "a quote inside a quote belongs to it",
        "She wrote \"he called me 'scum'\" today.",
        ["he called me 'scum'"],
    ),
    ("several passages", 'First "one", then "two" and "three".', ["one", "two", "three"]),
    (
        "a quote spanning a line",
        'He wrote "roses are red,\nviolets are blue" on it.',
        ["roses are red,\nviolets are blue"],
    ),
    # Apostrophes that are not quotes.
    ("contraction", "I don't think it's fair, and they'd agree.", []),
    ("singular possessive", "It was the witness' car.", []),
    ("plural possessive", "The drivers' union and the nurses' pay.", []),
    ("curly contraction", "I don\u2019t think it\u2019s fair.", []),
    ("elision then a quote", "Back in the '90s they said 'great' a lot.", ["great"]),
    (
        "possessive after a quote",
        "He called them 'animals' and the witness' car was hit.",
        ["animals"],
    ),
    ("inches are not quotes", 'A 6" pipe and a 4" pipe.', []),
    # Marks that open nothing.
    ("unclosed double", 'He said "go home and never came back.', []),
    ("unclosed single", "He said 'go home and never came back.", []),
    ("unclosed curly", "He said \u201cgo home and never came back.", []),
    ("empty quotes", "He said \"\" and '' and \u201c\u201d.", []),
    ("blank inside guillemets", "\u00ab \u00bb", []),
    ("opener followed by a space", "He said ' go home ' to me.", []),
    ("single quote does not cross a line", "He said 'go home\nand never' came back.", []),
    ("too long to be a quote", '"' + "a" * MAX_QUOTED_CHARS + 'a" and after', []),
    ("empty text", "", []),
]


@pytest.mark.parametrize(
    ("text", "passages"),
    cases(PASSAGE_ROWS),
)
def test_quoted_passages(text: str, passages: list[str]) -> None:
    found = quoted_passages(text)
    assert [text[start:end] for start, end in found] == passages
    # The spans exclude the marks, which sit just outside them.
    for start, end in found:
        assert text[start - 1] in "\"'\u2018\u201a\u201c\u201e\u00ab\u2039\u300c\u300e"
        assert text[end] in "\"'\u2019\u2018\u201d\u201c\u00bb\u203a\u300d\u300f"


def test_the_longest_passage_is_a_quote() -> None:
    text = '"' + "a" * MAX_QUOTED_CHARS + '" and after'
    assert quoted_passages(text) == [(1, MAX_QUOTED_CHARS + 1)]


# (text, the text without its quotes)
UNQUOTED_ROWS = [
    (REPORT, 'The witness said the attacker yelled "\u2026" before the assault. Horrifying.'),
    ('He said "go" and \u00abviens\u00bb.', 'He said "\u2026" and "\u2026".'),
    ("'scum' and 'rats'", '"\u2026" and "\u2026"'),
    ("I don't think the drivers' union agrees.", "I don't think the drivers' union agrees."),
    ("He said 'go home", "He said 'go home"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "unquoted"), UNQUOTED_ROWS)
def test_without_quotes_keeps_the_rest_readable(text: str, unquoted: str) -> None:
    assert without_quotes(text) == unquoted


def test_held_not_rejected_when_only_the_quoted_words_are_toxic() -> None:
    verdict = decide(DecisionInputs(0.01, 0.96, REPORT, T, unquoted_toxicity=0.34))

    assert verdict.status is CommentStatus.PENDING
    assert verdict.reasons == [
        Reason("toxicity", 0.96, 0.5),
        Reason("toxicity_outside_quotes", 0.34, 0.9, "<"),
    ]
    assert [r.text for r in verdict.reasons] == [
        "toxicity 0.96 >= 0.5",
        "toxicity_outside_quotes 0.34 < 0.9",
    ]
    assert verdict.reasons[1].as_dict() == {
        "rule": "toxicity_outside_quotes",
        "value": 0.34,
        "threshold": 0.9,
        "op": "<",
    }


def test_the_other_hold_rules_still_fire_beside_it() -> None:
    verdict = decide(
        DecisionInputs(
            0.6,
            0.99,
            REPORT,
            T,
            attributes={"threat": 0.97, "identity_attack": 0.2},
            unquoted_toxicity=0.1,
        )
    )

    assert verdict.status is CommentStatus.PENDING
    assert [r.text for r in verdict.reasons] == [
        "spam 0.60 >= 0.5",
        "toxicity 0.99 >= 0.5",
        "threat 0.97 >= 0.9",
        "toxicity_outside_quotes 0.10 < 0.9",
    ]


def test_held_even_when_the_hold_thresholds_are_above_its_scores() -> None:
    lax = Thresholds(toxicity_reject=0.9, toxicity_hold=0.95)
    verdict = decide(DecisionInputs(0.0, 0.92, REPORT, lax, unquoted_toxicity=0.2))

    assert verdict.status is CommentStatus.PENDING
    assert [r.rule for r in verdict.reasons] == ["toxicity_outside_quotes"]


@pytest.mark.parametrize("unquoted", [0.9, 0.97])
def test_rejected_when_it_is_as_toxic_outside_the_quotes(unquoted: float) -> None:
    verdict = decide(DecisionInputs(0.01, 0.99, REPORT, T, unquoted_toxicity=unquoted))

    assert verdict.status is CommentStatus.REJECTED
    assert verdict.reasons == [Reason("toxicity", 0.99, 0.9)]


def test_spam_wins_over_quoted_speech() -> None:
    verdict = decide(DecisionInputs(0.95, 0.97, REPORT, T, unquoted_toxicity=0.1))

    assert verdict.status is CommentStatus.SPAM
    assert [r.text for r in verdict.reasons] == ["spam 0.95 >= 0.9", "toxicity 0.97 >= 0.9"]


def test_without_an_unquoted_score_the_decision_is_todays() -> None:
    for spam, toxicity in [(0.01, 0.96), (0.95, 0.97), (0.01, 0.6), (0.01, 0.1)]:
        assert decide(DecisionInputs(spam, toxicity, REPORT, T, unquoted_toxicity=None)) == decide(
            DecisionInputs(spam, toxicity, REPORT, T)
        )


def test_an_unquoted_score_below_the_reject_toxicity_changes_nothing() -> None:
    for toxicity in (0.1, 0.6, 0.8999):
        assert decide(DecisionInputs(0.01, toxicity, REPORT, T, unquoted_toxicity=0.05)) == decide(
            DecisionInputs(0.01, toxicity, REPORT, T)
        )
