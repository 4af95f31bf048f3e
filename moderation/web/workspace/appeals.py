"""The Appeals queue: authors' appeals against removals, oldest first, each with the comment
(its text while kept), the statement of reasons and the author's explanation; a moderator who
did not take the decision reinstates the comment or upholds the removal with a note the author
reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from moderation.domain.appeals import MAX_NOTE, AppealDecision
from moderation.domain.errors import ServiceError
from moderation.domain.schemas import MAX_ID, problems_from
from moderation.http import appeals as filing
from moderation.http.auth import PageModerator, check_form_csrf
from moderation.services import appeals
from moderation.web.workspace.pages import in_unit_of_work, in_worker_thread, staff_page

router = APIRouter()

AppealId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


@router.get("/appeals", response_class=HTMLResponse)
def appeals_page(
    request: Request,
    caller: PageModerator,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    page = in_unit_of_work(
        request, lambda session: appeals.open_appeals(session, caller.staff, after, 50)
    )
    return staff_page(request, caller, "workspace/appeals.html", page=page, max_note=MAX_NOTE)


@router.post("/appeals/{appeal_id}/decide")
async def decide(request: Request, appeal_id: AppealId, caller: PageModerator) -> Response:
    """Reinstate or uphold, with the note the author will read (the API's rules for both)."""
    await check_form_csrf(request, caller)
    form = await request.form()
    try:
        decision = AppealDecision.model_validate(
            {"outcome": str(form.get("outcome") or ""), "note": str(form.get("note") or "")}
        )
    except ValidationError as error:
        problems = problems_from(error)
        raise ServiceError(
            422, "invalid_request", "; ".join(p.message for p in problems), problems
        ) from None
    links = filing.links(request)
    await in_worker_thread(
        request,
        lambda session: appeals.decide_appeal(session, caller.staff, appeal_id, decision, links),
    )
    return RedirectResponse("/moderation/appeals", status_code=303)
