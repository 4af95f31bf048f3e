"""SQL of sites."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.storage.models import Site


def all_sites(session: Session) -> list[Site]:
    return list(session.execute(select(Site).order_by(Site.id)).scalars())


def site_by_slug(session: Session, slug: str) -> Site | None:
    return session.execute(select(Site).where(Site.slug == slug)).scalar_one_or_none()


def insert_site(session: Session, **values: Any) -> Site:
    site = Site(created_at=utcnow(), **values)
    session.add(site)
    session.flush()
    return site
