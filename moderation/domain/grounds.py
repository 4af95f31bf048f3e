"""A site's catalogue of removal grounds as the admin API reads and edits it (see
moderation.domain.statements for what a ground is and how removals name one)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from moderation.domain.schemas import Line, OptionalLine, Text
from moderation.domain.statements import GroundKind, check_law

MAX_KEY = 32
MAX_TITLE = 200
MAX_LAW = 200
MAX_DESCRIPTION = 1000
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


# A ground's key as a decision names it (a moderator's removal, a notice's): one rule for every
# way in; whether the comment's site offers it is the service's to say.
GroundKey = Annotated[str, Field(min_length=1, max_length=MAX_KEY, pattern=_KEY.pattern)]


def valid_key(key: str) -> bool:
    return bool(_KEY.match(key))


class GroundView(BaseModel):
    key: str
    kind: GroundKind
    title: str
    description: str
    law: str | None
    retired: bool
    created_at: datetime
    updated_at: datetime | None


class GroundRequest(BaseModel):
    """A ground to add: a house rule, or illegal content with the law it breaks named."""

    key: str = Field(
        min_length=1, max_length=MAX_KEY, pattern=_KEY.pattern,
        description="lower-case letters, digits and _, starting with a letter",
    )  # fmt: skip
    kind: GroundKind = GroundKind.HOUSE_RULE
    title: Line = Field(min_length=1, max_length=MAX_TITLE)
    description: Text = Field(default="", max_length=MAX_DESCRIPTION)
    law: OptionalLine = Field(default=None, max_length=MAX_LAW)

    @model_validator(mode="after")
    def _law_with_illegal(self) -> GroundRequest:
        check_law(self.kind, self.law)
        return self


class GroundUpdate(BaseModel):
    """What an admin changes of a ground: its words, its law, retired or back in use. Its key
    and kind stay (statements already written name them)."""

    title: Line | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    description: Text | None = Field(default=None, max_length=MAX_DESCRIPTION)
    law: OptionalLine = Field(default=None, max_length=MAX_LAW)
    retired: bool | None = None
