"""The audit trail of every status change: filtered, paged, and exported as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from moderation.domain.schemas import MAX_ID
from moderation.domain.statuses import CommentStatus
from moderation.services.review.queries import (
    InvalidQuery,
    UnknownCursor,
    decode_cursor,
    encode_cursor,
    filter_text,
)
from moderation.storage import review as store
from moderation.storage.models import ModerationEvent


class AuditEvent(BaseModel):
    id: int
    comment_id: int
    actor: str
    from_status: CommentStatus | None
    to_status: CommentStatus
    reason: str
    created_at: datetime


class AuditPage(BaseModel):
    events: list[AuditEvent]
    next_cursor: str | None


def _audit_view(event: ModerationEvent) -> AuditEvent:
    # The view's fields are the event's columns, named alike.
    return AuditEvent.model_validate(event, from_attributes=True)


def audit_page(
    session: Session, where: store.AuditFilter, cursor: str | None, limit: int
) -> AuditPage:
    after = None
    if cursor is not None:
        try:
            after = int(decode_cursor(cursor))
        except ValueError:
            raise UnknownCursor() from None
    events = store.audit_events(session, where, after, limit + 1)
    more = len(events) > limit
    events = events[:limit]
    return AuditPage(
        events=[_audit_view(e) for e in events],
        next_cursor=encode_cursor(str(events[-1].id)) if more and events else None,
    )


CSV_COLUMNS = ("id", "comment_id", "actor", "from_status", "to_status", "reason", "created_at")


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: a reason could carry one.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def audit_filter(
    actor: str | None = None, comment_id: int | None = None, since: datetime | None = None
) -> store.AuditFilter:
    """The audit log's filters as the API and the workspace take them from a query string."""
    if comment_id is not None and not 1 <= comment_id <= MAX_ID:
        raise InvalidQuery("comment", f"comment must be from 1 to {MAX_ID}")
    return store.AuditFilter(filter_text("actor", actor), comment_id, as_utc(since))


def as_utc(moment: datetime | None) -> datetime | None:
    """A time from a query string; one without a zone is taken as UTC, as the API answers."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


# Events an export reads at a time: an export of years of events must not hold them in memory.
EXPORT_PAGE = 1000


def audit_export(
    unit_of_work: Callable[[], AbstractContextManager[Session]], where: store.AuditFilter
) -> Iterator[str]:
    """The whole audit log (as filtered) as CSV lines, read a page at a time, each page in a
    unit of work of its own: a stream outlives the request's. The first page is read before
    this returns, so that a database that is away fails the request (a 503) rather than cutting
    a 200's stream."""

    def page(after: int | None) -> list[ModerationEvent]:
        with unit_of_work() as session:
            return store.audit_events(session, where, after, EXPORT_PAGE)

    return _export_lines(page(None), page)


def _export_lines(
    first: list[ModerationEvent], page: Callable[[int | None], list[ModerationEvent]]
) -> Iterator[str]:
    events, header = first, True
    while True:
        yield from audit_csv(events, header=header)
        header = False
        if len(events) < EXPORT_PAGE:
            return
        events = page(events[-1].id)


def audit_csv(events: Iterable[ModerationEvent], header: bool = True) -> Iterable[str]:
    """The audit log as CSV lines (the header first if asked), for a streamed export."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(CSV_COLUMNS)
        yield buffer.getvalue()
    for event in events:
        buffer.seek(0)
        buffer.truncate()
        view = _audit_view(event)
        writer.writerow(
            [
                view.id,
                view.comment_id,
                _csv_safe(view.actor),
                view.from_status or "",
                view.to_status,
                _csv_safe(view.reason),
                view.created_at.isoformat(),
            ]
        )
        yield buffer.getvalue()
