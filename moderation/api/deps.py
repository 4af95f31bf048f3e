"""Typed dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from moderation.config import Settings
from moderation.queue import Dispatcher
from moderation.storage.db import session_scope


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]


@contextmanager
def unit_of_work(settings: Settings) -> Iterator[Session]:
    """The request boundary is the one place that commits."""
    with session_scope(settings.database_url) as session:
        yield session
