"""Notices of illegal content (DSA Art. 16): what anyone may send about a published comment,
what a moderator decides on it, and what the notifier is shown of that decision.

Pure: the field rules are moderation.domain.fields' (through domain.schemas' annotated types),
so the article page's form, the widget and the JSON API refuse the same values the same way.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from moderation.domain.grounds import GroundKey
from moderation.domain.schemas import (
    MAX_EMAIL,
    MAX_ID,
    MAX_NAME,
    EmailAddress,
    Line,
    OptionalLine,
    Text,
)

MAX_EXPLANATION = 5000
MAX_LAW = 300
MAX_REASON = 1000
# The status URL's secret: as long as a reader token, only its SHA-256 is stored.
MAX_NOTICE_TOKEN = 64


class NoticeGround(StrEnum):
    """The common grounds a notifier picks from; `other` asks them to name the law. The site's
    own catalogue of grounds (issue 16, point 1) will replace this fixed list."""

    HATE_SPEECH = "hate_speech"
    TERRORIST_CONTENT = "terrorist_content"
    THREATS = "threats"
    DEFAMATION = "defamation"
    PRIVACY = "privacy"
    CHILD_SAFETY = "child_safety"
    INTELLECTUAL_PROPERTY = "intellectual_property"
    FRAUD = "fraud"
    OTHER = "other"

    @property
    def label(self) -> str:
        return GROUND_LABELS[self]


GROUND_LABELS = {
    NoticeGround.HATE_SPEECH: "Illegal hate speech or incitement",
    NoticeGround.TERRORIST_CONTENT: "Terrorist content",
    NoticeGround.THREATS: "Threats of violence",
    NoticeGround.DEFAMATION: "Defamation",
    NoticeGround.PRIVACY: "Unlawful publication of personal data",
    NoticeGround.CHILD_SAFETY: "Child sexual abuse material or grooming",
    NoticeGround.INTELLECTUAL_PROPERTY: "Copyright or trademark infringement",
    NoticeGround.FRAUD: "Fraud or scam",
    NoticeGround.OTHER: "Another law (name it below)",
}


class NoticeStatus(StrEnum):
    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    DECIDED = "decided"


class NoticeOutcome(StrEnum):
    REMOVED = "removed"  # the comment was taken off the site
    KEPT = "kept"  # a moderator found it lawful (or within the site's rules) and kept it


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _checkbox(value: object) -> object:
    """A form's ticked checkbox arrives as "on" (or the value it names); unticked, it is absent."""
    if isinstance(value, str) and value.strip().lower() in ("on", "yes"):
        return True
    return value


class NoticeSubmission(BaseModel):
    """A notice as the "Report illegal content" form (or the widget, or JSON) sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    comment_id: int = Field(ge=1, le=MAX_ID)
    ground: Annotated[NoticeGround, BeforeValidator(_lower)]
    # The law or rule the notifier says the comment breaks, in their words.
    law: OptionalLine = Field(default=None, max_length=MAX_LAW, validate_default=True)
    explanation: Text = Field(min_length=1, max_length=MAX_EXPLANATION)
    notifier_name: Line = Field(min_length=1, max_length=MAX_NAME)
    notifier_email: EmailAddress = Field(min_length=1, max_length=MAX_EMAIL)
    # Art. 16(2)(d): the notifier's statement that they believe what they say in good faith.
    good_faith: Annotated[bool, BeforeValidator(_checkbox)]

    @field_validator("good_faith")
    @classmethod
    def _confirmed(cls, value: bool) -> bool:
        if not value:
            raise PydanticCustomError("good_faith", "must be confirmed")
        return value

    @field_validator("law")
    @classmethod
    def _named_for_other(cls, law: str | None, info: ValidationInfo) -> str | None:
        if law is None and info.data.get("ground") is NoticeGround.OTHER:
            raise PydanticCustomError("required", "is required when the ground is other")
        return law


class NoticeAccepted(BaseModel):
    id: int
    status: NoticeStatus
    # Where the notifier follows the notice; it holds the notice's secret token (keep it).
    status_url: str
    # The same, as JSON.
    status_api_url: str


class NoticeStatusView(BaseModel):
    """What the status URL shows: the notice's state and the outcome, never a person's data."""

    id: int
    status: NoticeStatus
    ground: NoticeGround
    received_at: datetime
    decided_at: datetime | None = None
    outcome: NoticeOutcome | None = None
    # The moderator's brief reason (their words, written to be shown to the notifier).
    reason: str | None = None


class NoticeDecision(BaseModel):
    """A moderator's decision on a notice: remove the comment or keep it, and why in brief."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: Annotated[NoticeOutcome, BeforeValidator(_lower)]
    reason: Text = Field(min_length=1, max_length=MAX_REASON)
    # The site's removal ground the statement of reasons names; None: the notice's own
    # (`removal_ground`). Only with a removal.
    ground: GroundKey | None = Field(
        default=None,
        description="with outcome removed: a key of the comment's site's removal grounds "
        "(illegal, hate, threats, ...); by default the one the notice's ground names",
    )

    @field_validator("ground")
    @classmethod
    def _with_a_removal(cls, ground: str | None, info: ValidationInfo) -> str | None:
        if ground is not None and info.data.get("outcome") is NoticeOutcome.KEPT:
            raise PydanticCustomError("removal_only", "a ground is given with a removal only")
        return ground


# The ground a removal after a notice is stated on unless the moderator picks another: the
# house rule of the same name where the site has one, else illegal content, which is what a
# notice says the comment is.
_REMOVAL_GROUNDS = {NoticeGround.HATE_SPEECH: "hate", NoticeGround.THREATS: "threats"}
ILLEGAL_GROUND = "illegal"


def removal_ground(ground: NoticeGround) -> str:
    return _REMOVAL_GROUNDS.get(ground, ILLEGAL_GROUND)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
