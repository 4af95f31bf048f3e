"""Appeals against removals (DSA Art. 20): the author files one as JSON (the widget, a site's
own page) with the reader token that wrote the comment or the statement's signed link, and
reads its state; moderators list the open ones and decide them."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from moderation.domain.appeals import MAX_APPEAL_TOKEN, AppealDecision, AppealSubmission, AppealView
from moderation.domain.errors import FieldProblem
from moderation.domain.schemas import MAX_ID
from moderation.http import appeals as filing
from moderation.http.appeals import InvalidAppeal
from moderation.http.auth import RequireModerator
from moderation.http.deps import SettingsDep, unit_of_work
from moderation.http.responses import (
    JSON_BODY,
    STAFF,
    STORAGE,
    errors,
    inlined_schema,
    unreadable_json,
)
from moderation.services import appeals as service
from moderation.services.appeals import AppealPage, AppealQueue

router = APIRouter(prefix="/api/v1", tags=["appeals"])
moderation_router = APIRouter(
    prefix="/api/v1/moderation", tags=["moderation"], responses=errors(*STAFF, *STORAGE)
)

AppealId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
Token = Annotated[str, PathParam(min_length=1, max_length=MAX_APPEAL_TOKEN)]


@router.post(
    "/appeals",
    status_code=201,
    response_model=AppealView,
    summary="Appeal a removal",
    description=(
        "The author of a removed comment asks the site to review the decision (EU Digital "
        "Services Act, Art. 20), within the appeal window. Either `token` (the signed link's "
        "last part: the statement's `appeal` URL ends with it) or `comment_id` with the "
        "`X-Reader-Token` of the browser that wrote the comment; and an `explanation`. "
        "One open appeal per comment; after a decision, one more. Limited per address."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inlined_schema(AppealSubmission)}},
        }
    },
    responses=errors(
        400,
        403,
        404,
        409,
        410,
        413,
        415,
        422,
        429,
        *STORAGE,
        worded={
            403: "A browser on an origin the comment's site did not register",
            404: "No such appeal link, or not the reader token that wrote the comment",
            409: "An appeal is open, the appeals are used up, or the comment was decided again",
            410: "The appeal window closed",
        },
    ),
)
async def file_appeal(request: Request) -> JSONResponse:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise InvalidAppeal(
            [FieldProblem("Content-Type", "media_type", "Content-Type must be application/json")],
            415,
        )
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError) as error:
        raise InvalidAppeal([unreadable_json(error)], 400) from None
    filed = await filing.file_appeal(request, filing.parse_appeal(data))
    return JSONResponse(filed.model_dump(mode="json"), status_code=201)


@router.get(
    "/appeals/{token}",
    response_model=AppealPage,
    summary="An appeal link's statement and appeal",
    responses=errors(404, 422, *STORAGE, worded={404: "No such appeal link"}),
)
def appeal_page(token: Token, request: Request, settings: SettingsDep) -> AppealPage:
    """What the signed link shows: the statement of reasons, the latest appeal (open,
    reinstated or upheld, with the moderator's note) and whether an appeal may be filed."""
    with unit_of_work(settings) as session:
        return service.appeal_page(session, token, filing.links(request))


@moderation_router.get("/appeals", response_model=AppealQueue, responses=errors(422))
def open_appeals(
    caller: RequireModerator,
    settings: SettingsDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="next_after of the last page")] = 0,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> AppealQueue:
    """Open appeals, oldest first, with the comment, the statement, the author's explanation
    and whether the caller may decide each (not the moderator who removed the comment)."""
    with unit_of_work(settings) as session:
        return service.open_appeals(session, caller.staff, after, limit)


@moderation_router.post(
    "/appeals/{appeal_id}/decision",
    response_model=AppealView,
    responses=errors(
        *JSON_BODY,
        403,
        404,
        409,
        worded={
            403: "The caller took the decision appealed: another moderator decides",
            409: "The appeal was decided already",
        },
    ),
)
def decide_appeal(
    appeal_id: AppealId,
    decision: AppealDecision,
    request: Request,
    caller: RequireModerator,
    settings: SettingsDep,
) -> AppealView:
    """`reinstated`: the comment is published through the moderators' decision path (audit
    log, `comment.status_changed`, training label); `upheld`: it stays removed. The `note` is
    shown to the author. The site gets an `appeal.decided` webhook."""
    with unit_of_work(settings) as session:
        return service.decide_appeal(
            session, caller.staff, appeal_id, decision, filing.links(request)
        )
