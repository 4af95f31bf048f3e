"""Cues: who a sentence targets and what it says of them, and the cited list of hate codes."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifiers.cues import (
    _PATTERNS,
    ALL_CUES,
    HATE_CODES_FILE,
    MAX_SENTENCES,
    _hate_code_pattern,
    _sentence_cues,
    cue_places,
    find_cues,
    hate_codes,
    sentence_bounds,
)
from classifiers.normalise import normalise_text


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, delimiter="\t" if path.suffix == ".tsv" else ",")


def cues(text: str) -> dict[str, str]:
    return {cue.name: cue.text for cue in find_cues(normalise_text(text))}


def test_sentences_cover_the_text_and_short_ones_join_a_neighbour() -> None:
    text = normalise_text("Wow. The council voted for the new bus lanes. The U.S. did it too. Ok!")
    bounds = sentence_bounds(text)
    assert [text[a:b] for a, b in bounds] == [
        "wow. the council voted for the new bus lanes.",
        "the u.s. did it too. ok!",
    ]
    assert sentence_bounds("") == [(0, 0)]
    essay = " ".join(f"Sentence number {i} says something." for i in range(50))
    long_bounds = sentence_bounds(normalise_text(essay))
    assert len(long_bounds) == MAX_SENTENCES
    assert long_bounds[0][0] == 0 and long_bounds[-1][1] == len(normalise_text(essay))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Someone should pay him a visit.", {"threat_phrase", "person_attacked"}),
        ("I know where you live.", {"threat_phrase", "you_attacked"}),
        ("I'll be waiting for her outside the town hall", {"threat_phrase"}),
        ("Accidents happen to reporters who ask too many questions.", {"threat_phrase"}),
        ("Vermin, the lot of them.", {"group_dehumanised"}),
        ("Immigrants should be exterminated, all of them", {"group_harmed"}),
        ("kys", {"self_harm_call"}),
        ("Do us all a favour and die", {"self_harm_call"}),
        ("1488 brothers", {"hate_code"}),
        ("(((they))) own the banks", {"hate_code"}),
        ("Six million wasn't enough, 6mwe", {"hate_code"}),
    ],
)
def test_attacks_without_a_rude_word_are_found(text: str, expected: set[str]) -> None:
    assert expected <= cues(text).keys()


@pytest.mark.parametrize(
    "text",
    [
        "It's wrong to call refugees vermin.",
        "Stop calling immigrants parasites, they are our neighbours.",
        "The U.S. economy grew by 2% last year.",
        "Fucking brilliant reporting.",
        "The striker killed the game off in the second half.",
        "I'll get him to call you back tomorrow.",
        "His early life in Leeds is well told in the obituary.",
    ],
)
def test_counter_speech_idioms_and_plain_swearing_attack_nobody(text: str) -> None:
    found = cues(text)
    attacks = {"you_attacked", "person_attacked", "group_dehumanised", "group_harmed"}
    assert not attacks & found.keys(), found
    assert "self_harm_call" not in found and "hate_code" not in found


@pytest.mark.parametrize(
    "text",
    [
        "Accidents happen at that junction every winter; the council must fix the lights.",
        "Accidents happen, but this one was avoidable.",
    ],
)
def test_accidents_happening_is_a_threat_only_when_aimed_at_someone(text: str) -> None:
    assert "threat_phrase" not in cues(text)


def test_a_cue_is_placed_on_its_words() -> None:
    text = normalise_text("The budget is fine. But refugees are vermin and should be deported.")
    places = cue_places(text)
    (start, end), *_ = places["group_dehumanised"]
    assert text[start:end] == "vermin"
    assert set(places) <= set(ALL_CUES)


def test_every_hate_code_is_matched_as_written_and_cites_a_declared_source() -> None:
    lines = HATE_CODES_FILE.read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    declared = set(re.findall(r"^#\s+([A-Z]+)\s+=", header, flags=re.MULTILINE))
    assert declared, "the header names the sources"
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    assert len(rows) == len(hate_codes()) >= 30
    for code, meaning, source in rows:
        assert meaning.strip(), code
        assert source.strip() in declared, f"{code}: unknown source {source!r}"
        assert "hate_code" in cues(f"they said {code} again"), code


def _patterns_only(sentence: str) -> dict[str, tuple[int, int]]:
    """What ``_sentence_cues`` must find, without its word filter: every pattern searched."""
    found = {}
    for name, pattern in _PATTERNS.items():
        if name not in ("echo", "counter_speech"):
            match = pattern.search(sentence)
            if match is not None:
                found[name] = match.span()
    code = _hate_code_pattern().search(sentence) or _PATTERNS["echo"].search(sentence)
    if code is not None:
        found["hate_code"] = code.span()
    harm = found.get("harm_should") or found.get("threat_phrase")
    if harm or "dehumanising" in found:
        counter = _PATTERNS["counter_speech"].search(sentence)
        if counter is not None:
            found["counter_speech"] = counter.span()
    return found


def test_searching_only_where_a_cues_words_are_finds_what_every_pattern_finds(
    shared_datasets: Path,
) -> None:
    # The word filter is what keeps cues affordable on every sentence scored; it must never
    # change what the patterns find. Checked on real comments of every kind.
    texts = [
        row["comment_text"]
        for row in _rows(shared_datasets / "jigsaw_toxic_sample/jigsaw_sample.csv")
    ]
    texts += [
        row["post"]
        for row in _rows(shared_datasets / "implicit_hate_corpus/implicit_hate_v1_stg1_posts.tsv")
    ]
    interactions = {"you_attacked", "person_attacked", "group_dehumanised", "group_harmed"}
    checked = 0
    for text in texts[:12000]:
        normalised = normalise_text(text)
        for start, end in sentence_bounds(normalised):
            sentence = normalised[start:end]
            fast = {k: v for k, v in _sentence_cues(sentence).items() if k not in interactions}
            assert fast == _patterns_only(sentence), sentence
            checked += 1
    assert checked > 20000
