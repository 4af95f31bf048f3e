"""What the workspace's pages share: the settings, a page drawn for the signed-in person, the
way back after a form (never off the workspace), and a form's change done in the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from moderation.config import Settings
from moderation.http import deps
from moderation.http.auth import Caller
from moderation.web.views import templates

T = TypeVar("T")


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def safe_next(path: str | None) -> str:
    """Only a path inside the workspace: never an open redirect to another site."""
    if path and path.startswith("/moderation") and not path.startswith("//"):
        return path
    return "/moderation/queue/pending"


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status)


def staff_page(request: Request, caller: Caller, name: str, **context: Any) -> Response:
    """A workspace page for a signed-in person: their name, role and forms' CSRF token."""
    return render(request, name, {"caller": caller, "csrf_token": caller.csrf_token, **context})


def error_page(status: int, message: str) -> str:
    return templates.get_template("workspace/error.html").render(status=status, message=message)


def in_unit_of_work(request: Request, work: Callable[[Session], T]) -> T:
    """`work` done in one unit of work (a page's reads, a form's change): what it raises rolls
    it back."""
    return deps.in_unit_of_work(settings_of(request), work)


async def in_worker_thread(request: Request, work: Callable[[Session], T]) -> T:
    """`in_unit_of_work` from an async route, in a worker thread."""
    return await deps.in_worker_thread(settings_of(request), work)
