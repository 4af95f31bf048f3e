"""What the policy knows about a comment's author: a moderator's ban or trust, and their
history here (approved so far, and how many of their recent comments were removed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from moderation.domain import fields
from moderation.domain.errors import FieldProblem, ServiceError
from moderation.domain.schemas import OptionalLine, Text


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


class AuthorRuleView(BaseModel):
    id: int
    kind: AuthorRuleKind
    value: str
    note: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None = Field(
        default=None, description="a suspension's end: the rule stops holding then"
    )


# The longest suspension; longer is a ban (no end).
MAX_SUSPENSION_DAYS = 3650


class AuthorRuleRequest(BaseModel):
    """Ban an author by email or address, or trust one by email."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"action": "ban", "email": "troll@example.com", "note": "insults, 3 warnings"},
                {"action": "ban", "ip": "203.0.113.9"},
                {"action": "ban", "email": "hothead@example.com", "days": 7},
                {"action": "trust", "email": "regular@example.com"},
            ]
        }
    )

    action: Literal["ban", "trust"]
    # One line each: control characters (NUL, which PostgreSQL cannot store) are refused.
    email: OptionalLine = Field(default=None, max_length=254)
    ip: OptionalLine = Field(default=None, max_length=45)
    note: Text = Field(default="", max_length=500)
    # A suspension: a ban that ends by itself, after `days` or at `until` (one of them).
    days: int | None = Field(default=None, ge=1, le=MAX_SUSPENSION_DAYS)
    until: AwareDatetime | None = None


def rule_end(request: AuthorRuleRequest, now: datetime) -> datetime | None:
    """When the rule asked for ends: None for a ban until lifted (or a trust). A suspension
    ends in the future, within MAX_SUSPENSION_DAYS; trust does not end by itself."""
    if request.days is None and request.until is None:
        return None
    problem = None
    if request.action != "ban":
        problem = ("days", "ban_only", "only a ban ends by itself")
    elif request.days is not None and request.until is not None:
        problem = ("days", "one_of", "give days or until, not both")
    end = request.until or now + timedelta(days=request.days or 0)
    if problem is None and not now < end <= now + timedelta(days=MAX_SUSPENSION_DAYS):
        problem = ("until", "range", f"a suspension ends within {MAX_SUSPENSION_DAYS} days")
    if problem is not None:
        raise ServiceError(422, "invalid_request", problem[2], [FieldProblem(*problem)])
    return end


def kind_and_value(request: AuthorRuleRequest) -> tuple[AuthorRuleKind, str]:
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
