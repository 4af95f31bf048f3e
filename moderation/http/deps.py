"""Typed dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from moderation.config import Settings
from moderation.domain.errors import FieldProblem
from moderation.messaging.queues import send_written_emails
from moderation.services import webhooks
from moderation.storage import emails as email_store
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
    send_written_emails(settings, email_store.written(session))


T = TypeVar("T")


def in_unit_of_work(settings: Settings, work: Callable[[Session], T]) -> T:
    """`work` (a service call) done in one unit of work: what it raises rolls it back."""
    with unit_of_work(settings) as session:
        return work(session)


async def in_worker_thread(settings: Settings, work: Callable[[Session], T]) -> T:
    """`in_unit_of_work` from an async route: the database calls block, so they run in a worker
    thread while the event loop serves other requests."""
    return await run_in_threadpool(in_unit_of_work, settings, work)


# The page a plain form post (a reader without JavaScript) gets back when it is refused: the
# article page again, the reader's text kept, the errors by the fields. The web layer draws it
# and app.py hands it over here, so that the API's routes never import the pages.
FormErrorPage = Callable[
    [Request, Settings, dict[str, Any], list[FieldProblem]], Awaitable[HTMLResponse]
]


def form_error_page(request: Request) -> FormErrorPage:
    page: FormErrorPage = request.app.state.form_error_page
    return page
