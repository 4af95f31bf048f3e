"""The review queues as pages: a queue's comments, the form behind every decision button, and
the audit log of what moderators did."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from moderation.domain.errors import ServiceError
from moderation.domain.grounds import GroundView
from moderation.domain.schemas import problems_from
from moderation.http.appeals import links as appeal_links
from moderation.http.auth import PageModerator, check_form_csrf
from moderation.services import review, sites, statements
from moderation.services.review import Action, DecisionRequest, Queue, QueuePage, Sort
from moderation.web.workspace.cards import CARD_BUTTONS, highlight, score_bars, site_buttons
from moderation.web.workspace.pages import in_unit_of_work, in_worker_thread, safe_next, staff_page

router = APIRouter()


@router.get("/queue/{queue}", response_class=HTMLResponse)
def queue_page(
    request: Request,
    queue: Queue,
    caller: PageModerator,
    sort: Sort = Sort.RISK,
    site: Annotated[str | None, Query(max_length=64)] = None,
    article: Annotated[str | None, Query(max_length=200)] = None,
    author: Annotated[str | None, Query(max_length=254)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    disagreements: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    filters = {
        "sort": sort.value,
        "site": site,
        "article": article,
        "author": author,
        "q": q,
        "disagreements": "true" if disagreements else None,
    }
    asked = review.QueueQuery(
        queue, sort, site=site, article=article, author=author, text=q,
        disagreements=disagreements, cursor=cursor,
    )  # fmt: skip

    def read(session: Session) -> tuple[QueuePage, list[str], dict[str, list[GroundView]]]:
        return (
            review.queue_page(session, asked),
            sites.site_slugs(session),
            statements.grounds_in_use(session),
        )

    page, site_ids, grounds = in_unit_of_work(request, read)
    query = urlencode({k: v for k, v in filters.items() if v})
    return staff_page(
        request,
        caller,
        "workspace/queue.html",
        page=page,
        queues=list(Queue),
        actions=list(Action),
        buttons=CARD_BUTTONS,
        # Each card decides on its site's grounds (a site without a catalogue: the defaults).
        site_buttons={slug: site_buttons(found) for slug, found in grounds.items()},
        grounds=grounds,
        filters=filters,
        query=query,
        # One deployment, several sites: each item names its site, and the queue filters by it.
        sites=site_ids if len(site_ids) > 1 else [],
        segments={i.id: highlight(i.body, i.spans, i.scores) for i in page.items},
        bars={item.id: score_bars(item) for item in page.items},
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )


@router.post("/decide")
async def decide(request: Request, caller: PageModerator) -> Response:
    """The form behind every action button, for one comment or the selected ones."""
    await check_form_csrf(request, caller)
    form = await request.form()
    back = safe_next(str(form.get("next") or ""))
    decision, ids = _decision_asked(form)
    if not ids:  # an action with nothing ticked: back to the list
        return RedirectResponse(back, status_code=303)
    results = await in_worker_thread(
        request,
        lambda session: review.moderate(
            session,
            caller.staff,
            ids[: review.MAX_BULK],
            decision.action,
            decision.note,
            decision.ground,
            redress=request.app.state.settings.redress_text,
            appeals=appeal_links(request),
        ),
    )
    if len(results) == 1 and results[0].error == review.NO_SUCH_GROUND:
        raise ServiceError(422, "invalid_request", review.NO_SUCH_GROUND)
    return RedirectResponse(back, status_code=303)


def _decision_asked(form: FormData) -> tuple[DecisionRequest, list[int]]:
    """The decision a form asks for and the comments it asks it of, under the API's rules."""
    try:
        # One item's own button names its comment, action and ground ("12:reject:threat"); a
        # bulk button acts on the comments ticked in the list.
        one = form.get("item_action")
        if one:
            comment_id, _, chosen = str(one).partition(":")
            action, _, ground = chosen.partition(":")
            ids = [int(comment_id)]
            # Each card has its own note field.
            note = form.get(f"note:{int(comment_id)}") or form.get("note")
        else:
            action, ground = str(form.get("action")), ""
            ids = [int(str(v)) for v in form.getlist("ids")]
            note = form.get("note")
    except ValueError:
        raise ServiceError(422, "invalid_request", "choose an action and comments") from None
    try:
        # The API's own rules for the action, the ground and the note.
        decision = DecisionRequest.model_validate(
            {
                "action": action,
                "ground": ground or None,
                "note": str(note or "")[: review.MAX_NOTE],
            }
        )
    except ValidationError as error:
        problems = problems_from(error)
        raise ServiceError(
            422, "invalid_request", "; ".join(p.message for p in problems), problems
        ) from None
    return decision, ids


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    caller: PageModerator,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    comment: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    where = review.audit_filter(actor, comment)
    page = in_unit_of_work(request, lambda session: review.audit_page(session, where, cursor, 100))
    return staff_page(
        request, caller, "workspace/audit.html", page=page, actor=actor, comment=comment
    )
