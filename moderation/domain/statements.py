"""Statements of reasons (DSA Art. 17): what the author of a removed comment is told. What was
done, the facts in words, whether automated means detected it and decided it, the ground (a
house rule of the site, or the law the content breaks) and how to seek redress.

The grounds a site removes on are a small catalogue per site that admins edit (`GroundKind`,
`DEFAULT_GROUNDS`); a statement copies the ground's title and law as they were when it was
written, so a later edit of the catalogue does not rewrite what an author was told.

The policy's reasons map to grounds in one table here (`RULE_GROUNDS`); a moderator's removal
ground (review.Ground) maps to the catalogue key of the same meaning (`MODERATOR_GROUNDS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from moderation.domain.statuses import AppealStatus, CommentStatus

if TYPE_CHECKING:
    # At run time only where a Reason is made (reasons_from_rows): the policy package imports
    # authors, which imports schemas, which imports this module for StatementView.
    from moderation.domain.policy.reasons import Reason

# Who decided: the site's automated policy, or a person (a moderator).
BY_POLICY = "policy"
BY_PERSON = "person"

# The statuses that remove a comment from the site: each gets a statement of reasons.
REMOVED = frozenset({CommentStatus.REJECTED, CommentStatus.SPAM})

# What an author is told about redress while the deployment says nothing of its own
# (MODERATION_REDRESS_TEXT). The DSA's routes: the platform's complaint system (Art. 20, the
# `appeal` link once appeals exist), out-of-court dispute settlement (Art. 21), the courts.
DEFAULT_REDRESS = (
    "If you think this decision is wrong, you may ask the site to review it. You may also "
    "turn to a certified out-of-court dispute settlement body (Digital Services Act, Art. 21) "
    "or to the courts."
)


class GroundKind(StrEnum):
    HOUSE_RULE = "house_rule"  # the site's own terms: incompatible with them, not illegal
    ILLEGAL = "illegal"  # illegal content: the law it breaks is named


@dataclass(frozen=True, slots=True)
class GroundDefault:
    key: str
    kind: GroundKind
    title: str
    description: str
    law: str | None = None


# Every site starts with these (migration 0012 copies them; a new site gets them from here).
DEFAULT_GROUNDS: tuple[GroundDefault, ...] = (
    GroundDefault(
        "spam",
        GroundKind.HOUSE_RULE,
        "Spam",
        "Advertising, links or text posted again and again that do not take part in the "
        "discussion.",
    ),
    GroundDefault(
        "harassment",
        GroundKind.HOUSE_RULE,
        "Insults and harassment",
        "Insulting, demeaning or harassing another person, or urging them to harm themselves.",
    ),
    GroundDefault(
        "hate",
        GroundKind.HOUSE_RULE,
        "Hateful content",
        "Attacking or demeaning people for who they are: origin, religion, gender, sexuality, "
        "disability or any such trait.",
    ),
    GroundDefault(
        "threats",
        GroundKind.HOUSE_RULE,
        "Threats of violence",
        "Threatening or calling for violence against a person or a group.",
    ),
    GroundDefault(
        "off_topic",
        GroundKind.HOUSE_RULE,
        "Off topic",
        "Not about the article or the discussion under it.",
    ),
    GroundDefault(
        "obscene",
        GroundKind.HOUSE_RULE,
        "Obscene or prohibited language",
        "Obscene language, or words the site does not allow in its comments.",
    ),
    GroundDefault(
        "banned",
        GroundKind.HOUSE_RULE,
        "Author barred from commenting",
        "The author was barred from commenting after earlier breaches of the rules.",
    ),
    GroundDefault(
        "other",
        GroundKind.HOUSE_RULE,
        "Other breach of the comment rules",
        "A breach of the site's comment rules not listed above; the facts say which.",
    ),
    GroundDefault(
        "illegal",
        GroundKind.ILLEGAL,
        "Illegal content",
        "Content that is illegal under Union law or the law of a member state; the facts "
        "name what makes it so.",
        law="Regulation (EU) 2022/2065 (Digital Services Act), Art. 3(h): illegal content",
    ),
)
DEFAULTS_BY_KEY: Mapping[str, GroundDefault] = {g.key: g for g in DEFAULT_GROUNDS}

# The policy's rules (Reason.rule, and the cue names its reasons carry) -> the ground they
# remove on. A rule not listed here removes on "other".
RULE_GROUNDS: Mapping[str, str] = {
    # spam: the spam score, text repeated or copied, links and the spam cues
    "spam": "spam",
    "repetition": "spam",
    "copies": "spam",
    "links": "spam",
    "generic_praise": "spam",
    "website_commercial": "spam",
    "website_shortener": "spam",
    "obfuscated_link": "spam",
    "contact_handle": "spam",
    # abuse aimed at a person
    "toxicity": "harassment",
    "insult": "harassment",
    "you_attacked": "harassment",
    "person_attacked": "harassment",
    "self_harm_call": "harassment",
    # threats
    "threat": "threats",
    "threat_phrase": "threats",
    # hate
    "identity_attack": "hate",
    "group_dehumanised": "hate",
    "group_harmed": "hate",
    "hate_code": "hate",
    # swearing; a term of the admins' blocked word list (the list has one kind that removes,
    # "blocked", and no topic of its own: it is the site's prohibited language)
    "profanity": "obscene",
    "obscene": "obscene",
    "blocked_word": "obscene",
    # a moderator's ban of the author
    "banned_author": "banned",
}
# When a removal's reasons name several grounds, the gravest is the one stated (the facts list
# every reason). A spam decision's ground is always spam.
GROUND_PRIORITY: tuple[str, ...] = ("banned", "threats", "hate", "harassment", "obscene", "spam")

# The reasons the policy holds a comment for without finding anything in it: a moderator who
# then removes it found it themselves (no automated detection).
HELD_UNSEEN = frozenset({"premoderation", "new_author", "scoring_failed"})

# A moderator's removal ground (review.Ground's values) -> the catalogue key.
MODERATOR_GROUNDS: Mapping[str, str] = {
    "threat": "threats",
    "hate": "hate",
    "harassment": "harassment",
    "obscene": "obscene",
    "spam": "spam",
    "other": "other",
}


@dataclass(frozen=True, slots=True)
class StatementDraft:
    """A statement as the decision makes it; storage adds the ground's words as they are now."""

    comment_id: int
    status: CommentStatus
    decided_by: str  # BY_POLICY or BY_PERSON
    actor: str
    ground: str  # a catalogue key
    facts: str
    automated_detection: bool
    automated_decision: bool


def ground_of_reasons(status: CommentStatus, reasons: Iterable[Reason]) -> str:
    """The catalogue key a policy's removal is stated on: spam for spam; otherwise the gravest
    ground its reasons name (GROUND_PRIORITY), "other" when none is named."""
    if status is CommentStatus.SPAM:
        return "spam"
    named = {RULE_GROUNDS[r.rule] for r in reasons if r.rule in RULE_GROUNDS}
    return next((key for key in GROUND_PRIORITY if key in named), "other")


def facts_of_reasons(reasons: Sequence[Reason]) -> str:
    """The policy's reasons in words (Reason.words), as one sentence an author can read."""
    found = "; ".join(_words(r) for r in reasons if r.op != "<")
    return f"The site's automated checks found: {found}." if found else ""


def _words(reason: Reason) -> str:
    try:
        return reason.words
    except (TypeError, ValueError):  # a value of a shape the words do not expect
        return reason.rule.replace("_", " ")


def reasons_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Reason]:
    """The reasons as a decision row keeps them (Reason.as_dict) back as Reasons; a row of
    another shape (written by hand, or by an older version) keeps what it can."""
    from moderation.domain.policy.reasons import Reason

    found = []
    for row in rows:
        value = row.get("value", "")
        threshold = row.get("threshold")
        found.append(
            Reason(
                str(row.get("rule", "")),
                value if isinstance(value, (int, float, str)) else str(value),
                threshold if isinstance(threshold, (int, float)) else None,
                str(row["op"]) if row.get("op") is not None else None,
                str(row["within"]) if row.get("within") is not None else None,
            )
        )
    return found


def by_policy(
    comment_id: int, status: CommentStatus, reasons: Sequence[Mapping[str, Any]]
) -> StatementDraft:
    """The policy removed the comment: detected and decided by automated means."""
    found = reasons_from_rows(reasons)
    facts = facts_of_reasons(found) or "The site's automated checks removed it."
    return StatementDraft(
        comment_id, status, BY_POLICY, BY_POLICY, ground_of_reasons(status, found), facts,
        automated_detection=True, automated_decision=True,
    )  # fmt: skip


def by_person(
    comment_id: int,
    status: CommentStatus,
    actor: str,
    ground: str | None,
    note: str,
    held_for: Sequence[Mapping[str, Any]] | None,
) -> StatementDraft:
    """A moderator removed the comment: the decision is a person's. Detection was automated
    when the policy held (or removed) it first for what it found (`held_for`: its reasons;
    not pre-moderation alone, see HELD_UNSEEN); None when the policy published it or never
    decided it (readers reported it, a moderator found it).
    `ground`: a catalogue key, or a review.Ground value (MODERATOR_GROUNDS maps it). Without
    a ground of their own, the moderator's removal is stated on the policy's ground."""
    found = reasons_from_rows(held_for or [])
    # Held because every comment (or every new author's) waits, or because scoring failed:
    # nothing automated found anything in it.
    held = [r for r in found if r.rule not in HELD_UNSEEN] or None
    if ground is not None:
        key = MODERATOR_GROUNDS.get(ground, ground)
    elif status is CommentStatus.SPAM:
        key = "spam"
    else:
        key = ground_of_reasons(status, held or [])
    parts = [facts_of_reasons(held)] if held else []
    parts.append(f"A moderator removed it: {note}" if note else "A moderator removed it.")
    return StatementDraft(
        comment_id, status, BY_PERSON, actor, key, " ".join(p for p in parts if p),
        automated_detection=held is not None, automated_decision=False,
    )  # fmt: skip


def check_law(kind: GroundKind, law: str | None) -> None:
    """An illegal-content ground always names its law (ValueError otherwise)."""
    if kind is GroundKind.ILLEGAL and not law:
        raise ValueError("an illegal-content ground names the law it breaks (`law`)")


# --- the statement as the author (and the site, and moderators) read it ---------------------


class StatementGround(BaseModel):
    key: str
    kind: GroundKind
    title: str
    law: str | None


class StatementView(BaseModel):
    """A statement of reasons for one removal, as its author sees it."""

    comment_id: int
    decision: str = Field(description="what was done: removed, or removed as spam")
    status: CommentStatus
    decided_by: str = Field(description="policy (automated) or person (a moderator)")
    ground: StatementGround
    facts: str
    automated_detection: bool
    automated_decision: bool
    redress: str
    appeal: str | None = Field(
        default=None,
        description="the page where the author appeals the decision (a signed link: a site "
        "may email it to them); null once the appeal window closed",
    )
    appeal_status: AppealStatus | None = Field(
        default=None, description="the latest appeal's state: open, reinstated or upheld"
    )
    appeal_note: str | None = Field(
        default=None, description="the note of the moderator who decided the latest appeal"
    )
    created_at: datetime


def decision_words(status: CommentStatus) -> str:
    return "removed as spam" if status is CommentStatus.SPAM else "removed"
