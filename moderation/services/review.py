"""The moderators' work: the review queues, their decisions (which become training labels),
undo, and the audit trail of every status change."""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy.orm import Session

from moderation.domain import fields
from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.domain.policy import Reason
from moderation.domain.schemas import MAX_ID, ShownUrl, Text
from moderation.domain.statuses import CommentStatus
from moderation.services.accounts import Staff
from moderation.services.sites import DEFAULT_SITE, UnknownSite
from moderation.storage import review as store
from moderation.storage import sites as sites_store
from moderation.storage.models import Article, Comment, Decision, ModerationEvent, utcnow

MAX_NOTE = 1000
MAX_BULK = 500
# How long after an action its author may take it back (the workspace offers it for a few
# seconds; the server allows a little more for a slow click).
UNDO_WINDOW = timedelta(seconds=30)


class Queue(StrEnum):
    """The workspace's tabs. Reported is not a status: comments that readers reported."""

    PENDING = "pending"
    REPORTED = "reported"
    SPAM = "spam"
    REJECTED = "rejected"
    APPROVED = "approved"


class Sort(StrEnum):
    RISK = "risk"
    OLDEST = "oldest"
    NEWEST = "newest"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    NOT_SPAM = "not_spam"

    @property
    def status(self) -> CommentStatus:
        return _ACTION_STATUS[self]

    @property
    def label(self) -> dict[str, bool | None]:
        """What the decision teaches each model; None where it says nothing about one.

        Approving says the comment is neither spam nor abuse; rejecting says it is abuse (a
        moderator who rejects spam presses spam); spam says nothing about its tone; not_spam
        publishes it, so it says it is neither.
        """
        return _ACTION_LABEL[self]


class Ground(StrEnum):
    """Why a moderator removes a comment. Each ground teaches the model of what it names, so
    the threat and identity-attack models learn from the site's own threats and hate rather
    than only from what moderators published (`attributes`)."""

    THREAT = "threat"
    HATE = "hate"  # an attack on people for who they are
    HARASSMENT = "harassment"  # insults aimed at a person
    OBSCENE = "obscene"
    SPAM = "spam"  # the spam action's own ground; a reject on this ground is a spam decision
    OTHER = "other"  # a reason no model scores (off-topic, personal data): it teaches nothing

    @property
    def attributes(self) -> tuple[str, ...]:
        """The toxicity attribute scores a comment removed on this ground has (their names as
        the models and the policy know them): threats and hate are severe, as in the datasets."""
        return _GROUND_ATTRIBUTES[self]


_GROUND_ATTRIBUTES: dict[Ground, tuple[str, ...]] = {
    Ground.THREAT: ("threat", "severe_toxicity"),
    Ground.HATE: ("identity_attack", "severe_toxicity"),
    Ground.HARASSMENT: ("insult",),
    Ground.OBSCENE: ("obscene",),
    Ground.SPAM: (),
    Ground.OTHER: (),
}


def removal(action: Action, ground: Ground | None) -> tuple[Action, Ground | None]:
    """The decision as recorded: a reject on the spam ground is a spam decision (the spam
    queue, the spam model's label), and a spam decision's ground is spam whether said or not."""
    if action is Action.SPAM or (action is Action.REJECT and ground is Ground.SPAM):
        return Action.SPAM, Ground.SPAM
    return action, ground


def label_of(action: Action, ground: Ground | None) -> dict[str, Any]:
    """What a decision teaches, as the `moderator_labels` columns: spam and toxic as the action
    says (`Action.label`), and the ground, whose attributes the training marks as present.
    A removal on the ground "other" says the comment was neither spam nor abuse to learn from.
    """
    action, ground = removal(action, ground)
    if ground is Ground.OTHER:
        return {"action": action.value, "spam": None, "toxic": None, "ground": ground.value}
    return {**action.label, "action": action.value, "ground": ground.value if ground else None}


_ACTION_STATUS = {
    Action.APPROVE: CommentStatus.APPROVED,
    Action.REJECT: CommentStatus.REJECTED,
    Action.SPAM: CommentStatus.SPAM,
    Action.NOT_SPAM: CommentStatus.APPROVED,
}
_ACTION_LABEL: dict[Action, dict[str, bool | None]] = {
    Action.APPROVE: {"spam": False, "toxic": False},
    Action.REJECT: {"spam": None, "toxic": True},
    Action.SPAM: {"spam": True, "toxic": None},
    Action.NOT_SPAM: {"spam": False, "toxic": False},
}


class DecisionRequest(BaseModel):
    action: Action
    # Why a comment is removed (reject or spam only); see Ground. None: a reject teaches
    # toxicity alone, as before grounds existed.
    ground: Ground | None = None
    # Text: control characters (NUL, which PostgreSQL cannot store) are refused, as in comments.
    note: Text = Field(default="", max_length=MAX_NOTE)

    @field_validator("ground")
    @classmethod
    def _with_a_removal(cls, ground: Ground | None, info: ValidationInfo) -> Ground | None:
        action = info.data.get("action")  # absent when the action itself was refused
        if ground is None or action is None:
            return ground
        if action in (Action.APPROVE, Action.NOT_SPAM):
            raise ValueError("a ground is given with a removal only (reject or spam)")
        if action is Action.SPAM and ground is not Ground.SPAM:
            raise ValueError("a spam decision's ground is spam; reject to give another")
        return ground


class BulkDecisionRequest(DecisionRequest):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=MAX_BULK)


class DecisionResult(BaseModel):
    id: int
    status: CommentStatus | None = None
    previous_status: CommentStatus | None = None
    ground: Ground | None = None  # as recorded: a reject on the spam ground is spam
    error: str | None = None


class AuthorView(BaseModel):
    name: str
    email: str  # never published; moderators see it to recognise and ban authors
    url: ShownUrl
    ip: str | None
    approved: int
    rejected: int
    spam: int
    pending: int
    first_seen: datetime


class ArticleView(BaseModel):
    id: str
    title: str | None
    url: ShownUrl
    site: str = DEFAULT_SITE  # the site's public id


class ReasonView(BaseModel):
    rule: str
    value: float | int | str
    threshold: float | int | None = None
    op: str | None = None
    within: str | None = None
    text: str  # "toxicity 0.83 >= 0.5", "2 links (held from 2)": as the workspace shows it


class SpanView(BaseModel):
    start: int
    end: int
    weight: float


class ReportView(BaseModel):
    reason: str
    text: str | None
    created_at: datetime
    open: bool


class ShadowView(BaseModel):
    """What the shadow (candidate) model would have had the policy decide."""

    version: str
    status: CommentStatus
    scores: dict[str, float]
    differs: bool  # from what the active model had the policy decide


class QueueItem(BaseModel):
    id: int
    status: CommentStatus
    body: str
    parent_id: int | None
    created_at: datetime
    decided_at: datetime | None
    article: ArticleView
    # How it arrived: form, api, widget or akismet (None: before sites existed).
    channel: str | None = None
    author: AuthorView
    scores: dict[str, float]
    risk: float | None
    reasons: list[ReasonView]
    model_version: str | None
    # Per score ("spam", "toxicity", "insult", ...): the spans that raised it, strongest first.
    spans: dict[str, list[SpanView]]
    signals: dict[str, float]
    reports: list[ReportView]
    shadow: ShadowView | None = None


class QueuePage(BaseModel):
    queue: Queue
    sort: Sort
    counts: dict[str, int]
    items: list[QueueItem]
    next_cursor: str | None


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


class InvalidQuery(ServiceError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(422, "invalid_request", message, [FieldProblem(field, "format", message)])


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidQuery("cursor", "cursor is not one this API gave out") from None


def _queue_cursor(cursor: str | None) -> store.QueueCursor | None:
    if cursor is None:
        return None
    try:
        risk, comment_id = _decode(cursor).split(":")
        # float.hex round-trips exactly, so a page never repeats or skips an equal risk.
        found = store.QueueCursor(float.fromhex(risk), int(comment_id))
    except ValueError:
        raise InvalidQuery("cursor", "cursor is not one this API gave out") from None
    if not 0 < found.id <= MAX_ID:
        raise InvalidQuery("cursor", "cursor is not one this API gave out")
    return found


def _reason_view(reason: dict[str, Any]) -> ReasonView:
    known: dict[str, Any] = {
        k: reason.get(k) for k in ("rule", "value", "threshold", "op", "within")
    }
    try:
        text = Reason(**known).words
    except (TypeError, ValueError):  # a reason stored by a later version with fields this one lacks
        text = str(reason.get("rule", "?"))
    return ReasonView(**known, text=text)


def _spans(decision: Decision | None, body: str) -> tuple[dict[str, list[SpanView]], dict]:
    explanation = (decision.explanation if decision else None) or {}
    spans = {
        score: [
            SpanView(start=s, end=e, weight=w)
            for s, e, w in found
            if 0 <= s < e <= len(body)  # offsets into this body, never past it
        ]
        for score, found in explanation.get("spans", {}).items()
    }
    return spans, dict(explanation.get("signals", {}))


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """What a moderator asks of a queue, as the API and the workspace take it: which queue, in
    which order, narrowed how, and from where (a cursor from the page before)."""

    queue: Queue = Queue.PENDING
    sort: Sort = Sort.RISK
    site: str | None = None  # a site's public id
    article: str | None = None  # the site's article id
    author: str | None = None  # part of the name or the email
    text: str | None = None  # part of the body
    disagreements: bool = False  # only where the shadow model would decide otherwise
    cursor: str | None = None
    limit: int = 25


def queue_page(session: Session, asked: QueueQuery) -> QueuePage:
    slugs = {s.id: s.slug for s in sites_store.all_sites(session)}
    site_id: int | None = None
    if asked.site:
        site_id = next((i for i, slug in slugs.items() if slug == asked.site), None)
        if site_id is None:
            raise UnknownSite(asked.site, "site")
    queue, limit = asked.queue, asked.limit
    where = store.QueueFilter(
        status=None if queue is Queue.REPORTED else CommentStatus(queue.value),
        reported=queue is Queue.REPORTED,
        site_id=site_id,
        article=filter_text("article", asked.article),
        author=filter_text("author", asked.author),
        text=filter_text("q", asked.text),
        disagreements=asked.disagreements,
    )
    cursor = _queue_cursor(asked.cursor)
    rows = store.queue_page(session, where, asked.sort.value, cursor, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    histories = store.author_histories(session, [c.author_email for c, _, _ in rows])
    reports = store.reports_of(session, [c.id for c, _, _ in rows])
    items = [_item(c, a, d, histories, reports, slugs) for c, a, d in rows]
    next_cursor = None
    if more and rows:
        last, _, decision = rows[-1]
        risk = (decision.risk if decision else None) or 0.0
        next_cursor = _encode(f"{float(risk).hex()}:{last.id}")
    return QueuePage(
        queue=queue,
        sort=asked.sort,
        counts=store.queue_counts(session),
        items=items,
        next_cursor=next_cursor,
    )


def _item(
    comment: Comment,
    article: Article,
    decision: Decision | None,
    histories: dict[str, store.AuthorHistory],
    reports: dict[int, list[Any]],
    slugs: dict[int, str],
) -> QueueItem:
    history = histories.get(comment.author_email)
    spans, signals = _spans(decision, comment.body)
    return QueueItem(
        id=comment.id,
        status=comment.status,
        body=comment.body,
        parent_id=comment.parent_id,
        created_at=comment.created_at,
        decided_at=comment.decided_at,
        article=ArticleView(
            id=article.external_id,
            title=article.title,
            url=article.url,
            site=slugs.get(article.site_id, DEFAULT_SITE),
        ),
        channel=comment.channel,
        author=AuthorView(
            name=comment.author_name,
            email=comment.author_email,
            url=comment.author_url,
            ip=comment.client_ip,
            approved=history.approved if history else 0,
            rejected=history.rejected if history else 0,
            spam=history.spam if history else 0,
            pending=history.pending if history else 0,
            first_seen=history.first_seen if history else comment.created_at,
        ),
        scores=dict(decision.scores) if decision else {},
        risk=decision.risk if decision else None,
        reasons=[_reason_view(r) for r in (decision.reasons if decision else [])],
        model_version=decision.model_version if decision else None,
        spans=spans,
        signals=signals,
        reports=[
            ReportView(
                reason=r.reason, text=r.text, created_at=r.created_at, open=r.resolved_at is None
            )
            for r in reports.get(comment.id, [])
        ],
        shadow=_shadow_view(decision),
    )


def _shadow_view(decision: Decision | None) -> ShadowView | None:
    if decision is None or decision.shadow_version is None or decision.shadow_status is None:
        return None
    return ShadowView(
        version=decision.shadow_version,
        status=decision.shadow_status,
        scores=dict(decision.shadow_scores or {}),
        differs=decision.shadow_status != decision.status,
    )


def decide(
    session: Session,
    actor: Staff,
    ids: Sequence[int],
    action: Action,
    note: str = "",
    ground: Ground | None = None,
) -> list[DecisionResult]:
    """A moderator's decision on comments: new status, audit event, training label; open
    reports on them are closed. Unknown ids get an error of their own and stop nothing.
    `ground` (a removal's, checked by DecisionRequest) is in the label and the audit reason."""
    wanted = list(dict.fromkeys(ids))
    # An id outside the database's 64-bit range names no comment: it is not even looked up.
    comments = store.comments_for_update(session, [i for i in wanted if 1 <= i <= MAX_ID])
    versions = store.model_versions(session, list(comments))
    results: list[DecisionResult] = []
    changes: list[store.StatusChange] = []
    teaches = label_of(action, ground)
    action, ground = removal(action, ground)
    # The audit log says the ground where the action does not: "reject (threat): note".
    said = f"{action.value} ({ground})" if ground and ground is not Ground.SPAM else action.value
    reason = f"{said}: {note}" if note else said
    for comment_id in wanted:
        comment = comments.get(comment_id)
        if comment is None:
            results.append(DecisionResult(id=comment_id, error="comment not found"))
            continue
        previous = comment.status
        # Deciding a comment the policy has not decided yet is allowed (a moderator may know
        # better); the worker then leaves it alone, as it does any decided comment.
        label = (
            {"comment_id": comment_id, **teaches, "model_version": versions.get(comment_id)}
            if comment_id in versions and not comment.is_test
            # Never scored: nothing the model can learn about its own mistakes. A test: the
            # site said not to learn from it.
            else None
        )
        changes.append(store.StatusChange(comment_id, previous, action.status, reason, label))
        results.append(
            DecisionResult(
                id=comment_id, status=action.status, previous_status=previous, ground=ground
            )
        )
    store.record_changes(session, actor.name, changes)
    return results


class CannotUndo(ServiceError):
    def __init__(self, message: str) -> None:
        super().__init__(409, "cannot_undo", message)


def undo(session: Session, actor: Staff, comment_id: int) -> DecisionResult:
    """Take back the actor's own last decision on a comment, within UNDO_WINDOW."""
    last = store.last_event(session, comment_id)
    if last is None:
        raise NotFound("comment")
    if last.actor != actor.name or last.from_status is None or last.reason.startswith("undo"):
        raise CannotUndo("the last change to this comment is not a decision of yours")
    if utcnow() - last.created_at > UNDO_WINDOW:
        raise CannotUndo(f"decisions can be undone for {int(UNDO_WINDOW.total_seconds())} s")
    store.forget_label(session, comment_id, actor.name, last.created_at)
    store.record_changes(
        session,
        actor.name,
        [
            store.StatusChange(
                comment_id, last.to_status, last.from_status, f"undo: {last.reason}", None
            )
        ],
    )
    return DecisionResult(id=comment_id, status=last.from_status, previous_status=last.to_status)


def _audit_view(event: ModerationEvent) -> AuditEvent:
    return AuditEvent(
        id=event.id,
        comment_id=event.comment_id,
        actor=event.actor,
        from_status=event.from_status,
        to_status=event.to_status,
        reason=event.reason,
        created_at=event.created_at,
    )


def audit_page(
    session: Session, where: store.AuditFilter, cursor: str | None, limit: int
) -> AuditPage:
    after = None
    if cursor is not None:
        try:
            after = int(_decode(cursor))
        except ValueError:
            raise InvalidQuery("cursor", "cursor is not one this API gave out") from None
    events = store.audit_events(session, where, after, limit + 1)
    more = len(events) > limit
    events = events[:limit]
    return AuditPage(
        events=[_audit_view(e) for e in events],
        next_cursor=_encode(str(events[-1].id)) if more and events else None,
    )


CSV_COLUMNS = ("id", "comment_id", "actor", "from_status", "to_status", "reason", "created_at")


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: a reason could carry one.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def filter_text(field: str, value: str | None) -> str | None:
    """A filter a moderator typed, compared with stored text: under the rule of the text it is
    compared with (PostgreSQL fails a query that carries a NUL), else a 422 naming it."""
    return fields.checked(field, value, fields.text) if value else None


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
