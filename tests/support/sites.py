"""A second site for the tests, on an origin of its own."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from moderation.services import sites
from moderation.storage.db import session_scope

NEWS_ORIGIN = "https://news.example"


def add_site(database_url: str, slug: str = "example-news", **policy: Any) -> sites.SiteInfo:
    with session_scope(database_url) as session:
        site = sites.add_site(
            session, slug, "Example News", "https://news.example/", [NEWS_ORIGIN], policy
        )
        return sites.SiteInfo.of(site)


def fresh_sites(client: TestClient) -> None:
    """The app reads sites every few seconds; a test that just added one reads it now."""
    client.app.state.sites.forget()  # type: ignore[attr-defined]
