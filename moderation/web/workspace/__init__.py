"""The moderators' workspace: sign-in, the review queues, actions (one or many), the audit log,
the Notices and Appeals queues, the dashboard and staff list, the author and word rules, an
author's page with the moderators' notes and ban and remove, the transparency report; a module
of pages each.

Server-rendered and complete without JavaScript (every action is a form post that comes back
to the page); static/workspace.js adds the keyboard, in-place actions and undo.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moderation.http.auth import PageModerator
from moderation.web.workspace import (
    appeals,
    notices,
    overview,
    people,
    privacy,
    queues,
    rules,
    sign_in,
    transparency,
)
from moderation.web.workspace.cards import highlight
from moderation.web.workspace.pages import error_page
from moderation.web.workspace.sign_in import sign_in_redirect

__all__ = ["error_page", "highlight", "router", "sign_in_redirect"]

# Every page of the workspace, under one prefix and out of the API's documentation.
router = APIRouter(prefix="/moderation", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def workspace_home(caller: PageModerator) -> Response:
    return RedirectResponse("/moderation/queue/pending", status_code=303)


for part in (sign_in, queues, notices, appeals, overview, rules, people, privacy, transparency):
    router.include_router(part.router)
