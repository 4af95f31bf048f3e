"""An author's data, for admins: export it as a JSON download, or erase it after a page that
says what will go (GDPR Art. 15, 17, 20; docs/privacy.md). The email travels in form posts
only, never in a URL a browser's history or a proxy's log would keep."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from moderation.domain.privacy import ErasureResult
from moderation.http.auth import PageAdmin, check_form_csrf
from moderation.services import privacy
from moderation.web.workspace.pages import in_worker_thread, settings_of, staff_page

router = APIRouter()


async def _email(request: Request) -> str:
    form = await request.form()
    return str(form.get("email") or "")[:254]


@router.get("/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, caller: PageAdmin) -> Response:
    return staff_page(request, caller, "workspace/privacy.html")


@router.post("/privacy/export")
async def export_author(request: Request, caller: PageAdmin) -> Response:
    """The author's data as a JSON file to hand over."""
    await check_form_csrf(request, caller)
    email = await _email(request)
    found = await in_worker_thread(request, lambda s: privacy.export(s, email))
    return Response(
        json.dumps(found, indent=2, ensure_ascii=False) + "\n",
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="author-export.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/privacy/erase", response_class=HTMLResponse)
async def erase_author(request: Request, caller: PageAdmin) -> Response:
    """First post: what an erasure would remove, and a button to confirm. Second post (with
    `confirm=yes`): the erasure, and what it did."""
    await check_form_csrf(request, caller)
    form = await request.form()
    email = await _email(request)
    if form.get("confirm") != "yes":
        found = await in_worker_thread(request, lambda s: privacy.export(s, email))
        return staff_page(
            request,
            caller,
            "workspace/privacy.html",
            email=found["email"],
            found=found,
            texts=settings_of(request).erasure_texts.value,
        )
    texts = settings_of(request).erasure_texts

    def erase(session: Session) -> ErasureResult:
        return privacy.erase(session, email, caller.staff.name, texts)

    result = await in_worker_thread(request, erase)
    return staff_page(request, caller, "workspace/privacy.html", result=result)
