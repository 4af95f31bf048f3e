"""SQL of statements of reasons: each site's catalogue of removal grounds, and the statements
written with removals, which copy the ground's words as they are at the time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from moderation.domain.appeals import AppealLinks, window_open
from moderation.domain.appeals import url as appeal_url
from moderation.domain.clock import utcnow
from moderation.domain.statements import (
    DEFAULT_GROUNDS,
    DEFAULTS_BY_KEY,
    GroundKind,
    StatementDraft,
    StatementGround,
    StatementView,
    decision_words,
)
from moderation.domain.statuses import AppealStatus, CommentStatus
from moderation.storage import appeals as appeal_store
from moderation.storage.models import (
    Appeal,
    Article,
    Comment,
    Decision,
    RemovalGround,
    Statement,
)


def seed_grounds(session: Session, site_id: int) -> None:
    """A new site's catalogue: the default grounds."""
    now = utcnow()
    session.execute(
        insert(RemovalGround),
        [
            {
                "site_id": site_id,
                "key": g.key,
                "kind": g.kind.value,
                "title": g.title,
                "description": g.description,
                "law": g.law,
                "created_at": now,
            }
            for g in DEFAULT_GROUNDS
        ],
    )


def grounds(session: Session, site_id: int) -> list[RemovalGround]:
    """A site's grounds, retired ones too, in the order they were added."""
    return list(
        session.execute(
            select(RemovalGround).where(RemovalGround.site_id == site_id).order_by(RemovalGround.id)
        ).scalars()
    )


def ground(session: Session, site_id: int, key: str) -> RemovalGround | None:
    return session.execute(
        select(RemovalGround).where(RemovalGround.site_id == site_id, RemovalGround.key == key)
    ).scalar_one_or_none()


def add_ground(session: Session, site_id: int, **values: Any) -> RemovalGround:
    row = RemovalGround(site_id=site_id, created_at=utcnow(), **values)
    session.add(row)
    session.flush()
    return row


def offered_grounds(session: Session, ids: Sequence[int]) -> dict[int, set[str]]:
    """The keys of the grounds (not retired) each comment's site removes on, by comment id."""
    if not ids:
        return {}
    rows = session.execute(
        select(Comment.id, RemovalGround.key)
        .join(Article, Article.id == Comment.article_id)
        .join(RemovalGround, RemovalGround.site_id == Article.site_id)
        .where(Comment.id.in_(ids), RemovalGround.retired_at.is_(None))
    ).all()
    found: dict[int, set[str]] = {}
    for comment_id, key in rows:
        found.setdefault(comment_id, set()).add(key)
    return found


def site_grounds(session: Session) -> dict[int, list[RemovalGround]]:
    """Every site's grounds in use (not retired), in catalogue order, by site id."""
    found: dict[int, list[RemovalGround]] = {}
    for row in session.execute(
        select(RemovalGround)
        .where(RemovalGround.retired_at.is_(None))
        .order_by(RemovalGround.site_id, RemovalGround.id)
    ).scalars():
        found.setdefault(row.site_id, []).append(row)
    return found


def policy_held_for(session: Session, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The policy's reasons for the comments among `ids` it held or removed (detection by
    automated means); a comment it published or never decided is absent."""
    if not ids:
        return {}
    rows = session.execute(
        select(Decision.comment_id, Decision.reasons, Decision.status).where(
            Decision.comment_id.in_(ids)
        )
    ).all()
    return {
        comment_id: list(reasons or [])
        for comment_id, reasons, status in rows
        if status is not CommentStatus.APPROVED
    }


def _grounds_for(
    session: Session, drafts: Sequence[StatementDraft]
) -> dict[tuple[int, str], dict[str, Any]]:
    """The words of each draft's ground on its comment's site, as the catalogue has them now,
    keyed by (comment id, key). A key the site lacks falls back to the built-in default, and
    an unknown one to "other", so a statement is never left without a ground."""
    ids = [d.comment_id for d in drafts]
    sites = dict(
        session.execute(
            select(Comment.id, Article.site_id)
            .join(Article, Article.id == Comment.article_id)
            .where(Comment.id.in_(ids))
        ).all()
    )
    rows = session.execute(
        select(RemovalGround).where(
            RemovalGround.site_id.in_(set(sites.values())),
            RemovalGround.key.in_({d.ground for d in drafts}),
        )
    ).scalars()
    catalogue = {(r.site_id, r.key): r for r in rows}
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for draft in drafts:
        row = catalogue.get((sites.get(draft.comment_id, 0), draft.ground))
        if row is not None:
            words = {"key": row.key, "kind": row.kind, "title": row.title, "law": row.law}
        else:
            default = DEFAULTS_BY_KEY.get(draft.ground, DEFAULTS_BY_KEY["other"])
            words = {"key": default.key, "kind": default.kind.value, "title": default.title}
            words["law"] = default.law
        found[(draft.comment_id, draft.ground)] = words
    return found


def record_statements(
    session: Session,
    drafts: Sequence[StatementDraft],
    redress: str,
    appeals: AppealLinks | None = None,
) -> dict[int, dict[str, Any]]:
    """Write a statement for each draft, its ground's words copied from the catalogue; returns
    each as its author reads it (JSON-ready, for the webhook event: with its appeal link when
    `appeals` says how to make one), by comment id."""
    if not drafts:
        return {}
    words = _grounds_for(session, drafts)
    now = utcnow()
    rows = []
    for d in drafts:
        ground_words = words[(d.comment_id, d.ground)]
        rows.append(
            {
                "comment_id": d.comment_id,
                "status": d.status,
                "decided_by": d.decided_by,
                "actor": d.actor,
                "ground_key": ground_words["key"],
                "ground_kind": ground_words["kind"],
                "ground_title": ground_words["title"],
                "ground_law": ground_words["law"],
                "facts": d.facts,
                "automated_detection": d.automated_detection,
                "automated_decision": d.automated_decision,
                "redress": redress,
                "created_at": now,
            }
        )
    written = [Statement(**row) for row in rows]
    session.add_all(written)
    session.flush()  # their ids: the appeal links sign them
    views = author_views(session, written, appeals)
    return {row.comment_id: views[row.id].model_dump(mode="json") for row in written}


def author_views(
    session: Session, rows: Sequence[Statement], appeals: AppealLinks | None
) -> dict[int, StatementView]:
    """Statements as their author reads them, by statement id: with the appeal link while the
    window is open (when `appeals` says how to make one) and the latest appeal's outcome."""
    if not rows:
        return {}
    latest = appeal_store.latest_by_statement(session, [r.id for r in rows])
    now = utcnow()
    key = appeal_store.link_key(session) if appeals is not None else b""
    found = {}
    for row in rows:
        link = None
        if appeals is not None and window_open(row.created_at, now, appeals.window):
            link = appeal_url(appeals, key, row.id)
        found[row.id] = view_of(row, appeal_link=link, appeal=latest.get(row.id))
    return found


def view_of(
    row: Statement, *, appeal_link: str | None = None, appeal: Appeal | None = None
) -> StatementView:
    return StatementView(
        comment_id=row.comment_id,
        decision=decision_words(row.status),
        status=row.status,
        decided_by=row.decided_by,
        ground=StatementGround(
            key=row.ground_key,
            kind=GroundKind(row.ground_kind),
            title=row.ground_title,
            law=row.ground_law,
        ),
        facts=row.facts,
        automated_detection=row.automated_detection,
        automated_decision=row.automated_decision,
        redress=row.redress,
        appeal=appeal_link,
        appeal_status=AppealStatus(appeal.status) if appeal is not None else None,
        appeal_note=appeal.note if appeal is not None else None,
        created_at=row.created_at,
    )


def statements_of(session: Session, comment_id: int) -> list[Statement]:
    """Every statement written for the comment, oldest first."""
    return list(
        session.execute(
            select(Statement).where(Statement.comment_id == comment_id).order_by(Statement.id)
        ).scalars()
    )


def latest_statements(session: Session, ids: Sequence[int]) -> dict[int, Statement]:
    """The newest statement of each comment among `ids` that has one."""
    if not ids:
        return {}
    found: dict[int, Statement] = {}
    for row in session.execute(
        select(Statement).where(Statement.comment_id.in_(ids)).order_by(Statement.id)
    ).scalars():
        found[row.comment_id] = row
    return found
