"""The "Report illegal content" pages: the notice form about one published comment (linked
from each comment on the article page and in the widget), its post, and the notifier's status
page. Complete without JavaScript; the form post is answered with a redirect to the status page
(a reload files nothing twice)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moderation.config import Settings
from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.domain.notices import (
    GROUND_LABELS,
    MAX_EXPLANATION,
    MAX_LAW,
    MAX_NOTICE_TOKEN,
    NoticeSubmission,
)
from moderation.domain.schemas import MAX_ID, MAX_NAME
from moderation.http import notices as filing
from moderation.http.deps import in_worker_thread
from moderation.services import notices as service
from moderation.web.views import templates

router = APIRouter(include_in_schema=False)

# The form's fields in the page's order, with the words a notifier sees.
NOTICE_LABELS = {
    "ground": "Ground",
    "law": "Law or rule",
    "explanation": "Explanation",
    "notifier_name": "Your name",
    "notifier_email": "Your email",
    "good_faith": "Good-faith statement",
}
_FIELDS = set(NoticeSubmission.model_fields)
_PRIVATE = {"Cache-Control": "no-store"}


def _errors(problems: list[FieldProblem]) -> dict[str, str]:
    """The first problem of each field, in the notifier's words ("Your email must be ...")."""
    found: dict[str, str] = {}
    for problem in problems:
        label = NOTICE_LABELS.get(problem.field)
        message = problem.message
        if label and message.startswith(problem.field + " "):
            message = label + message[len(problem.field) :]
        found.setdefault(problem.field, message)
    return found


async def _form_page(
    request: Request,
    comment_id: int,
    values: dict[str, Any] | None = None,
    problems: list[FieldProblem] | None = None,
    status_code: int = 200,
) -> Response:
    settings: Settings = request.app.state.settings
    try:
        subject = await in_worker_thread(
            settings, lambda session: service.notice_subject(session, comment_id)
        )
    except NotFound:
        return templates.TemplateResponse(
            request,
            "not_found.html",
            {"message": "There is no published comment with this number."},
            status_code=404,
        )
    return templates.TemplateResponse(
        request,
        "notice_form.html",
        {
            "subject": subject,
            "grounds": GROUND_LABELS,
            "values": values or {},
            "errors": _errors(problems or []),
            "labels": NOTICE_LABELS,
            "max_law": MAX_LAW,
            "max_explanation": MAX_EXPLANATION,
            "max_name": MAX_NAME,
        },
        status_code=status_code,
        headers=_PRIVATE,
    )


@router.get("/notices/new", response_class=HTMLResponse, name="notice_form")
async def notice_form(
    request: Request, comment: Annotated[int, Query(ge=1, le=MAX_ID)]
) -> Response:
    return await _form_page(request, comment)


@router.post("/notices/new", name="submit_notice")
async def submit_notice(request: Request) -> Response:
    form = await request.form()
    data = {k: v for k, v in form.multi_items() if k in _FIELDS and isinstance(v, str)}
    try:
        comment_id = int(str(data.get("comment_id", "")))
    except ValueError:
        comment_id = 0
    if not 1 <= comment_id <= MAX_ID:
        return templates.TemplateResponse(
            request, "not_found.html", {"message": "Which comment?"}, status_code=404
        )
    try:
        filed = await filing.file_notice(request, filing.parse_notice(data))
    except ServiceError as error:
        if error.status_code not in (422, 429):
            raise
        page = await _form_page(request, comment_id, data, error.problems, error.status_code)
        page.headers.update(error.headers)
        return page
    return RedirectResponse(
        f"/notices/status/{filed.token}?filed=1", status_code=303, headers=_PRIVATE
    )


@router.get("/notices/status/{token}", response_class=HTMLResponse, name="notice_status_page")
async def notice_status_page(request: Request, token: str, filed: bool = False) -> Response:
    settings: Settings = request.app.state.settings
    try:
        if len(token) > MAX_NOTICE_TOKEN:
            raise NotFound("notice")
        view = await in_worker_thread(
            settings, lambda session: service.notice_status(session, token)
        )
    except NotFound:
        return templates.TemplateResponse(
            request,
            "not_found.html",
            {"message": "There is no notice at this address."},
            status_code=404,
            headers=_PRIVATE,
        )
    return templates.TemplateResponse(
        request,
        "notice_status.html",
        {
            "notice": view,
            "filed": filed,
            "status_url": filing.status_url(request, token),
            "ground_label": GROUND_LABELS[view.ground],
        },
        headers=_PRIVATE,
    )
