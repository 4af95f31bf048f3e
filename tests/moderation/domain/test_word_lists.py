"""Word lists: whole words, wildcards with exceptions, phrases, and obfuscation seen through
(the worker passes the classifiers' normalised text; here it is written out by hand)."""

from __future__ import annotations

import pytest

from moderation.domain.wordlists import ListedTerm, WordKind, WordLists, clean_term


def lists(*rules: tuple[WordKind, str]) -> WordLists:
    return WordLists.compile(ListedTerm(kind, term) for kind, term in rules)


BLOCKED, SUSPECT, EXCEPTION = WordKind.BLOCKED, WordKind.SUSPECT, WordKind.EXCEPTION


def deleet(text: str) -> str:
    """A stand-in for the classifiers' normalisation (the worker passes the real one)."""
    return " ".join(text.casefold().translate(str.maketrans("1", "i")).split())


@pytest.mark.parametrize(
    ("body", "blocked"),
    [
        ("Buy Cialis here", ["cialis"]),
        ("My specialist said so", []),  # whole words only
        ("Cheap c1al1s!", ["cialis"]),  # leetspeak, via the normalisation
        ("C I A L I S for sale", ["cialis"]),  # spaced out
        ("get c 1 a l 1 s. now", ["cialis"]),  # both at once
        ("cialis, CIALIS and Cialis", ["cialis"]),  # reported once
        ("I got a 1 a l 1 score", []),
    ],
)
def test_a_blocked_word_is_found_as_a_whole_word(body: str, blocked: list[str]) -> None:
    assert lists((BLOCKED, "cialis")).match(body, deleet).blocked == blocked


def test_a_wildcard_is_stopped_by_an_exception() -> None:
    word_lists = lists((BLOCKED, "*cialis*"), (EXCEPTION, "specialist"), (EXCEPTION, "specialists"))

    assert word_lists.match("Ask a specialist about specialists").blocked == []
    assert word_lists.match("Order cialis-online today").blocked == ["cialis"]
    assert word_lists.match("buy viacialisx now").blocked == ["viacialisx"]


def test_suffix_wildcards_and_phrases() -> None:
    word_lists = lists((SUSPECT, "casino*"), (SUSPECT, "work from home"))

    hits = word_lists.match("Casinos online! I work  from home.")

    assert hits.suspect == ["casinos", "work from home"]  # in the order they are written
    assert hits.blocked == []
    assert word_lists.match("A home for work").suspect == []


@pytest.mark.parametrize(
    ("term", "cleaned"),
    [
        ("  Casino* ", "casino*"),
        ("work   from HOME", "work from home"),
        ("don't", "don't"),
        ("*", None),
        ("", None),
        ("a(b)", None),
        ("x" * 101, None),
    ],
)
def test_terms_are_cleaned_or_refused(term: str, cleaned: str | None) -> None:
    assert clean_term(term) == cleaned


def test_no_lists_match_nothing() -> None:
    word_lists = lists()

    assert word_lists.empty
    assert word_lists.match("anything at all").blocked == []
