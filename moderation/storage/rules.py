"""SQL of the rules people set: the admins' word lists and the moderators' bans and trust of
authors, and the author history the policy reads for a batch of comments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import bindparam, case, delete, func, select
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.domain.statuses import CommentStatus
from moderation.storage.models import AuthorRule, Comment, WordRule

_REMOVED = (CommentStatus.SPAM, CommentStatus.REJECTED)
_DECIDED = (
    CommentStatus.APPROVED,
    CommentStatus.PENDING,
    CommentStatus.SPAM,
    CommentStatus.REJECTED,
)


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


def author_rules(session: Session) -> list[AuthorRule]:
    return list(
        session.execute(
            select(AuthorRule).order_by(AuthorRule.created_at.desc(), AuthorRule.id.desc())
        ).scalars()
    )


def keep_author_rule(session: Session, kind: str, value: str, note: str, actor: str) -> AuthorRule:
    return _kept_rule(session, AuthorRule, kind, {"value": value}, note, actor)


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
        select(AuthorRule.kind, AuthorRule.value).where(AuthorRule.value.in_(values))
    ).all()
    return [(kind, value) for kind, value in rows]


@dataclass(frozen=True, slots=True)
class History:
    approved: int
    removed_recently: int
    recent: int


def _history_statement() -> Any:
    earlier = Comment
    ranked = (
        select(
            earlier.author_email.label("email"),
            earlier.status.label("status"),
            func.row_number()
            .over(partition_by=earlier.author_email, order_by=earlier.id.desc())
            .label("rank"),
            func.sum(case((earlier.status == CommentStatus.APPROVED, 1), else_=0))
            .over(partition_by=earlier.author_email)
            .label("approved"),
        )
        .where(
            earlier.author_email.in_(bindparam("emails", expanding=True)),
            earlier.status.in_(_DECIDED),
        )
        .subquery()
    )
    return select(ranked.c.email, ranked.c.status, ranked.c.approved).where(
        ranked.c.rank <= bindparam("window")
    )


# Built once: a worker runs it for every batch, and building a statement with window
# functions costs more than running it on a small batch.
_HISTORY = _history_statement()


def histories(session: Session, emails: Sequence[str], window: int) -> dict[str, History]:
    """Per email: comments approved so far, and the removed ones among the last `window`
    decided (queued comments, like those of the batch being decided, do not count); one
    statement for the whole batch."""
    wanted = sorted(set(emails))
    if not wanted:
        return {}
    found: dict[str, History] = {}
    for email, status, approved in session.execute(
        _HISTORY, {"emails": wanted, "window": window}
    ).all():
        past = found.get(email, History(int(approved), 0, 0))
        removed = past.removed_recently + (CommentStatus(status) in _REMOVED)
        found[email] = History(past.approved, removed, past.recent + 1)
    return found


def all_author_rules(session: Session) -> set[tuple[str, str]]:
    """(kind, value) of every ban and trust: workers keep them in memory between batches."""
    rows = session.execute(select(AuthorRule.kind, AuthorRule.value)).all()
    return {(kind, value) for kind, value in rows}
