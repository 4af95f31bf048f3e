"""SQL of the rules people set: the admins' word lists and the moderators' bans and trust of
authors, and the author history the policy reads for a batch of comments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ARRAY, String, and_, bindparam, case, delete, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from moderation.domain.clock import utcnow
from moderation.domain.statuses import CommentStatus
from moderation.storage.models import AuthorNote, AuthorRule, Comment, WordRule

_REMOVED = (CommentStatus.SPAM, CommentStatus.REJECTED)


def word_rules(session: Session) -> list[WordRule]:
    return list(session.execute(select(WordRule).order_by(WordRule.kind, WordRule.term)).scalars())


# Word rules and author rules are kept alike: a kind and what it names (a term; an email or
# address), unique together, with who set it and why.
_Rule = TypeVar("_Rule", WordRule, AuthorRule)


def _kept_rule(
    session: Session, table: type[_Rule], kind: str, named: dict[str, str], note: str, actor: str
) -> _Rule:
    """The rule of this kind naming this, added unless it is there already: setting a rule
    again keeps the first one's note and author."""
    found = session.execute(select(table).filter_by(kind=kind, **named)).scalar_one_or_none()
    if found is not None:
        return found
    rule = table(kind=kind, **named, note=note, created_by=actor, created_at=utcnow())
    session.add(rule)
    session.flush()
    return rule


def keep_word_rule(session: Session, kind: str, term: str, note: str, actor: str) -> WordRule:
    return _kept_rule(session, WordRule, kind, {"term": term}, note, actor)


def remove_word_rule(session: Session, rule_id: int) -> WordRule | None:
    rule = session.get(WordRule, rule_id)
    if rule is not None:
        session.delete(rule)
        session.flush()
    return rule


def _holding(now: datetime) -> Any:
    """An author rule holds until its end (a suspension's): past it, every reader ignores it,
    so a suspension ends by itself, with no job to remove it."""
    return or_(AuthorRule.expires_at.is_(None), AuthorRule.expires_at > now)


def author_rules(session: Session, values: Sequence[str] | None = None) -> list[AuthorRule]:
    """The rules that hold now, newest first; only those naming `values` when given."""
    query = select(AuthorRule).where(_holding(utcnow()))
    if values is not None:
        query = query.where(AuthorRule.value.in_(values))
    return list(
        session.execute(
            query.order_by(AuthorRule.created_at.desc(), AuthorRule.id.desc())
        ).scalars()
    )


def keep_author_rule(
    session: Session,
    kind: str,
    value: str,
    note: str,
    actor: str,
    expires_at: datetime | None = None,
) -> AuthorRule:
    """The rule, added unless there; a rule given again with an end (or none) takes that end:
    the latest word on how long a ban lasts holds, and an ended suspension starts anew."""
    rule = _kept_rule(session, AuthorRule, kind, {"value": value}, note, actor)
    if rule.expires_at != expires_at:
        rule.expires_at = expires_at
        if expires_at is None or expires_at > utcnow():
            rule.note, rule.created_by, rule.created_at = note, actor, utcnow()
        session.flush()
    return rule


def author_notes(session: Session, email: str) -> list[AuthorNote]:
    return list(
        session.execute(
            select(AuthorNote)
            .where(AuthorNote.author_email == email)
            .order_by(AuthorNote.created_at.desc(), AuthorNote.id.desc())
        ).scalars()
    )


def add_author_note(session: Session, email: str, note: str, actor: str) -> AuthorNote:
    row = AuthorNote(author_email=email, note=note, created_by=actor, created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def remove_author_rules(session: Session, kinds: Sequence[str], value: str) -> int:
    result = session.execute(
        delete(AuthorRule).where(AuthorRule.kind.in_(kinds), AuthorRule.value == value)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def rules_for(
    session: Session, emails: Sequence[str], addresses: Sequence[str]
) -> list[tuple[str, str]]:
    """(kind, value) of the author rules that name any of these emails or addresses."""
    values = {*emails, *addresses}
    if not values:
        return []
    rows = session.execute(
        select(AuthorRule.kind, AuthorRule.value).where(
            AuthorRule.value.in_(values), _holding(utcnow())
        )
    ).all()
    return [(kind, value) for kind, value in rows]


@dataclass(frozen=True, slots=True)
class History:
    approved: int  # counted up to the `approved_needed` asked for, no further
    removed_recently: int
    recent: int


def _wanted_emails(dialect: str) -> Any:
    """The batch's emails as rows, from one bound list: a statement built once per dialect
    whatever the batch's size (an IN list would compile anew for every length)."""
    if dialect == "postgresql":
        emails = bindparam("emails", type_=ARRAY(String))
        return func.unnest(emails).table_valued("value").render_derived(name="wanted")
    return func.json_each(bindparam("emails")).table_valued("value").alias("wanted")


def _history_statement(dialect: str) -> Any:
    """Per email: its approved comments counted up to `approved_needed`, and its last `window`
    decided comments with how many of them were removed.

    Every part reads a bounded stretch of the (author_email, id, status) index (migration
    0010; the status is read from the index, not the rows), so a regular with
    thousands of comments costs what a newcomer does: the id of the `window`-th latest decided
    comment bounds the recent ones; the approved ones are counted only while fewer than
    needed (the policy only asks whether an author has had enough approved). Counting all of
    a regular's comments made the decide rate fall as the table grew (bench/table_growth.py).
    """
    wanted = _wanted_emails(dialect)
    past, earlier = aliased(Comment), aliased(Comment)
    of_author = past.author_email == wanted.c.value
    # "Not queued" rather than "in the decided statuses": an equality-free test on status
    # leaves the (author_email, id, status) index to walk back in id order, newest first.
    window_starts = (
        select(past.id)
        .where(of_author, past.status != CommentStatus.QUEUED)
        .order_by(past.id.desc())
        .offset(bindparam("window_less_one"))
        .limit(1)
        .scalar_subquery()
    )
    enough = exists(
        select(past.id)
        .where(of_author, past.status == CommentStatus.APPROVED)
        .offset(bindparam("needed_less_one"))
        .limit(1)
    )
    approved_count = (
        select(func.count(past.id))
        .where(of_author, past.status == CommentStatus.APPROVED)
        .scalar_subquery()
    )
    removed = case((earlier.status.in_(_REMOVED), 1), else_=0)
    return (
        select(
            wanted.c.value,
            case((enough, bindparam("approved_needed")), else_=approved_count),
            func.count(earlier.id),
            func.coalesce(func.sum(removed), 0),
        )
        .select_from(wanted)
        .outerjoin(
            earlier,
            and_(
                earlier.author_email == wanted.c.value,
                earlier.status != CommentStatus.QUEUED,
                earlier.id >= func.coalesce(window_starts, 0),
            ),
        )
        .group_by(wanted.c.value)
    )


# Built once per dialect: a worker runs it for every batch, and building a statement with
# subqueries costs more than running it on a small batch.
_HISTORY = {dialect: _history_statement(dialect) for dialect in ("sqlite", "postgresql")}


def histories(
    session: Session, emails: Sequence[str], window: int, approved_needed: int = 0
) -> dict[str, History]:
    """Per email: its approved comments (counted up to `approved_needed`), and the removed ones
    among its last `window` decided (queued comments, like those of the batch being decided,
    do not count); one statement for the whole batch."""
    wanted = sorted(set(emails))
    if not wanted:
        return {}
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        _HISTORY[dialect],
        {
            "emails": wanted if dialect == "postgresql" else json.dumps(wanted),
            "window_less_one": max(window, 1) - 1,
            "needed_less_one": max(approved_needed, 1) - 1,
            "approved_needed": approved_needed,
        },
    ).all()
    return {
        email: History(min(int(approved), approved_needed), int(removed), int(recent))
        for email, approved, recent, removed in rows
        if recent or approved
    }


def all_author_rules(session: Session) -> set[tuple[str, str]]:
    """(kind, value) of every ban and trust that holds: workers keep them in memory between
    batches (until `next_rule_end` at the latest)."""
    rows = session.execute(
        select(AuthorRule.kind, AuthorRule.value).where(_holding(utcnow()))
    ).all()
    return {(kind, value) for kind, value in rows}


def next_rule_end(session: Session) -> datetime | None:
    """When the next suspension ends: a copy of the rules kept in memory is stale from then."""
    found: datetime | None = session.execute(
        select(func.min(AuthorRule.expires_at)).where(AuthorRule.expires_at > utcnow())
    ).scalar_one_or_none()
    return found
