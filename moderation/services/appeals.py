"""Appeals against removals (DSA Art. 20): the author of a removed comment files one from its
statement of reasons (with the reader token that wrote it, or the statement's signed link)
within the window; a moderator other than the one who removed it reinstates the comment or
upholds the removal with a note; the author sees the outcome (status URL, article page, the
appeal page); the audit log and the `appeal.filed` / `appeal.decided` webhooks carry each step.

A reinstatement publishes the comment through the moderators' own decision path (audit log,
`comment.status_changed`, training label). A comment whose text retention removed before the
appeal was decided is reinstated on the record only: there is no text left to publish.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.domain import appeals as rules
from moderation.domain.appeals import (
    MAX_APPEALS,
    REINSTATED_TEXT_GONE,
    STATUS_WORDS,
    AppealDecision,
    AppealLinks,
    AppealOutcome,
    AppealSubmission,
    AppealView,
)
from moderation.domain.clock import utcnow
from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.domain.statements import REMOVED, StatementView
from moderation.domain.statuses import AppealStatus, CommentStatus
from moderation.services.accounts import Staff
from moderation.services.review import Action, moderate
from moderation.storage import appeals as store
from moderation.storage import comments as comment_store
from moderation.storage import statements as statement_store
from moderation.storage.models import Appeal, Comment, Statement

MAX_PAGE = 100
AUTHOR = "author"  # the audit log's actor for what the comment's author did


class AppealRefused(ServiceError):
    """Filing refused for a reason the author can act on (or at least understand)."""


def _window_closed(closed_at: datetime) -> AppealRefused:
    return AppealRefused(
        410,
        "appeal_window_closed",
        f"the time to appeal this decision ended on {closed_at:%d %B %Y}",
    )


def view(appeal: Appeal) -> AppealView:
    status = AppealStatus(appeal.status)
    message = REINSTATED_TEXT_GONE if appeal.text_gone else STATUS_WORDS[status]
    return AppealView(
        id=appeal.id,
        comment_id=appeal.comment_id,
        status=status,
        filed_at=appeal.filed_at,
        decided_at=appeal.decided_at,
        note=appeal.note,
        message=message,
    )


class AppealPage(BaseModel):
    """What the appeal page (and its JSON) shows: the statement, the latest appeal, and whether
    another may be filed now and until when."""

    statement: StatementView
    comment_status: CommentStatus
    appeal: AppealView | None
    can_appeal: bool
    # Why not, in the author's words, when `can_appeal` is false.
    cannot_because: str | None
    window_closes_at: datetime


def _statement_of_token(session: Session, token: str) -> Statement:
    """The statement a signed link names; a link not signed by us is like no link (404)."""
    statement_id = rules.verify(store.link_key(session), token) if token else None
    found = store.statement(session, statement_id) if statement_id else None
    if found is None:
        raise NotFound("appeal link")
    return found


def _statement_of_reader(session: Session, comment_id: int, reader_hash: str | None) -> Statement:
    """The latest statement of the reader's own removed comment; anyone else's is a 404."""
    found = comment_store.comment_with_article(session, comment_id)
    if found is None or reader_hash is None or not found[0].reader_hash:
        raise NotFound("comment")
    if not hmac.compare_digest(found[0].reader_hash, reader_hash):
        raise NotFound("comment")
    latest = statement_store.latest_statements(session, [comment_id]).get(comment_id)
    if latest is None:
        raise NotFound("statement of reasons")
    return latest


def _refusal(
    session: Session, statement: Statement, comment: Comment, links: AppealLinks
) -> AppealRefused | None:
    """Why no appeal may be filed against this statement now; None when one may."""
    latest = statement_store.latest_statements(session, [comment.id]).get(comment.id)
    if comment.status not in REMOVED or latest is None or latest.id != statement.id:
        return AppealRefused(
            409, "not_removed", "this decision no longer applies: the comment was decided again"
        )
    if not rules.window_open(statement.created_at, utcnow(), links.window):
        return _window_closed(links.open_until(statement.created_at))
    earlier = store.of_statement(session, statement.id)
    if any(a.status == AppealStatus.OPEN for a in earlier) or store.open_of_comment(
        session, comment.id
    ):
        return AppealRefused(409, "appeal_open", "an appeal of this comment is under review")
    if len(earlier) >= MAX_APPEALS:
        return AppealRefused(
            409, "appeals_used", f"this decision was appealed {MAX_APPEALS} times already"
        )
    return None


def _comment(session: Session, comment_id: int) -> Comment:
    found = comment_store.comment_with_article(session, comment_id)
    if found is None:
        raise NotFound("comment")
    return found[0]


def appeal_page(session: Session, token: str, links: AppealLinks) -> AppealPage:
    statement = _statement_of_token(session, token)
    comment = _comment(session, statement.comment_id)
    views = statement_store.author_views(session, [statement], links)
    earlier = store.of_statement(session, statement.id)
    refusal = _refusal(session, statement, comment, links)
    return AppealPage(
        statement=views[statement.id],
        comment_status=comment.status,
        appeal=view(earlier[-1]) if earlier else None,
        can_appeal=refusal is None,
        cannot_because=refusal.message if refusal else None,
        window_closes_at=links.open_until(statement.created_at),
    )


def comment_site(session: Session, submission: AppealSubmission, reader_hash: str | None) -> int:
    """The site of the comment appealed (its registered origins may send the appeal)."""
    return _statement_and_site(session, submission, reader_hash)[1]


def _statement_and_site(
    session: Session, submission: AppealSubmission, reader_hash: str | None
) -> tuple[Statement, int]:
    if submission.token:
        statement = _statement_of_token(session, submission.token)
    elif submission.comment_id:
        statement = _statement_of_reader(session, submission.comment_id, reader_hash)
    else:
        problem = FieldProblem("token", "required", "token (or comment_id) is required")
        raise ServiceError(422, "invalid_appeal", problem.message, [problem])
    found = comment_store.comment_with_article(session, statement.comment_id)
    if found is None:
        raise NotFound("comment")
    return statement, found[1].site_id


def file_appeal(
    session: Session,
    submission: AppealSubmission,
    reader_hash: str | None,
    links: AppealLinks,
) -> AppealView:
    """File an appeal against the statement the signed token names, or the latest one of the
    reader's own comment; the audit log and the `appeal.filed` webhook record it."""
    statement, site_id = _statement_and_site(session, submission, reader_hash)
    comment = _comment(session, statement.comment_id)
    refusal = _refusal(session, statement, comment, links)
    if refusal is not None:
        raise refusal
    try:
        with session.begin_nested():
            appeal = store.insert_appeal(
                session,
                comment_id=comment.id,
                statement_id=statement.id,
                site_id=site_id,
                explanation=submission.explanation,
                filed_with="link" if submission.token else "reader",
                original_by=statement.decided_by,
                original_actor=statement.actor,
            )
    except IntegrityError:  # another appeal of the comment was filed a moment ago
        raise AppealRefused(
            409, "appeal_open", "an appeal of this comment is under review"
        ) from None
    store.record_audit(session, comment.id, comment.status, AUTHOR, f"appeal {appeal.id} filed")
    _record_event(session, appeal, store.APPEAL_FILED, statement, links)
    return view(appeal)


def _record_event(
    session: Session, appeal: Appeal, event_type: str, statement: Statement, links: AppealLinks
) -> None:
    """The appeal's webhook event: the appeal as its author sees it, with the author's
    explanation, who decided it (moderators' names stay out of what the author sees), and
    the statement it contests."""
    stated = statement_store.author_views(session, [statement], links)[statement.id]
    data: dict[str, Any] = {
        "appeal": {
            **view(appeal).model_dump(mode="json"),
            "statement_id": appeal.statement_id,
            "explanation": appeal.explanation,
            "filed_with": appeal.filed_with,
            "decided_by": appeal.decided_by_name,
        },
        "statement": stated.model_dump(mode="json"),
    }
    store.record_event(session, appeal, event_type, data, utcnow())


class OpenAppealView(BaseModel):
    """An appeal as moderators see it: the comment (its text while kept), the statement, the
    author's explanation, and whether the one asking may decide it."""

    id: int
    status: AppealStatus
    filed_at: datetime
    explanation: str
    comment_id: int
    comment_status: CommentStatus
    comment_author: str
    comment_body: str
    text_removed: bool
    site: str
    article_id: str
    article_title: str | None
    statement: StatementView
    decided_by: str  # policy or person
    original_actor: str  # the policy, or the moderator who removed it
    may_decide: bool
    # Why not, when `may_decide` is false.
    cannot_decide_because: str | None


class AppealQueue(BaseModel):
    items: list[OpenAppealView]
    open: int
    # Give it back as `after` for the next page; None on the last.
    next_after: int | None


SAME_PERSON = "you took the decision appealed: another moderator decides the appeal"


def open_appeals(
    session: Session, moderator: Staff, after: int = 0, limit: int = 50
) -> AppealQueue:
    size = min(max(limit, 1), MAX_PAGE)
    rows = store.open_appeals(session, after, size)
    items = []
    for r in rows:
        allowed = rules.may_decide(r.appeal.original_by, r.appeal.original_actor, moderator.name)
        items.append(
            OpenAppealView(
                id=r.appeal.id,
                status=AppealStatus(r.appeal.status),
                filed_at=r.appeal.filed_at,
                explanation=r.appeal.explanation,
                comment_id=r.comment.id,
                comment_status=r.comment.status,
                comment_author=r.comment.author_name,
                comment_body=r.comment.body,
                text_removed=r.comment.text_removed_at is not None,
                site=r.site,
                article_id=r.article.external_id,
                article_title=r.article.title,
                statement=statement_store.view_of(r.statement),
                decided_by=r.appeal.original_by,
                original_actor=r.appeal.original_actor,
                may_decide=allowed,
                cannot_decide_because=None if allowed else SAME_PERSON,
            )
        )
    return AppealQueue(
        items=items,
        open=store.count_open(session),
        next_after=items[-1].id if len(rows) == size else None,
    )


def decide_appeal(
    session: Session,
    actor: Staff,
    appeal_id: int,
    decision: AppealDecision,
    links: AppealLinks,
) -> AppealView:
    """Reinstate (publish the comment through the moderators' decision path) or uphold, with
    the note the author reads; never by the moderator who removed the comment."""
    appeal = store.for_update(session, appeal_id)
    if appeal is None:
        raise NotFound("appeal")
    if appeal.status != AppealStatus.OPEN:
        raise ServiceError(409, "appeal_decided", "this appeal was decided already")
    if not rules.may_decide(appeal.original_by, appeal.original_actor, actor.name):
        raise ServiceError(403, "same_moderator", SAME_PERSON)
    comment = _comment(session, appeal.comment_id)
    statement = store.statement(session, appeal.statement_id)
    assert statement is not None  # a foreign key
    words = f"appeal {appeal.id} {decision.outcome.value}: {decision.note}"
    if decision.outcome is AppealOutcome.UPHELD:
        store.record_audit(session, comment.id, comment.status, actor.name, words)
    elif comment.text_removed_at is not None:
        # Retention replaced its text: reversing the decision cannot publish it.
        appeal.text_gone = True
        store.record_audit(
            session, comment.id, comment.status, actor.name, f"{words} (text removed)"
        )
    elif comment.status in REMOVED:
        moderate(session, actor, [comment.id], Action.APPROVE, words)
    else:  # published meanwhile (a moderator approved it): the record says so
        store.record_audit(session, comment.id, comment.status, actor.name, words)
    appeal.status = decision.outcome.value
    appeal.decided_at = utcnow()
    appeal.decided_by = actor.id
    appeal.decided_by_name = actor.name
    appeal.note = decision.note
    session.flush()
    _record_event(session, appeal, store.APPEAL_DECIDED, statement, links)
    return view(appeal)
