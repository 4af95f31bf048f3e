"""Filing an appeal, the same for the JSON API (the widget, integrators) and the hosted appeal
page: the appeal's field rules, the origin rule of every browser post, the per-address limit,
then the service. Adapters shape the answer (JSON, or a page)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import ValidationError

from moderation.config import Settings
from moderation.domain.appeals import AppealLinks, AppealSubmission, AppealView
from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.domain.schemas import problems_from
from moderation.http import ratelimits, site_keys
from moderation.http.deps import in_worker_thread
from moderation.http.ratelimits import RateLimited
from moderation.services import appeals as service


class InvalidAppeal(ServiceError):
    def __init__(self, problems: list[FieldProblem], status_code: int = 422) -> None:
        message = "; ".join(p.message for p in problems)
        super().__init__(status_code, "invalid_appeal", message, problems)


def parse_appeal(data: Any) -> AppealSubmission:
    """The appeal under its fields' rules; every problem a 422 naming its field."""
    if not isinstance(data, dict):
        raise InvalidAppeal(
            [FieldProblem("request", "json_object", "request must be a JSON object")], 400
        )
    try:
        return AppealSubmission.model_validate(data)
    except ValidationError as error:
        raise InvalidAppeal(problems_from(error)) from None


def links(request: Request) -> AppealLinks:
    """Appeal links at the address this request came to (unless the deployment names one)."""
    settings: Settings = request.app.state.settings
    return settings.appeal_links(site_keys.own_origin(request))


async def file_appeal(request: Request, submission: AppealSubmission) -> AppealView:
    """Refuse a browser on an origin the comment's site did not register, count the address,
    file the appeal (with the reader token this browser holds, if the submission names the
    comment rather than a signed link)."""
    settings: Settings = request.app.state.settings
    reader = site_keys.reader_hash(site_keys.reader_token(request))
    site_id = await in_worker_thread(
        settings, lambda session: service.comment_site(session, submission, reader)
    )
    site = site_keys.directory(request).by_id(site_id)
    if site is None:  # a site removed a moment ago
        raise NotFound("comment")
    site_keys.check_origin(request, site)
    refusal = await ratelimits.rate_limits(request).appeal(ratelimits.request_address(request))
    if refusal is not None:
        raise RateLimited(refusal)
    made = links(request)
    return await in_worker_thread(
        settings, lambda session: service.file_appeal(session, submission, reader, made)
    )
