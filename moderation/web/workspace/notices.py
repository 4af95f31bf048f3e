"""The Notices queue: notices of illegal content, oldest first, each with the comment, its
article, the ground and the explanation; the moderator takes one up, then removes the comment
or keeps it with a short reason (the notifier reads it at their status URL)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from moderation.domain.errors import ServiceError
from moderation.domain.notices import GROUND_LABELS, MAX_REASON, NoticeDecision
from moderation.domain.schemas import MAX_ID, problems_from
from moderation.http.auth import PageModerator, check_form_csrf
from moderation.services import notices
from moderation.web.workspace.pages import in_unit_of_work, in_worker_thread, staff_page

router = APIRouter()

NoticeId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


@router.get("/notices", response_class=HTMLResponse)
def notices_page(
    request: Request,
    caller: PageModerator,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    page = in_unit_of_work(request, lambda session: notices.open_notices(session, after, 50))
    return staff_page(
        request,
        caller,
        "workspace/notices.html",
        page=page,
        grounds=GROUND_LABELS,
        max_reason=MAX_REASON,
    )


@router.post("/notices/{notice_id}/review")
async def start_review(request: Request, notice_id: NoticeId, caller: PageModerator) -> Response:
    await check_form_csrf(request, caller)
    await in_worker_thread(request, lambda session: notices.start_review(session, notice_id))
    return RedirectResponse(f"/moderation/notices#notice-{notice_id}", status_code=303)


@router.post("/notices/{notice_id}/decide")
async def decide(request: Request, notice_id: NoticeId, caller: PageModerator) -> Response:
    """Remove or keep, with the reason the notifier will read (the API's rules for both)."""
    await check_form_csrf(request, caller)
    form = await request.form()
    try:
        decision = NoticeDecision.model_validate(
            {
                "outcome": str(form.get("outcome") or ""),
                "reason": str(form.get("reason") or ""),
                # The ground goes with a removal only (the keep button sends the select too).
                **(
                    {"ground": str(form.get("ground"))}
                    if form.get("outcome") == "removed" and form.get("ground")
                    else {}
                ),
            }
        )
    except ValidationError as error:
        problems = problems_from(error)
        raise ServiceError(
            422, "invalid_request", "; ".join(p.message for p in problems), problems
        ) from None
    await in_worker_thread(
        request,
        lambda session: notices.decide_notice(
            session,
            caller.staff,
            notice_id,
            decision,
            notices.notice_mail(request.app.state.settings, str(request.base_url).rstrip("/")),
        ),
    )
    return RedirectResponse("/moderation/notices", status_code=303)
