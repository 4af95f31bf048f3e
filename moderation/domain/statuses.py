"""The statuses a comment moves through, and those of an appeal against its removal."""

from __future__ import annotations

from enum import StrEnum


class CommentStatus(StrEnum):
    QUEUED = "queued"  # accepted and stored, not yet decided
    APPROVED = "approved"
    PENDING = "pending"  # held for a moderator
    SPAM = "spam"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self is not CommentStatus.QUEUED


class AppealStatus(StrEnum):
    OPEN = "open"
    REINSTATED = "reinstated"  # the decision was reversed: the comment is published again
    UPHELD = "upheld"  # the decision stands
