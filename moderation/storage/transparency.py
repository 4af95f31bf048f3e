"""SQL of the transparency report and the statements-of-reasons export: the rows of a period
(notices, statements, status changes, appeals, the accounts that decided), for one site or all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from moderation.domain.dsa_database import StatementRow
from moderation.domain.transparency import (
    MODERATORS,
    OTHERS,
    POLICY,
    AppealRow,
    NoticeRow,
    Period,
    RemovalRow,
)
from moderation.storage.models import (
    Appeal,
    Article,
    Comment,
    ModerationEvent,
    Notice,
    Site,
    Statement,
    User,
)

# The actor name the policy's own status changes carry (storage.decisions.record_decisions).
POLICY_ACTOR = "policy"


def notice_rows(session: Session, period: Period, site_id: int | None) -> list[NoticeRow]:
    """The notices the period sees: received in it, decided in it, or open at its end."""
    query = select(Notice.ground, Notice.received_at, Notice.decided_at, Notice.outcome).where(
        Notice.received_at < period.end,
        or_(Notice.decided_at.is_(None), Notice.decided_at >= period.start),
    )
    if site_id is not None:
        query = query.where(Notice.site_id == site_id)
    return [NoticeRow(*row) for row in session.execute(query)]


def notice_deciders(session: Session, period: Period, site_id: int | None) -> set[str]:
    query = select(Notice.decided_by).where(
        Notice.decided_at >= period.start,
        Notice.decided_at < period.end,
        Notice.decided_by.is_not(None),
    )
    if site_id is not None:
        query = query.where(Notice.site_id == site_id)
    return {name for (name,) in session.execute(query) if name}


def _after_notice() -> Any:
    """A notice about the comment was decided "removed", received before the statement."""
    return exists().where(
        Notice.comment_id == Statement.comment_id,
        Notice.outcome == "removed",
        Notice.received_at <= Statement.created_at,
    )


def _statements(period: Period, site_id: int | None, *columns: Any) -> Select[Any]:
    query = (
        select(*columns)
        .join(Comment, Comment.id == Statement.comment_id)
        .join(Article, Article.id == Comment.article_id)
        .join(Site, Site.id == Article.site_id)
        .where(Statement.created_at >= period.start, Statement.created_at < period.end)
        .order_by(Statement.id)
    )
    return query if site_id is None else query.where(Article.site_id == site_id)


def removal_rows(session: Session, period: Period, site_id: int | None) -> list[RemovalRow]:
    query = _statements(
        period,
        site_id,
        Statement.ground_key,
        Statement.ground_kind,
        Statement.ground_title,
        Statement.decided_by,
        Statement.automated_detection,
        _after_notice().label("after_notice"),
    )
    return [RemovalRow(*row) for row in session.execute(query)]


def statement_rows(session: Session, period: Period, site_id: int | None) -> list[StatementRow]:
    query = _statements(
        period,
        site_id,
        Statement.id,
        Site.slug,
        Statement.ground_key,
        Statement.ground_kind,
        Statement.ground_title,
        Statement.ground_law,
        Statement.facts,
        Statement.decided_by,
        Statement.automated_detection,
        Statement.created_at,
        Comment.created_at,
        _after_notice().label("after_notice"),
        Comment.author_name,
        Comment.author_email,
        Comment.author_url,
        Comment.body,
    )
    return [StatementRow(*row) for row in session.execute(query)]


def status_changes(
    session: Session, period: Period, site_id: int | None
) -> tuple[list[tuple[str, str]], set[str]]:
    """(POLICY, MODERATORS or OTHERS, new status) of each status change in the period, and the
    names of the people (accounts) who made them."""
    accounts = select(User.name).where(User.name == ModerationEvent.actor).exists()
    query = (
        select(ModerationEvent.actor, ModerationEvent.to_status, accounts.label("is_account"))
        .join(Comment, Comment.id == ModerationEvent.comment_id)
        .join(Article, Article.id == Comment.article_id)
        .where(
            ModerationEvent.created_at >= period.start,
            ModerationEvent.created_at < period.end,
            or_(
                ModerationEvent.from_status.is_(None),
                ModerationEvent.from_status != ModerationEvent.to_status,
            ),
        )
    )
    if site_id is not None:
        query = query.where(Article.site_id == site_id)
    changes, people = [], set()
    for actor, status, is_account in session.execute(query):
        if actor == POLICY_ACTOR:
            source = POLICY
        elif is_account:
            source = MODERATORS
            people.add(actor)
        else:
            source = OTHERS
        changes.append((source, status.value))
    return changes, people


def roles(session: Session, names: set[str]) -> dict[str, str]:
    if not names:
        return {}
    return dict(session.execute(select(User.name, User.role).where(User.name.in_(names))).all())


def appeal_rows(
    session: Session, period: Period, site_id: int | None
) -> tuple[list[AppealRow], set[str]]:
    """The appeals the period sees (filed in it, decided in it, open at its end) and the names
    of those who decided them in it."""
    query = select(Appeal.status, Appeal.filed_at, Appeal.decided_at, Appeal.decided_by_name).where(
        Appeal.filed_at < period.end,
        or_(Appeal.decided_at.is_(None), Appeal.decided_at >= period.start),
    )
    if site_id is not None:
        query = query.where(Appeal.site_id == site_id)
    rows, deciders = [], set()
    for status, filed_at, decided_at, decided_by in session.execute(query):
        row = AppealRow(str(status), filed_at, decided_at)
        rows.append(row)
        if decided_by and period.holds(row.decided_at):
            deciders.add(decided_by)
    return rows, deciders
