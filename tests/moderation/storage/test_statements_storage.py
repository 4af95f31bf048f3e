"""Migration 0014 on both databases: every site that exists gets the default removal grounds,
and a site added later gets them from the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from moderation.domain.clock import utcnow
from moderation.domain.statements import DEFAULT_GROUNDS
from moderation.services import sites
from moderation.storage.db import engine_for, session_scope
from moderation.storage.migrate import alembic_config, upgrade
from moderation.storage.models import RemovalGround
from tests.conftest import _postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        yield from _postgres_database()


def catalogue(database_url: str) -> dict[str, list[tuple[str, str | None]]]:
    with session_scope(database_url) as session:
        rows = session.execute(
            select(RemovalGround.site_id, RemovalGround.key, RemovalGround.law).order_by(
                RemovalGround.id
            )
        ).all()
    found: dict[str, list[tuple[str, str | None]]] = {}
    for site_id, key, law in rows:
        found.setdefault(str(site_id), []).append((key, law))
    return found


def test_0014_seeds_every_existing_site_and_new_sites_are_seeded_too(unmigrated_url: str) -> None:
    upgrade(unmigrated_url, "0013")
    with engine_for(unmigrated_url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sites (slug, name, origins, secret_key, policy, created_at)"
                " VALUES ('old-news', 'Old News', '[]', 'sk_old', '{}', :now)"
            ),
            {"now": utcnow()},
        )
    upgrade(unmigrated_url)
    command.check(alembic_config(unmigrated_url))
    with session_scope(unmigrated_url) as session:
        sites.add_site(session, "new-news", "New News", None, [], {})

    defaults = [(g.key, g.law) for g in DEFAULT_GROUNDS]
    # The default site (1), the one added before 0014 (2) and the one added after (3).
    assert catalogue(unmigrated_url) == {"1": defaults, "2": defaults, "3": defaults}
    # And back: 0014 can be undone and done again.
    command.downgrade(alembic_config(unmigrated_url), "0013")
    upgrade(unmigrated_url)
    assert set(catalogue(unmigrated_url)) == {"1", "2", "3"}
