"""An author as the moderators see them: their page (every comment of theirs across articles
and sites, their bans, the moderators' notes on them), the notes, and ban and remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from moderation.domain.errors import ServiceError
from moderation.domain.schemas import MAX_ID, problems_from
from moderation.http.auth import PageModerator, check_form_csrf
from moderation.services import authors, review
from moderation.web.workspace.pages import in_unit_of_work, in_worker_thread, safe_next, staff_page

router = APIRouter()

CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _invalid(error: ValidationError) -> ServiceError:
    problems = problems_from(error)
    return ServiceError(422, "invalid_request", "; ".join(p.message for p in problems), problems)


@router.get("/authors/{comment_id}", response_class=HTMLResponse)
def author_page(request: Request, caller: PageModerator, comment_id: CommentId) -> Response:
    """The author of this comment: their comments everywhere, bans and notes."""
    page = in_unit_of_work(request, lambda session: authors.author_page(session, comment_id))
    return staff_page(request, caller, "workspace/author.html", author=page)


@router.post("/authors/{comment_id}/notes")
async def add_note(request: Request, caller: PageModerator, comment_id: CommentId) -> Response:
    await check_form_csrf(request, caller)
    form = await request.form()
    try:
        asked = authors.AuthorNoteRequest.model_validate({"note": str(form.get("note") or "")})
    except ValidationError as error:
        raise _invalid(error) from None
    await in_worker_thread(
        request, lambda session: authors.add_note(session, comment_id, asked, caller.staff.name)
    )
    return RedirectResponse(f"/moderation/authors/{comment_id}", status_code=303)


@router.post("/ban-and-remove")
async def ban_and_remove(request: Request, caller: PageModerator) -> Response:
    """The card's "ban and remove their comments" without JavaScript (static/workspace.js calls
    the API's route of the same name, and offers undo)."""
    await check_form_csrf(request, caller)
    form = await request.form()
    back = safe_next(str(form.get("next") or ""))
    try:
        comment_id = int(str(form.get("comment") or ""))
        asked = review.BanAndRemoveRequest.model_validate(
            {
                "ground": str(form.get("ground") or ""),
                "note": str(form.get("note") or "")[: review.MAX_NOTE],
                "days": str(form.get("days") or "") or None,
            }
        )
    except ValueError as error:
        if isinstance(error, ValidationError):
            raise _invalid(error) from None
        raise ServiceError(422, "invalid_request", "choose a comment") from None

    def apply(session: Session) -> None:
        review.ban_and_remove(
            session,
            caller.staff,
            comment_id,
            asked.ground,
            asked.note,
            days=asked.days,
            redress=request.app.state.settings.redress_text,
        )

    await in_worker_thread(request, apply)
    return RedirectResponse(back, status_code=303)
