"""Sentences as the Perspective-compatible API's `spanScores` cut them: offsets into the text,
surrounding spaces left out."""

from __future__ import annotations

import pytest

from workers.analysis import MAX_SENTENCES, sentence_spans


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # Perspective's own example.
        (
            "What kind of idiot name is foo? Sorry, I like your name.",
            ["What kind of idiot name is foo?", "Sorry, I like your name."],
        ),
        ("No full stop at the end", ["No full stop at the end"]),
        ("  Spaces around.  ", ["Spaces around."]),
        ('He said "go away!" Then he left...', ['He said "go away!"', "Then he left..."]),
        ("First line\nsecond line\n\nthird", ["First line", "second line", "third"]),
        ("Version 2.5 is out. Really!?", ["Version 2.5 is out.", "Really!?"]),
        ("Wait\u2026 what?", ["Wait\u2026", "what?"]),
        ("   ", []),
    ],
)
def test_sentences(text: str, sentences: list[str]) -> None:
    spans = sentence_spans(text)

    assert [text[begin:end] for begin, end in spans] == sentences


def test_a_text_of_countless_sentences_ends_in_one_last_span() -> None:
    text = " ".join(f"Line {n}." for n in range(500))

    spans = sentence_spans(text)

    assert len(spans) == MAX_SENTENCES
    assert spans[-1] == (text.index(f"Line {MAX_SENTENCES - 1}."), len(text))
