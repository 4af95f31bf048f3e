"""The moderators' work, a module a concern: the review queues (`queues`), their decisions,
which become training labels, and undo (`decisions`), the audit trail of every status change
(`audit`), and the checks on the filters and cursors those take (`queries`).

Every name is re-exported here: callers write `review.moderate` or `review.QueueQuery` and need
not know which module holds it."""

from moderation.services.review.audit import (
    CSV_COLUMNS,
    AuditEvent,
    AuditPage,
    as_utc,
    audit_csv,
    audit_filter,
    audit_page,
)
from moderation.services.review.decisions import (
    MAX_BULK,
    MAX_NOTE,
    UNDO_WINDOW,
    Action,
    BulkDecisionRequest,
    CannotUndo,
    DecisionRequest,
    DecisionResult,
    Ground,
    label_of,
    moderate,
    removal,
    undo,
)
from moderation.services.review.queries import InvalidQuery, UnknownCursor, filter_text
from moderation.services.review.queues import (
    ArticleView,
    AuthorView,
    Queue,
    QueueItem,
    QueuePage,
    QueueQuery,
    ReasonView,
    ReportView,
    ShadowView,
    Sort,
    SpanView,
    queue_page,
)

__all__ = [
    "CSV_COLUMNS",
    "MAX_BULK",
    "MAX_NOTE",
    "UNDO_WINDOW",
    "Action",
    "ArticleView",
    "AuditEvent",
    "AuditPage",
    "AuthorView",
    "BulkDecisionRequest",
    "CannotUndo",
    "DecisionRequest",
    "DecisionResult",
    "Ground",
    "InvalidQuery",
    "Queue",
    "QueueItem",
    "QueuePage",
    "QueueQuery",
    "ReasonView",
    "ReportView",
    "ShadowView",
    "Sort",
    "SpanView",
    "UnknownCursor",
    "as_utc",
    "audit_csv",
    "audit_filter",
    "audit_page",
    "filter_text",
    "label_of",
    "moderate",
    "queue_page",
    "removal",
    "undo",
]
