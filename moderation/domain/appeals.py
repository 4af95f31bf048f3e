"""Appeals (DSA Art. 20): the author of a removed comment asks the site to look again at the
decision its statement of reasons describes. Pure: the window, the signed link, who may
decide, and the field rules shared by the hosted page, the widget and the JSON API.

An appeal is filed with the reader token that wrote the comment or with the statement's signed
link (`appeal`: an HMAC of the statement's id under a key the deployment keeps in its
database, so a site can email the link to the author from the webhook). One appeal may be open
per comment; after an appeal is decided the author may file one more (a second look by yet
another person), then no more for that statement.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from moderation.domain.schemas import MAX_ID, Text
from moderation.domain.statuses import AppealStatus

MAX_EXPLANATION = 2000
MAX_NOTE = 1000
# Appeals per statement: the first, and one more after a decision.
MAX_APPEALS = 2
# "<statement id>.<signature>": a 64-bit id and 22 characters of base64url (128 bits).
MAX_APPEAL_TOKEN = 64
_SIGNATURE_LENGTH = 22

BY_POLICY = "policy"  # statements.BY_POLICY: the statement's decided_by for the policy's


class AppealOutcome(StrEnum):
    REINSTATED = "reinstated"
    UPHELD = "upheld"


# What the author is told of each state, on every page that shows it.
STATUS_WORDS = {
    AppealStatus.OPEN: "Your appeal was received; a person who did not take the decision "
    "will review it.",
    AppealStatus.REINSTATED: "Your appeal was accepted: the decision was reversed and your "
    "comment is published again.",
    AppealStatus.UPHELD: "Your appeal was reviewed: the decision stands.",
}
# A reinstatement of a comment whose text retention removed before the appeal was decided:
# the decision is reversed on the record, but there is no text left to publish.
REINSTATED_TEXT_GONE = (
    "Your appeal was accepted: the decision was reversed. The comment's text had already been "
    "deleted under the site's retention rules, so it cannot be published again."
)


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class AppealSubmission(BaseModel):
    """An appeal as the hosted page, the widget or JSON sends it: the comment (with the reader
    token that wrote it) or the signed link's token, and the author's explanation."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    comment_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    token: str | None = Field(default=None, min_length=1, max_length=MAX_APPEAL_TOKEN)
    explanation: Text = Field(min_length=1, max_length=MAX_EXPLANATION)


class AppealDecision(BaseModel):
    """A moderator's decision on an appeal, with the note the author reads."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: Annotated[AppealOutcome, BeforeValidator(_lower)]
    note: Text = Field(min_length=1, max_length=MAX_NOTE)


class AppealView(BaseModel):
    """An appeal as its author sees it: never the decider's name."""

    id: int
    comment_id: int
    status: AppealStatus
    filed_at: datetime
    decided_at: datetime | None = None
    note: str | None = Field(default=None, description="the deciding moderator's note")
    message: str = Field(description="the state in the author's words")


@dataclass(frozen=True, slots=True)
class AppealLinks:
    """How statements name their appeal page: the service's address ("" for a path alone) and
    how long after a statement it may be appealed."""

    base_url: str
    window: timedelta

    def open_until(self, stated_at: datetime) -> datetime:
        return stated_at + self.window


def window_open(stated_at: datetime, now: datetime, window: timedelta) -> bool:
    return now < stated_at + window


def sign(key: bytes, statement_id: int) -> str:
    """The signed link's token for a statement."""
    mac = hmac.new(key, f"appeal:{statement_id}".encode(), hashlib.sha256).digest()
    return f"{statement_id}.{base64.urlsafe_b64encode(mac).decode()[:_SIGNATURE_LENGTH]}"


def verify(key: bytes, token: str) -> int | None:
    """The statement id a token signs, or None for a token not made with `key`."""
    head, _, _ = token.partition(".")
    if not head.isdigit() or len(head) > 19 or not 1 <= int(head) <= MAX_ID:
        return None
    statement_id = int(head)
    return statement_id if hmac.compare_digest(sign(key, statement_id), token) else None


def may_decide(decided_by: str, original_actor: str, moderator: str) -> bool:
    """A person other than the one who decided reviews the appeal: anyone for the policy's
    decision, any other moderator for a moderator's."""
    return decided_by == BY_POLICY or original_actor != moderator


def url(links: AppealLinks, key: bytes, statement_id: int) -> str:
    return f"{links.base_url}/appeals/{sign(key, statement_id)}"
