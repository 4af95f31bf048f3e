"""Readers' reports of published comments: the Reported queue, and hiding a comment that
enough readers reported until a moderator decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.domain.errors import NotFound, ServiceError
from moderation.domain.schemas import OptionalText
from moderation.domain.statuses import CommentStatus
from moderation.storage import comments as comment_store
from moderation.storage import review as store

MAX_REPORT_TEXT = 1000


class ReportReason(StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off-topic"
    OTHER = "other"


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class ReportSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Annotated[ReportReason, BeforeValidator(_lower)]
    text: OptionalText = Field(default=None, max_length=MAX_REPORT_TEXT)


class ReportAccepted(BaseModel):
    comment_id: int
    # Whether the comment is now off the page, waiting for a moderator.
    hidden: bool


@dataclass(frozen=True, slots=True)
class ReportLimits:
    to_hide: int
    per_address: int
    window: timedelta


class TooManyReports(ServiceError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            "too_many_reports",
            "too many reports from this address; try again later",
            headers={"Retry-After": str(retry_after)},
        )


def report_comment(
    session: Session,
    comment_id: int,
    report: ReportSubmission,
    client_ip: str | None,
    limits: ReportLimits,
) -> ReportAccepted:
    """Record a reader's report of a published comment; hide it once enough readers did.

    Only published comments can be reported (nobody else can see the others, so their ids
    answer 404 like unknown ones). One address counts once per comment.
    """
    found = comment_store.comment_with_article(session, comment_id)
    if found is None or found[0].status is not CommentStatus.APPROVED:
        raise NotFound("comment")
    if store.reports_since(session, client_ip, utcnow() - limits.window) >= limits.per_address:
        raise TooManyReports(int(limits.window.total_seconds()))
    if not store.has_open_report_from(session, comment_id, client_ip):
        store.insert_report(session, comment_id, report.reason.value, report.text, client_ip)
    reports = store.open_reports(session, comment_id)
    hidden = reports >= limits.to_hide and store.hide_reported(
        session, comment_id, f"{reports} reports (hidden from {limits.to_hide})"
    )
    return ReportAccepted(comment_id=comment_id, hidden=hidden)
