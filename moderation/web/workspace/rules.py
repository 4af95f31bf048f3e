"""The rules moderators set besides their decisions: banned and trusted authors (from their
page or a comment in a queue), and the word lists (blocked, suspect, exceptions)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from moderation.domain.authors import AuthorRuleRequest
from moderation.domain.errors import ServiceError
from moderation.domain.wordlists import WordKind, WordRuleRequest
from moderation.http.auth import PageAdmin, PageModerator, check_form_csrf
from moderation.services import authors, wordlists
from moderation.web.workspace.pages import in_unit_of_work, in_worker_thread, safe_next, staff_page

router = APIRouter()


@router.get("/authors", response_class=HTMLResponse)
def authors_page(request: Request, caller: PageModerator) -> Response:
    found = in_unit_of_work(request, authors.list_rules)
    return staff_page(request, caller, "workspace/authors.html", rules=found)


@router.post("/authors")
async def set_author_rule(request: Request, caller: PageModerator) -> Response:
    """Ban or trust an author (from the authors page or a comment in a queue), or lift it."""
    await check_form_csrf(request, caller)
    form = await request.form()
    back = safe_next(str(form.get("next") or "/moderation/authors"))
    action = str(form.get("action") or "")

    def apply(session: Session) -> None:
        if action == "lift":
            authors.lift_rules(session, str(form.get("value") or ""))
            return
        authors.set_rule(
            session,
            AuthorRuleRequest.model_validate(
                {
                    "action": action,
                    "email": str(form.get("email") or "") or None,
                    "ip": str(form.get("ip") or "") or None,
                    "note": str(form.get("note") or "")[:500],
                    # A suspension: a ban for so many days.
                    "days": str(form.get("days") or "") or None,
                }
            ),
            caller.staff.name,
        )

    try:
        await in_worker_thread(request, apply)
    except ValidationError:
        raise ServiceError(
            422, "invalid_request", "choose ban or trust (and a suspension of 1 to 3650 days)"
        ) from None
    return RedirectResponse(back, status_code=303)


@router.get("/word-lists", response_class=HTMLResponse)
def word_lists_page(request: Request, caller: PageAdmin) -> Response:
    found = in_unit_of_work(request, wordlists.list_rules)
    return staff_page(
        request, caller, "workspace/word_lists.html", rules=found, kinds=list(WordKind)
    )


@router.post("/word-lists")
async def change_word_lists(request: Request, caller: PageAdmin) -> Response:
    await check_form_csrf(request, caller)
    form = await request.form()
    remove = form.get("remove")

    def apply(session: Session) -> None:
        if remove:
            wordlists.remove_rule(session, int(str(remove)))
            return
        wordlists.add_rule(
            session,
            WordRuleRequest.model_validate(
                {
                    "kind": str(form.get("kind") or ""),
                    "term": str(form.get("term") or ""),
                    "note": str(form.get("note") or "")[:500],
                }
            ),
            caller.staff.name,
        )

    try:
        await in_worker_thread(request, apply)
    except (ValidationError, ValueError):
        raise ServiceError(422, "invalid_request", "choose a kind and a term") from None
    return RedirectResponse("/moderation/word-lists", status_code=303)
