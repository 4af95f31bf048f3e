"""What the policy knows about a comment's author: a moderator's ban or trust, and their
history here (approved so far, and how many of their recent comments were removed)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from moderation.domain import fields
from moderation.domain.errors import FieldProblem, ServiceError
from moderation.domain.schemas import OptionalLine, Text
from moderation.storage import rules


class AuthorRuleKind(StrEnum):
    BAN_EMAIL = "ban_email"
    BAN_IP = "ban_ip"
    TRUST_EMAIL = "trust_email"


@dataclass(frozen=True, slots=True)
class AuthorStanding:
    # "email" or "ip" when a moderator banned the author by it; None otherwise.
    banned_by: str | None = None
    trusted: bool = False
    # Earlier comments of this email: approved ever; removed (spam or rejected) among the last
    # `recent` decided ones.
    approved: int = 0
    removed_recently: int = 0
    recent: int = 0


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a comment, as the policy looks them up."""

    email: str
    ip: str | None


def standings(
    session: Session,
    authors: Mapping[int, Author],
    window: int,
    named: Set[tuple[str, str]] | None = None,
) -> dict[int, AuthorStanding]:
    """The standing of each comment's author (by comment id). `named` is every (kind, value)
    ban and trust when the caller keeps them in memory; otherwise they are looked up."""
    emails = [a.email for a in authors.values()]
    if named is None:
        addresses = [a.ip for a in authors.values() if a.ip]
        named = set(rules.rules_for(session, emails, addresses))
    history = rules.histories(session, emails, window)
    found = {}
    for comment_id, author in authors.items():
        banned_by = None
        if (AuthorRuleKind.BAN_EMAIL.value, author.email) in named:
            banned_by = "email"
        elif author.ip and (AuthorRuleKind.BAN_IP.value, author.ip) in named:
            banned_by = "ip"
        past = history.get(author.email)
        found[comment_id] = AuthorStanding(
            banned_by=banned_by,
            trusted=(AuthorRuleKind.TRUST_EMAIL.value, author.email) in named,
            approved=past.approved if past else 0,
            removed_recently=past.removed_recently if past else 0,
            recent=past.recent if past else 0,
        )
    return found


class AuthorRuleView(BaseModel):
    id: int
    kind: AuthorRuleKind
    value: str
    note: str
    created_by: str
    created_at: datetime


class AuthorRuleRequest(BaseModel):
    """Ban an author by email or address, or trust one by email."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"action": "ban", "email": "troll@example.com", "note": "insults, 3 warnings"},
                {"action": "ban", "ip": "203.0.113.9"},
                {"action": "trust", "email": "regular@example.com"},
            ]
        }
    )

    action: Literal["ban", "trust"]
    # One line each: control characters (NUL, which PostgreSQL cannot store) are refused.
    email: OptionalLine = Field(default=None, max_length=254)
    ip: OptionalLine = Field(default=None, max_length=45)
    note: Text = Field(default="", max_length=500)


def _kind_and_value(request: AuthorRuleRequest) -> tuple[AuthorRuleKind, str]:
    email = (request.email or "").strip().lower()
    ip = (request.ip or "").strip()
    if bool(email) == bool(ip):
        raise ServiceError(
            422,
            "invalid_request",
            "give either email or ip",
            [FieldProblem("email", "one_of", "give either email or ip")],
        )
    if ip:
        if request.action == "trust":
            raise ServiceError(
                422,
                "invalid_request",
                "authors are trusted by email, not by address",
                [FieldProblem("ip", "trust_by_email", "trust an author by email")],
            )
        return AuthorRuleKind.BAN_IP, fields.checked("ip", ip, fields.ip_address)
    # Lower-cased whole: bans and trust match an author's email case-blind.
    email = fields.checked("email", email, fields.email).lower()
    kind = AuthorRuleKind.BAN_EMAIL if request.action == "ban" else AuthorRuleKind.TRUST_EMAIL
    return kind, email


def set_rule(session: Session, request: AuthorRuleRequest, actor: str) -> AuthorRuleView:
    """Ban or trust an author. Banning an email ends its trust and trusting ends its ban: the
    latest word of a moderator is the one that holds."""
    kind, value = _kind_and_value(request)
    if kind is AuthorRuleKind.BAN_EMAIL:
        rules.remove_author_rules(session, [AuthorRuleKind.TRUST_EMAIL.value], value)
    elif kind is AuthorRuleKind.TRUST_EMAIL:
        rules.remove_author_rules(session, [AuthorRuleKind.BAN_EMAIL.value], value)
    rule = rules.find_author_rule(session, kind.value, value) or rules.add_author_rule(
        session, kind.value, value, request.note, actor
    )
    return AuthorRuleView.model_validate(rule, from_attributes=True)


def lift_rules(session: Session, value: str) -> int:
    """Remove every ban or trust naming this email or address."""
    if not fields.is_line(value):  # no rule holds one (nor can PostgreSQL compare a NUL)
        return 0
    return rules.remove_author_rules(
        session, [k.value for k in AuthorRuleKind], value.strip().lower()
    ) + rules.remove_author_rules(session, [AuthorRuleKind.BAN_IP.value], value.strip())


def list_rules(session: Session) -> list[AuthorRuleView]:
    return [
        AuthorRuleView.model_validate(r, from_attributes=True) for r in rules.author_rules(session)
    ]
