"""SQL of an author's rights: every row that holds or points to one author's data (found by
their email, case-blind), and the updates an erasure makes to them."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.domain.privacy import ERASED_NAME
from moderation.storage.models import (
    Appeal,
    Article,
    AuthorNote,
    AuthorRule,
    Comment,
    Decision,
    Email,
    Erasure,
    LoginFailure,
    ModerationEvent,
    ModeratorLabel,
    Notice,
    PrivacyKey,
    Report,
    Site,
    Statement,
    WebhookDelivery,
    WebhookEndpoint,
)
from moderation.storage.notices import NOTICE_DECIDED

_KEY_NAME = "erasure"


@dataclass(frozen=True, slots=True)
class AuthoredComment:
    comment: Comment
    article: Article
    site: str  # the site's public id


def authored(session: Session, email_key: str) -> list[AuthoredComment]:
    """Every comment written with this email (any case), oldest first, with its article.

    `lower()` defeats the email index: a full scan, which a rare request by an admin affords,
    while bans and the policy's history keep their indexed exact match."""
    rows = session.execute(
        select(Comment, Article, Site.slug)
        .join(Article, Article.id == Comment.article_id)
        .join(Site, Site.id == Article.site_id)
        .where(func.lower(Comment.author_email) == email_key)
        .order_by(Comment.id)
    ).all()
    return [AuthoredComment(c, a, slug) for c, a, slug in rows]


def _by_comment(session: Session, table: Any, ids: Sequence[int]) -> list[Any]:
    if not ids:
        return []
    return list(
        session.execute(
            select(table).where(table.comment_id.in_(ids)).order_by(table.comment_id, table.id)
        ).scalars()
    )


def decisions_on(session: Session, ids: Sequence[int]) -> list[Decision]:
    return _by_comment(session, Decision, ids)


def events_on(session: Session, ids: Sequence[int]) -> list[ModerationEvent]:
    return _by_comment(session, ModerationEvent, ids)


def statements_on(session: Session, ids: Sequence[int]) -> list[Statement]:
    return _by_comment(session, Statement, ids)


def appeals_on(session: Session, ids: Sequence[int]) -> list[Appeal]:
    return _by_comment(session, Appeal, ids)


def labels_on(session: Session, ids: Sequence[int]) -> list[ModeratorLabel]:
    return _by_comment(session, ModeratorLabel, ids)


def reports_on(session: Session, ids: Sequence[int]) -> list[Report]:
    return _by_comment(session, Report, ids)


def deliveries_about(session: Session, ids: Sequence[int]) -> list[tuple[WebhookDelivery, str]]:
    """The webhook events about these comments still stored, with the URL each went to."""
    if not ids:
        return []
    rows = session.execute(
        select(WebhookDelivery, WebhookEndpoint.url)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.comment_id.in_(ids))
        .order_by(WebhookDelivery.id)
    ).all()
    return [(delivery, url) for delivery, url in rows]


def notices_filed(session: Session, email_key: str) -> list[Notice]:
    """The notices of illegal content filed with this email as the notifier's (any case); a
    full scan, as `authored` is."""
    return list(
        session.execute(
            select(Notice).where(func.lower(Notice.notifier_email) == email_key).order_by(Notice.id)
        ).scalars()
    )


def emails_to(session: Session, email_key: str) -> list[Email]:
    """The notifiers' emails addressed to this email (any case)."""
    return list(
        session.execute(
            select(Email).where(func.lower(Email.recipient) == email_key).order_by(Email.id)
        ).scalars()
    )


def delete_emails(session: Session, email_key: str) -> int:
    """Delete the notifiers' emails addressed to this email, sent or not."""
    deleted = session.execute(
        delete(Email).where(func.lower(Email.recipient) == email_key).returning(Email.id)
    ).all()
    return len(deleted)


def notice_events(session: Session, notices: Sequence[Notice]) -> list[WebhookDelivery]:
    """The stored `notice.decided` events of these notices: each carries its notifier's
    contact for the site to write to them."""
    if not notices:
        return []
    wanted = {n.id for n in notices}
    rows = session.execute(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.event_type == NOTICE_DECIDED,
            WebhookDelivery.comment_id.in_({n.comment_id for n in notices}),
        )
        .order_by(WebhookDelivery.id)
    ).scalars()
    return [d for d in rows if _notice_id(d.payload) in wanted]


def _notice_id(payload: dict[str, Any]) -> Any:
    return ((payload.get("data") or {}).get("notice") or {}).get("id")


def rules_naming(session: Session, values: Sequence[str]) -> list[AuthorRule]:
    """Bans and trust naming any of these emails, addresses or salted hashes of them."""
    if not values:
        return []
    return list(
        session.execute(
            select(AuthorRule).where(AuthorRule.value.in_(values)).order_by(AuthorRule.id)
        ).scalars()
    )


def notes_on(session: Session, email: str) -> list[AuthorNote]:
    """The moderators' notes on the author of this email."""
    return list(
        session.execute(
            select(AuthorNote).where(AuthorNote.author_email == email).order_by(AuthorNote.id)
        ).scalars()
    )


def delete_notes(session: Session, email: str) -> int:
    result = session.execute(delete(AuthorNote).where(AuthorNote.author_email == email))
    return int(getattr(result, "rowcount", 0) or 0)


def erasures_of(session: Session, subject: str) -> list[Erasure]:
    return list(
        session.execute(
            select(Erasure).where(Erasure.subject == subject).order_by(Erasure.id)
        ).scalars()
    )


def stored_secret(session: Session, name: str = _KEY_NAME) -> bytes | None:
    """The deployment's salt for erasure hashes (or another key by `name`: the appeal links'),
    or None before its first use."""
    found = session.execute(
        select(PrivacyKey.secret).where(PrivacyKey.name == name)
    ).scalar_one_or_none()
    return None if found is None else bytes.fromhex(found)


def secret(session: Session, name: str = _KEY_NAME) -> bytes:
    """The salt (or the key `name`), made at its first use; two racing to make it agree on
    one."""
    found = stored_secret(session, name)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.execute(
                insert(PrivacyKey).values(
                    name=name, secret=secrets.token_hex(32), created_at=utcnow()
                )
            )
    except IntegrityError:
        pass  # the other one's key is the one kept
    made = stored_secret(session, name)
    assert made is not None
    return made


def replied_to(session: Session, ids: Sequence[int]) -> set[int]:
    """Those of these comments that comments of other people reply to."""
    if not ids:
        return set()
    found = session.execute(
        select(Comment.parent_id).where(Comment.parent_id.in_(ids), Comment.id.not_in(ids))
    ).scalars()
    return {parent for parent in found if parent is not None}


def blank_comments(session: Session, bodies: dict[int, str]) -> None:
    """The author's identifiers gone from their comments, each body replaced by `bodies`."""
    for body in set(bodies.values()):
        ids = [i for i, b in bodies.items() if b == body]
        session.execute(
            update(Comment)
            .where(Comment.id.in_(ids))
            .values(
                author_name=ERASED_NAME,
                author_email="",
                author_url=None,
                client_ip=None,
                user_agent=None,
                reader_hash=None,
                body=body,
                body_fingerprint=None,
            )
            .execution_options(synchronize_session=False)
        )


def delete_labels(session: Session, ids: Sequence[int]) -> int:
    """The training labels of these comments: their texts leave every future training set."""
    if not ids:
        return 0
    result = session.execute(delete(ModeratorLabel).where(ModeratorLabel.comment_id.in_(ids)))
    return int(getattr(result, "rowcount", 0) or 0)


def clear_reports(session: Session, ids: Sequence[int], addresses: Sequence[str]) -> int:
    """Readers' report texts on these comments (they may quote them) and the author's
    addresses on reports they may have filed."""
    cleared = 0
    if ids:
        result = session.execute(update(Report).where(Report.comment_id.in_(ids)).values(text=None))
        cleared += int(getattr(result, "rowcount", 0) or 0)
    if addresses:
        result = session.execute(
            update(Report).where(Report.client_ip.in_(addresses)).values(client_ip=None)
        )
        cleared += int(getattr(result, "rowcount", 0) or 0)
    return cleared


def clear_login_failures(session: Session, addresses: Sequence[str]) -> int:
    if not addresses:
        return 0
    result = session.execute(
        update(LoginFailure).where(LoginFailure.client_ip.in_(addresses)).values(client_ip=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def rewrite(rows: Sequence[Any], attribute: str, change: Callable[[Any], Any]) -> int:
    """Set `attribute` of each loaded row to `change(value)` where that differs; how many."""
    changed = 0
    for row in rows:
        before = getattr(row, attribute)
        after = change(before)
        if after != before:
            setattr(row, attribute, after)
            changed += 1
    return changed


def record_erasure(
    session: Session, subject: str, requested_by: str, texts: str, comments: int
) -> int:
    erasure = Erasure(
        subject=subject,
        requested_by=requested_by,
        texts=texts,
        comments=comments,
        created_at=utcnow(),
    )
    session.add(erasure)
    session.flush()
    return erasure.id
