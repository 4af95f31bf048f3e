"""Transparency: the report of a period (notices, removals, decisions, appeals, the people who
decided; DSA Art. 15 and 24) and the period's statements of reasons in the shape the EU DSA
Transparency Database's API takes (Art. 24(5)). The command line, the admin API and the
workspace page all call these two."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from moderation.domain import dsa_database, transparency
from moderation.domain.clock import utcnow
from moderation.domain.errors import NotFound
from moderation.domain.transparency import Period, TransparencyReport
from moderation.storage import sites as sites_store
from moderation.storage import transparency as store


def _site_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    site = sites_store.site_by_slug(session, slug)
    if site is None:
        raise NotFound(f"site {slug!r}")
    return site.id


def report(session: Session, period: Period, site: str | None = None) -> TransparencyReport:
    """Every number of the period, for one site (its id) or the whole deployment."""
    site_id = _site_id(session, site)
    changes, people = store.status_changes(session, period, site_id)
    people |= store.notice_deciders(session, period, site_id)
    appeals, appeal_deciders = store.appeal_rows(session, period, site_id)
    people |= appeal_deciders
    return TransparencyReport(
        period_from=period.first_day,
        period_to=period.end_day,
        site=site,
        generated_at=utcnow(),
        notices=transparency.notice_counts(store.notice_rows(session, period, site_id), period),
        removals=transparency.removal_counts(store.removal_rows(session, period, site_id)),
        decisions=transparency.decision_counts(changes),
        appeals=transparency.appeal_counts(appeals, period),
        moderators=transparency.moderator_counts(people, store.roles(session, people)),
    )


def statements_of_reasons(
    session: Session,
    period: Period,
    site: str | None = None,
    territories: Sequence[str] = dsa_database.EU_MEMBER_STATES,
) -> dict[str, Any]:
    """The statements of reasons written in the period, oldest first, as the database's batch
    endpoint takes them: {"statements": [...]} (at most BATCH_LIMIT a call: split to send)."""
    rows = store.statement_rows(session, period, _site_id(session, site))
    return {"statements": [dsa_database.sor_of(row, territories) for row in rows]}
