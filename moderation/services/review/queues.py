"""The review queues: the workspace's tabs, filtered and paged, each comment with what a
moderator needs to decide it (scores, the policy's reasons, highlighted spans, the author's
history, readers' reports, the shadow model's opinion)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from moderation.domain.policy import Reason
from moderation.domain.schemas import MAX_ID, ShownUrl
from moderation.domain.statements import StatementView
from moderation.domain.statuses import CommentStatus
from moderation.services.review.queries import (
    UnknownCursor,
    decode_cursor,
    encode_cursor,
    filter_text,
)
from moderation.services.sites import DEFAULT_SITE, UnknownSite
from moderation.storage import review as store
from moderation.storage import sites as sites_store
from moderation.storage import statements as statement_store
from moderation.storage.models import Article, Comment, Decision


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


class ParentView(BaseModel):
    """The comment a reply answers, as the moderator needs it to judge the reply."""

    id: int
    author: str
    body: str
    status: CommentStatus


class QueueItem(BaseModel):
    id: int
    status: CommentStatus
    body: str
    parent_id: int | None
    parent: ParentView | None = None
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
    # A removed comment's latest statement of reasons, as its author was told.
    statement: StatementView | None = None


class QueuePage(BaseModel):
    queue: Queue
    sort: Sort
    counts: dict[str, int]
    items: list[QueueItem]
    next_cursor: str | None


def _queue_cursor(cursor: str | None) -> store.QueueCursor | None:
    if cursor is None:
        return None
    try:
        risk, comment_id = decode_cursor(cursor).split(":")
        # float.hex round-trips exactly, so a page never repeats or skips an equal risk.
        found = store.QueueCursor(float.fromhex(risk), int(comment_id))
    except ValueError:
        raise UnknownCursor() from None
    if not 0 < found.id <= MAX_ID:
        raise UnknownCursor()
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


def queue_counts(session: Session) -> dict[str, int]:
    """Each tab's count: comments per status, and the reported ones."""
    found = store.queue_counts(session)
    return {q.value: found.get(q.value, 0) for q in Queue}


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
    items = _with_context(session, items)
    next_cursor = None
    if more and rows:
        last, _, decision = rows[-1]
        risk = (decision.risk if decision else None) or 0.0
        next_cursor = encode_cursor(f"{float(risk).hex()}:{last.id}")
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


def _with_context(session: Session, items: list[QueueItem]) -> list[QueueItem]:
    """The items with the comment each reply answers and each removal's statement."""
    parents = store.comments_by_id(session, [i.parent_id for i in items if i.parent_id])
    stated = statement_store.latest_statements(
        session, [i.id for i in items if i.status in (CommentStatus.REJECTED, CommentStatus.SPAM)]
    )
    return [
        item.model_copy(
            update={
                "parent": (
                    ParentView(id=p.id, author=p.author_name, body=p.body, status=p.status)
                    if (p := parents.get(item.parent_id or 0)) is not None
                    else None
                ),
                "statement": (
                    statement_store.view_of(stated[item.id]) if item.id in stated else None
                ),
            }
        )
        for item in items
    ]


def _shadow_view(decision: Decision | None) -> ShadowView | None:
    if decision is None or decision.shadow_version is None or decision.shadow_status is None:
        return None
    return ShadowView(
        version=decision.shadow_version,
        status=decision.shadow_status,
        scores=dict(decision.shadow_scores or {}),
        differs=decision.shadow_status != decision.status,
    )
