"""Filing a notice of illegal content, the same for the JSON API (the widget, integrators) and
the article page's form: the notice's field rules, the origin rule of every browser post, the
per-address limit, then the service. Adapters shape the answer (JSON, or a page)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import ValidationError

from moderation.config import Settings
from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.domain.notices import NoticeSubmission
from moderation.domain.schemas import problems_from
from moderation.http import ratelimits, site_keys
from moderation.http.deps import in_worker_thread
from moderation.http.ratelimits import RateLimited
from moderation.services import notices as service
from moderation.services.notices import FiledNotice


class InvalidNotice(ServiceError):
    def __init__(self, problems: list[FieldProblem], status_code: int = 422) -> None:
        message = "; ".join(p.message for p in problems)
        super().__init__(status_code, "invalid_notice", message, problems)


def parse_notice(data: Any) -> NoticeSubmission:
    """The notice under its fields' rules; every problem a 422 naming its field."""
    if not isinstance(data, dict):
        raise InvalidNotice(
            [FieldProblem("request", "json_object", "request must be a JSON object")], 400
        )
    try:
        return NoticeSubmission.model_validate(data)
    except ValidationError as error:
        raise InvalidNotice(problems_from(error)) from None


async def file_notice(request: Request, submission: NoticeSubmission) -> FiledNotice:
    """Refuse a browser on an origin the comment's site did not register (as every browser
    post is refused: no other site's page can make a reader file a notice), count the
    address, store the notice."""
    settings: Settings = request.app.state.settings
    site_id = await in_worker_thread(
        settings, lambda session: service.comment_site(session, submission.comment_id)
    )
    site = site_keys.directory(request).by_id(site_id)
    if site is None:  # a site removed a moment ago
        raise NotFound("comment")
    site_keys.check_origin(request, site)
    refusal = await ratelimits.rate_limits(request).notice(ratelimits.request_address(request))
    if refusal is not None:
        raise RateLimited(refusal)
    return await in_worker_thread(
        settings,
        lambda session: service.file_notice(
            session, submission, service.notice_mail(settings, site_keys.own_origin(request))
        ),
    )


def status_url(request: Request, token: str) -> str:
    return f"{site_keys.own_origin(request)}/notices/status/{token}"


def status_api_url(request: Request, token: str) -> str:
    return f"{site_keys.own_origin(request)}/api/v1/notices/status/{token}"
