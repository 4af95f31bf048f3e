"""Notices of illegal content (DSA Art. 16): anyone files one as JSON (the widget, a site's
own form) and follows it by its status URL; moderators list the open ones and decide them."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from moderation.domain.errors import FieldProblem
from moderation.domain.notices import (
    MAX_NOTICE_TOKEN,
    NoticeAccepted,
    NoticeDecision,
    NoticeStatus,
    NoticeStatusView,
    NoticeSubmission,
)
from moderation.domain.schemas import MAX_ID
from moderation.http import notices as filing
from moderation.http import site_keys
from moderation.http.auth import RequireModerator
from moderation.http.deps import SettingsDep, unit_of_work
from moderation.http.notices import InvalidNotice
from moderation.http.responses import (
    JSON_BODY,
    STAFF,
    STORAGE,
    errors,
    inlined_schema,
    unreadable_json,
)
from moderation.services import notices as service
from moderation.services.notices import NoticePage

router = APIRouter(prefix="/api/v1", tags=["notices"])
moderation_router = APIRouter(
    prefix="/api/v1/moderation", tags=["moderation"], responses=errors(*STAFF, *STORAGE)
)

NoticeId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
Token = Annotated[str, PathParam(min_length=1, max_length=MAX_NOTICE_TOKEN)]


@router.post(
    "/notices",
    status_code=201,
    response_model=NoticeAccepted,
    summary="Notify illegal content",
    description=(
        "A notice that a published comment is illegal (EU Digital Services Act, Art. 16). "
        "No sign-in: the comment's id, the `ground` (hate_speech, terrorist_content, threats, "
        "defamation, privacy, child_safety, intellectual_property, fraud or other), the `law` "
        "in the notifier's words (required with `other`), an `explanation`, the notifier's "
        "name and email and `good_faith: true`. The answer's `status_url` holds the notice's "
        "secret token: it shows the notice's state and outcome. Limited per address."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inlined_schema(NoticeSubmission)}},
        }
    },
    responses=errors(
        400,
        403,
        404,
        413,
        415,
        422,
        429,
        *STORAGE,
        worded={
            403: "A browser on an origin the comment's site did not register",
            404: "No published comment with this id",
        },
    ),
)
async def file_notice(request: Request) -> JSONResponse:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise InvalidNotice(
            [FieldProblem("Content-Type", "media_type", "Content-Type must be application/json")],
            415,
        )
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError) as error:
        raise InvalidNotice([unreadable_json(error)], 400) from None
    filed = await filing.file_notice(request, filing.parse_notice(data))
    body = NoticeAccepted(
        id=filed.id,
        status=NoticeStatus.RECEIVED,
        status_url=filing.status_url(request, filed.token),
        status_api_url=filing.status_api_url(request, filed.token),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=201)


@router.get(
    "/notices/status/{token}",
    response_model=NoticeStatusView,
    summary="A notice's state and outcome",
    responses=errors(404, 422, *STORAGE, worded={404: "No notice with this token"}),
)
def notice_status(token: Token, settings: SettingsDep) -> NoticeStatusView:
    """What the notifier's status URL shows: received, under review or decided, and the
    outcome (removed or kept) with the moderator's brief reason. Never a person's data."""
    with unit_of_work(settings) as session:
        return service.notice_status(session, token)


@moderation_router.get("/notices", response_model=NoticePage, responses=errors(422))
def open_notices(
    caller: RequireModerator,
    settings: SettingsDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="next_after of the last page")] = 0,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> NoticePage:
    """Open notices (received or under review), oldest first, with the comment, its article,
    the ground, the explanation and the notifier's contact."""
    with unit_of_work(settings) as session:
        return service.open_notices(session, after, limit)


@moderation_router.post(
    "/notices/{notice_id}/review",
    response_model=NoticeStatusView,
    responses=errors(404, 409, 422, worded={409: "The notice was decided already"}),
)
def start_review(
    notice_id: NoticeId, caller: RequireModerator, settings: SettingsDep
) -> NoticeStatusView:
    """Take the notice up: its status URL says "under review"."""
    with unit_of_work(settings) as session:
        return service.start_review(session, notice_id)


@moderation_router.post(
    "/notices/{notice_id}/decision",
    response_model=NoticeStatusView,
    responses=errors(*JSON_BODY, 404, 409, worded={409: "The notice was decided already"}),
)
def decide_notice(
    notice_id: NoticeId,
    decision: NoticeDecision,
    caller: RequireModerator,
    settings: SettingsDep,
    request: Request,
) -> NoticeStatusView:
    """`removed`: the comment is rejected through the moderators' decision path (audit log,
    `comment.status_changed`, training label) and every open notice of it is closed; `kept`:
    this notice is closed. `reason` is shown to the notifier. Each closed notice's site gets a
    `notice.decided` webhook."""
    with unit_of_work(settings) as session:
        mail = service.notice_mail(settings, site_keys.own_origin(request))
        return service.decide_notice(session, caller.staff, notice_id, decision, mail)
