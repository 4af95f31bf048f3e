"""Typed dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from moderation.config import Settings
from moderation.services import webhooks
from moderation.storage.db import session_scope


# Dependencies are `async def`: FastAPI runs a plain `def` one in a thread pool, which costs
# more than the whole lookup on the hot path of accepting a comment.
async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


@contextmanager
def unit_of_work(settings: Settings) -> Iterator[Session]:
    """The request boundary is the one place that commits; the webhook deliveries that the
    request's status changes wrote are sent after the commit (never when it rolled back)."""
    with session_scope(settings.database_url) as session:
        yield session
    webhooks.send_written(settings, session)
