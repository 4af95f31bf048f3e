"""Notices of illegal content (DSA Art. 16): anyone files one about a published comment and
gets a status URL; moderators review and decide it (a removal goes through the moderators'
own decision path: audit log, webhooks and training label as for any removal); the notifier
sees the outcome at the status URL and the site gets a `notice.decided` webhook.

When the deployment configures SMTP (MODERATION_SMTP_URL), the notifier also gets an email
at filing (the acknowledgement, with the status URL) and at the decision (the outcome, the
reason and the redress), written to the `emails` outbox in the same transaction. Without it no
email is sent: the site's backend may write to the notifier from the webhook, which carries
their contact (they gave it to hear the outcome).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from moderation.config import Settings
from moderation.domain import emails
from moderation.domain.clock import utcnow
from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.domain.notices import (
    NoticeDecision,
    NoticeGround,
    NoticeOutcome,
    NoticeStatus,
    NoticeStatusView,
    NoticeSubmission,
    new_token,
    removal_ground,
    token_hash,
)
from moderation.domain.statuses import CommentStatus
from moderation.services.accounts import Staff
from moderation.services.review import Action, Ground, moderate
from moderation.storage import comments as comment_store
from moderation.storage import emails as email_store
from moderation.storage import notices as store
from moderation.storage import statements as statement_store
from moderation.storage.models import Notice

MAX_PAGE = 100
_REMOVED = (CommentStatus.REJECTED, CommentStatus.SPAM)


class FiledNotice(BaseModel):
    id: int
    site_id: int
    # The status URL's secret, given out once: only its hash is kept.
    token: str


class NoticeSubject(BaseModel):
    """The published comment a notice is about, as the form shows it (all of it public)."""

    comment_id: int
    author_name: str
    body: str
    created_at: datetime
    article_id: str
    article_title: str | None
    site_id: int


def notice_subject(session: Session, comment_id: int) -> NoticeSubject:
    """A published comment; 404 for any other, as for an unknown id (nobody else sees it)."""
    found = comment_store.comment_with_article(session, comment_id)
    if found is None or found[0].status is not CommentStatus.APPROVED:
        raise NotFound("comment")
    comment, article = found
    return NoticeSubject(
        comment_id=comment.id,
        author_name=comment.author_name,
        body=comment.body,
        created_at=comment.created_at,
        article_id=article.external_id,
        article_title=article.title,
        site_id=article.site_id,
    )


def comment_site(session: Session, comment_id: int) -> int:
    """The site of a published comment: its registered origins may send notices about it."""
    return notice_subject(session, comment_id).site_id


@dataclass(frozen=True, slots=True)
class NoticeMail:
    """The deployment writes to notifiers: where its status URLs start, and the redress text."""

    base_url: str
    redress: str


def notice_mail(settings: Settings, base_url: str) -> NoticeMail | None:
    """None without an SMTP server (no email at all); links start at the public address,
    else at the address the request came to."""
    if settings.smtp_url is None:
        return None
    return NoticeMail(settings.public_url or base_url, settings.redress_text)


def file_notice(
    session: Session, submission: NoticeSubmission, mail: NoticeMail | None = None
) -> FiledNotice:
    site_id = comment_site(session, submission.comment_id)
    token = new_token()
    notice = store.insert_notice(
        session,
        comment_id=submission.comment_id,
        site_id=site_id,
        ground=submission.ground.value,
        law=submission.law,
        explanation=submission.explanation,
        notifier_name=submission.notifier_name,
        notifier_email=submission.notifier_email,
        good_faith=submission.good_faith,
        token_hash=token_hash(token),
    )
    if mail is not None:
        # Only now is the token known: the acknowledgement carries the status URL.
        status_url = f"{mail.base_url}/notices/status/{token}"
        text = emails.acknowledgement(notice.id, submission.ground, status_url)
        email_store.insert_email(session, submission.notifier_email, text, notice.id)
    return FiledNotice(id=notice.id, site_id=site_id, token=token)


def status_view(notice: Notice) -> NoticeStatusView:
    return NoticeStatusView(
        id=notice.id,
        status=NoticeStatus(notice.status),
        ground=NoticeGround(notice.ground),
        received_at=notice.received_at,
        decided_at=notice.decided_at,
        outcome=NoticeOutcome(notice.outcome) if notice.outcome else None,
        reason=notice.reason,
    )


def notice_status(session: Session, token: str) -> NoticeStatusView:
    """What the status URL shows; an unknown token is a 404 like an unknown notice."""
    notice = store.by_token_hash(session, token_hash(token)) if token else None
    if notice is None:
        raise NotFound("notice")
    return status_view(notice)


class OpenNoticeView(BaseModel):
    """A notice as moderators see it: the comment, its article, the ground and explanation,
    and the notifier's contact (moderators may need to ask them more)."""

    id: int
    status: NoticeStatus
    received_at: datetime
    ground: NoticeGround
    law: str | None
    explanation: str
    notifier_name: str
    notifier_email: str
    comment_id: int
    comment_status: CommentStatus
    comment_author: str
    comment_body: str
    site: str
    article_id: str
    article_title: str | None
    # The comment's site's removal grounds (key, title), and the one a removal names unless
    # the moderator picks another.
    removal_grounds: list[tuple[str, str]]
    removal_ground: str


class NoticePage(BaseModel):
    items: list[OpenNoticeView]
    open: int
    # Give it back as `after` for the next page; None on the last.
    next_after: int | None


def open_notices(session: Session, after: int = 0, limit: int = 50) -> NoticePage:
    rows = store.open_notices(session, after, min(max(limit, 1), MAX_PAGE))
    catalogues = statement_store.site_grounds(session)
    items = [
        OpenNoticeView(
            id=r.notice.id,
            status=NoticeStatus(r.notice.status),
            received_at=r.notice.received_at,
            ground=NoticeGround(r.notice.ground),
            law=r.notice.law,
            explanation=r.notice.explanation,
            notifier_name=r.notice.notifier_name,
            notifier_email=r.notice.notifier_email,
            comment_id=r.comment.id,
            comment_status=r.comment.status,
            comment_author=r.comment.author_name,
            comment_body=r.comment.body,
            site=r.site,
            article_id=r.article.external_id,
            article_title=r.article.title,
            removal_grounds=[(g.key, g.title) for g in catalogues.get(r.notice.site_id, [])],
            removal_ground=_default_ground(
                NoticeGround(r.notice.ground),
                {g.key for g in catalogues.get(r.notice.site_id, [])},
            ),
        )
        for r in rows
    ]
    full = len(rows) == min(max(limit, 1), MAX_PAGE)
    return NoticePage(
        items=items, open=store.count_open(session), next_after=items[-1].id if full else None
    )


class NoticeDecided(ServiceError):
    def __init__(self) -> None:
        super().__init__(409, "notice_decided", "this notice was decided already")


def start_review(session: Session, notice_id: int) -> NoticeStatusView:
    """A moderator takes the notice up: the notifier's status URL says "under review"."""
    notice = store.for_update(session, notice_id)
    if notice is None:
        raise NotFound("notice")
    if notice.status == NoticeStatus.DECIDED:
        raise NoticeDecided()
    store.mark_under_review(session, notice_id)
    session.refresh(notice)
    return status_view(notice)


def decide_notice(
    session: Session,
    actor: Staff,
    notice_id: int,
    decision: NoticeDecision,
    mail: NoticeMail | None = None,
) -> NoticeStatusView:
    """Remove the comment (the moderators' decision path: audit, webhooks, label) and close
    every open notice of it, or keep it and close this one; each closed notice's site gets
    its `notice.decided` event."""
    notice = store.for_update(session, notice_id)
    if notice is None:
        raise NotFound("notice")
    if notice.status == NoticeStatus.DECIDED:
        raise NoticeDecided()
    ids = [notice_id]
    if decision.outcome is NoticeOutcome.REMOVED:
        found = comment_store.comment_with_article(session, notice.comment_id)
        if found is not None and found[0].status not in _REMOVED:
            _remove(session, actor, notice, decision)
        ids = sorted({notice_id, *store.open_ids_of_comment(session, notice.comment_id)})
    closed = store.close(session, ids, decision.outcome.value, decision.reason, actor.name)
    for each in closed:
        store.record_event(session, each, _event_data(each), utcnow())
        if mail is not None and each.notifier_email:
            # The status URL's token is kept hashed only: the email points to the one sent
            # with the acknowledgement instead.
            text = emails.decision(each.id, decision.outcome, decision.reason, None, mail.redress)
            email_store.insert_email(session, each.notifier_email, text, each.id)
    session.refresh(notice)
    return status_view(notice)


def _default_ground(ground: NoticeGround, offered: set[str]) -> str:
    """The notice's own removal ground where the site offers it, else "other" (a moderator's
    ground every site understands)."""
    key = removal_ground(ground)
    return key if key in offered else Ground.OTHER.value


def _remove(session: Session, actor: Staff, notice: Notice, decision: NoticeDecision) -> None:
    """The moderators' decision path, stated on the ground picked (or the notice's own) with
    the notice and the law it names in the facts."""
    offered = statement_store.offered_grounds(session, [notice.comment_id]).get(
        notice.comment_id, set()
    )
    ground = decision.ground or _default_ground(NoticeGround(notice.ground), offered)
    law = f" ({notice.law})" if notice.law else ""
    note = f"notice {notice.id}{law}: {decision.reason}"
    (result,) = moderate(session, actor, [notice.comment_id], Action.REJECT, note, ground)
    if result.error is not None:
        problem = FieldProblem("ground", "not_offered", result.error)
        raise ServiceError(422, "invalid_request", problem.message, [problem])


def _event_data(notice: Notice) -> dict[str, object]:
    return {
        "notice": {
            **status_view(notice).model_dump(mode="json"),
            "comment_id": notice.comment_id,
            "law": notice.law,
            "decided_by": notice.decided_by,
            "automated": notice.automated,
        },
        # For the site's backend to tell the notifier (this service emails them only when
        # the deployment configures SMTP).
        "notifier": {"name": notice.notifier_name, "email": notice.notifier_email},
    }
