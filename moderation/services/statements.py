"""Statements of reasons: each site's catalogue of removal grounds (admins list, add, edit and
retire them), and the statements themselves as the author of a removed comment sees them (only
the reader token that wrote it) and as moderators see them (every statement, with who wrote
it). The statements are written by the decisions: storage.decisions for the policy's,
review.decisions for a person's."""

from __future__ import annotations

import hmac

from pydantic import BaseModel
from sqlalchemy.orm import Session

from moderation.domain.appeals import AppealLinks
from moderation.domain.clock import utcnow
from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.domain.grounds import GroundRequest, GroundUpdate, GroundView
from moderation.domain.statements import REMOVED, GroundKind, StatementView, check_law
from moderation.storage import comments as comment_store
from moderation.storage import sites as sites_store
from moderation.storage import statements as store
from moderation.storage.models import RemovalGround, Site


def _site(session: Session, slug: str) -> Site:
    site = sites_store.site_by_slug(session, slug)
    if site is None:
        raise NotFound(f"site {slug!r}")
    return site


def _view(row: RemovalGround) -> GroundView:
    return GroundView(
        key=row.key,
        kind=GroundKind(row.kind),
        title=row.title,
        description=row.description,
        law=row.law,
        retired=row.retired_at is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def grounds_in_use(session: Session) -> dict[str, list[GroundView]]:
    """Every site's grounds a moderator may remove on (not retired), by the site's public id,
    in catalogue order: the workspace's decision buttons."""
    slugs = {s.id: s.slug for s in sites_store.all_sites(session)}
    return {
        slugs[site_id]: [_view(row) for row in rows]
        for site_id, rows in store.site_grounds(session).items()
        if site_id in slugs
    }


def list_grounds(session: Session, slug: str) -> list[GroundView]:
    """A site's grounds, the retired ones too (old statements name them)."""
    return [_view(row) for row in store.grounds(session, _site(session, slug).id)]


def add_ground(session: Session, slug: str, request: GroundRequest) -> GroundView:
    site = _site(session, slug)
    if store.ground(session, site.id, request.key) is not None:
        raise ServiceError(
            409, "ground_exists", f"site {slug!r} has a ground {request.key!r} already"
        )
    row = store.add_ground(
        session,
        site.id,
        key=request.key,
        kind=request.kind.value,
        title=request.title,
        description=request.description,
        law=request.law,
    )
    return _view(row)


def update_ground(session: Session, slug: str, key: str, update: GroundUpdate) -> GroundView:
    """Change a ground's words or law, retire it or bring it back. Statements already written
    keep the words they were written with."""
    row = store.ground(session, _site(session, slug).id, key)
    if row is None:
        raise NotFound(f"ground {key!r}")
    given = update.model_fields_set
    law = update.law if "law" in given else row.law
    try:
        check_law(GroundKind(row.kind), law)
    except ValueError as error:
        raise ServiceError(
            422, "invalid_ground", str(error), [FieldProblem("law", "required", str(error))]
        ) from None
    row.law = law
    if update.title is not None:
        row.title = update.title
    if update.description is not None:
        row.description = update.description
    if update.retired is not None:
        row.retired_at = (row.retired_at or utcnow()) if update.retired else None
    row.updated_at = utcnow()
    session.flush()
    return _view(row)


def author_statement(
    session: Session,
    comment_id: int,
    reader_hash: str | None,
    appeals: AppealLinks | None = None,
) -> StatementView | None:
    """The statement of reasons of a removed comment, for the reader token that wrote it only
    (with its appeal link while the window is open, when `appeals` says how to make one, and
    the latest appeal's outcome); None for anyone else, and while the comment is not removed.
    """
    if reader_hash is None:
        return None
    found = comment_store.comment_with_article(session, comment_id)
    if found is None:
        return None
    comment, _ = found
    if comment.status not in REMOVED or not comment.reader_hash:
        return None
    if not hmac.compare_digest(comment.reader_hash, reader_hash):
        return None
    latest = store.latest_statements(session, [comment_id]).get(comment_id)
    if latest is None:
        return None
    return store.author_views(session, [latest], appeals)[latest.id]


class ModeratorStatementView(StatementView):
    """A statement as moderators see it: also who wrote it (the author is told only whether
    a person or the policy decided)."""

    actor: str


class CommentStatements(BaseModel):
    comment_id: int
    status: str
    statements: list[ModeratorStatementView]


def statements_for_moderators(
    session: Session, comment_id: int, appeals: AppealLinks | None = None
) -> CommentStatements:
    """Every statement written for a comment, oldest first, as its author was told it (with
    the appeal link when `appeals` says how to make one, and the latest appeal's outcome)."""
    found = comment_store.comment_with_article(session, comment_id)
    if found is None:
        raise NotFound("comment")
    rows = store.statements_of(session, comment_id)
    views = store.author_views(session, rows, appeals)
    return CommentStatements(
        comment_id=comment_id,
        status=found[0].status.value,
        statements=[
            ModeratorStatementView(**views[r.id].model_dump(), actor=r.actor) for r in rows
        ],
    )
