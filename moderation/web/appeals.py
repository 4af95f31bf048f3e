"""The appeal page: the statement of reasons a signed link names (linked from the statement on
the article page, in the widget, and in the webhook for a site to email), the author's appeal
form while the window is open, and the appeal's state and outcome. Complete without
JavaScript; the form post is answered with a redirect to the page (a reload files nothing)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moderation.config import Settings
from moderation.domain.appeals import MAX_APPEAL_TOKEN, MAX_EXPLANATION
from moderation.domain.errors import NotFound, ServiceError
from moderation.http import appeals as filing
from moderation.http.deps import in_worker_thread
from moderation.services import appeals as service
from moderation.web.views import templates

router = APIRouter(include_in_schema=False)

_PRIVATE = {"Cache-Control": "no-store"}


async def _page(
    request: Request,
    token: str,
    *,
    filed: bool = False,
    explanation: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    settings: Settings = request.app.state.settings
    links = filing.links(request)
    try:
        if len(token) > MAX_APPEAL_TOKEN:
            raise NotFound("appeal link")
        page = await in_worker_thread(
            settings, lambda session: service.appeal_page(session, token, links)
        )
    except NotFound:
        return templates.TemplateResponse(
            request,
            "not_found.html",
            {"message": "There is no decision to appeal at this address."},
            status_code=404,
            headers=_PRIVATE,
        )
    return templates.TemplateResponse(
        request,
        "appeal.html",
        {
            "page": page,
            "s": page.statement,
            "filed": filed,
            "explanation": explanation,
            "error": error,
            "max_explanation": MAX_EXPLANATION,
        },
        status_code=status_code,
        headers=_PRIVATE,
    )


@router.get("/appeals/{token}", response_class=HTMLResponse, name="appeal_page")
async def appeal_page(request: Request, token: str, filed: bool = False) -> Response:
    return await _page(request, token, filed=filed)


@router.post("/appeals/{token}", name="submit_appeal")
async def submit_appeal(request: Request, token: str) -> Response:
    form = await request.form()
    explanation = form.get("explanation")
    text = explanation if isinstance(explanation, str) else ""
    try:
        if len(token) > MAX_APPEAL_TOKEN:
            raise NotFound("appeal link")
        submission = filing.parse_appeal({"token": token, "explanation": text})
        await filing.file_appeal(request, submission)
    except ServiceError as error:
        if error.status_code not in (409, 410, 422, 429):
            raise
        message = error.message
        if error.problems and error.problems[0].field == "explanation":
            message = "Your explanation" + error.problems[0].message[len("explanation") :]
        page = await _page(
            request, token, explanation=text, error=message, status_code=error.status_code
        )
        page.headers.update(error.headers)
        return page
    return RedirectResponse(f"/appeals/{token}?filed=1", status_code=303, headers=_PRIVATE)
