"""The table from the policy's reasons to the grounds a removal is stated on, and the words of
a statement's facts: pure functions, called with plain values."""

from __future__ import annotations

import pytest

from moderation.domain import statements
from moderation.domain.policy import Reason
from moderation.domain.statuses import CommentStatus

REJECTED, SPAM = CommentStatus.REJECTED, CommentStatus.SPAM


def named(*rules: str) -> list[Reason]:
    return [Reason(rule, "x", None, None) for rule in rules]


@pytest.mark.parametrize(
    ("status", "rules", "ground"),
    [
        (SPAM, ["spam"], "spam"),
        (SPAM, ["copies", "toxicity"], "spam"),  # spam stays spam, toxicity noted beside it
        (SPAM, [], "spam"),
        (REJECTED, ["toxicity"], "harassment"),
        (REJECTED, ["self_harm_call"], "harassment"),
        (REJECTED, ["threat", "threat_phrase"], "threats"),
        (REJECTED, ["identity_attack", "group_dehumanised"], "hate"),
        (REJECTED, ["blocked_word"], "obscene"),
        (REJECTED, ["profanity"], "obscene"),
        (REJECTED, ["banned_author"], "banned"),
        # The gravest ground of several is the one stated.
        (REJECTED, ["toxicity", "blocked_word", "threat"], "threats"),
        (REJECTED, ["a_rule_nobody_mapped"], "other"),
    ],
)
def test_the_policys_reasons_map_to_one_ground(
    status: CommentStatus, rules: list[str], ground: str
) -> None:
    assert statements.ground_of_reasons(status, named(*rules)) == ground


def test_every_mapped_ground_and_every_moderator_ground_is_in_the_default_catalogue() -> None:
    keys = {g.key for g in statements.DEFAULT_GROUNDS}
    assert set(statements.RULE_GROUNDS.values()) <= keys
    assert set(statements.MODERATOR_GROUNDS.values()) <= keys
    assert set(statements.GROUND_PRIORITY) <= keys
    assert all(g.law for g in statements.DEFAULT_GROUNDS if g.kind is statements.GroundKind.ILLEGAL)


def test_a_moderators_ground_names_the_catalogue_key_and_the_note_is_the_facts() -> None:
    held = [Reason("links", 3, 2).as_dict()]
    stated = statements.by_person(7, REJECTED, "mo", "threat", "threatens the mayor", held)
    assert (stated.ground, stated.decided_by, stated.actor) == ("threats", "person", "mo")
    assert stated.facts == (
        "The site's automated checks found: 3 links (held from 2). "
        "A moderator removed it: threatens the mayor"
    )
    assert (stated.automated_detection, stated.automated_decision) == (True, False)
    # No ground given: the policy's reasons for holding it say which; spam is spam.
    assert statements.by_person(7, REJECTED, "mo", None, "", held).ground == "spam"
    unseen = statements.by_person(7, REJECTED, "mo", None, "", None)
    assert (unseen.ground, unseen.facts, unseen.automated_detection) == (
        "other",
        "A moderator removed it.",
        False,
    )


def test_a_comment_held_only_because_every_comment_waits_was_found_by_a_person() -> None:
    premoderated = [Reason("premoderation", "every comment on this site is reviewed", None, None)]
    stated = statements.by_person(
        7, REJECTED, "mo", "other", "off topic", [r.as_dict() for r in premoderated]
    )
    assert (stated.automated_detection, stated.facts) == (
        False,
        "A moderator removed it: off topic",
    )
