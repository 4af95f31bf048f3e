"""The statuses a comment moves through."""

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
