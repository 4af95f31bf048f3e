"""Comments: submit (JSON or a plain form post), look up a status, list an article's thread."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from moderation.config import Settings
from moderation.domain.errors import FieldProblem, InvalidComment, ServiceError
from moderation.domain.rates import counted_address
from moderation.domain.schemas import (
    MAX_ID,
    CommentAccepted,
    CommentPage,
    CommentStatusView,
    CommentSubmission,
    parse_submission,
    problems_from,
)
from moderation.domain.statuses import CommentStatus
from moderation.http import ratelimits, site_keys
from moderation.http.appeals import links as appeal_links
from moderation.http.deps import SettingsDep, form_error_page, unit_of_work
from moderation.http.ratelimits import RateLimited
from moderation.http.responses import OWN_BODY, STORAGE, errors, inlined_schema, unreadable_json
from moderation.services import comments as service
from moderation.services import reports
from moderation.services.intake import Intake
from moderation.services.reports import ReportAccepted, ReportLimits, ReportSubmission
from moderation.services.sites import DEFAULT_SITE, SiteInfo

router = APIRouter(prefix="/api/v1", tags=["comments"])

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_FIELDS = set(CommentSubmission.model_fields)


class UnsupportedMediaType(ServiceError):
    def __init__(self, media_type: str) -> None:
        super().__init__(
            415,
            "unsupported_media_type",
            f"Content-Type {media_type or '(none)'} is not accepted; send application/json "
            "or a form (application/x-www-form-urlencoded or multipart/form-data)",
            [FieldProblem("Content-Type", "media_type", "Content-Type must be JSON or a form")],
        )


def _bad_request(rule: str, message: str) -> InvalidComment:
    return InvalidComment([FieldProblem("request", rule, message)], 400)


async def _read_form(
    request: Request, media_type: str, raw: bytes, fields: set[str]
) -> dict[str, Any]:
    if media_type == "application/x-www-form-urlencoded":
        try:
            # strict: a percent-escaped byte that is not UTF-8 is refused, not replaced by U+FFFD.
            pairs = parse_qsl(
                raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False, errors="strict"
            )
        except UnicodeDecodeError:
            raise _bad_request("encoding", "request form is not valid UTF-8") from None
    else:
        try:
            form = await request.form()
        except Exception as error:  # a malformed multipart body is the client's mistake
            raise _bad_request("multipart", f"request form could not be read: {error}") from None
        pairs = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    # A form carries buttons, honeypots and tokens of its own: only our fields count.
    return {key: value for key, value in pairs if key in fields}


async def _read_input(request: Request, fields: set[str] = _FIELDS) -> tuple[Any, bool]:
    """The submitted fields, from JSON or a form; and whether it was a form."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_form = media_type in _FORM_TYPES
    if media_type != "application/json" and not is_form:
        raise UnsupportedMediaType(media_type)
    raw = await request.body()
    if is_form:
        return await _read_form(request, media_type, raw, fields), True
    try:
        return json.loads(raw), False
    # ValueError: also a number of more than 4,300 digits, which Python will not make an int.
    except (ValueError, RecursionError) as error:
        raise InvalidComment([unreadable_json(error)], 400) from None


def _status_url(request: Request, comment_id: int) -> str:
    # Built by hand: url_for() walks every route and costs more than storing the comment.
    return f"{str(request.base_url).rstrip('/')}/api/v1/comments/{comment_id}"


def _back_to_article(request: Request, accepted: service.AcceptedComment, site: SiteInfo) -> str:
    """Where a form post returns: the article's URL if it is on the site's own pages, else our
    article page. Never anywhere else, whatever an article row holds (no open redirect)."""
    own_url = accepted.article_url if site.owns_url(accepted.article_url or "") else None
    # Quoted by hand: url_for() refuses an article id with a "/" (a 500) and leaves "?" or "#".
    base = own_url or (
        f"{str(request.base_url).rstrip('/')}/articles/{quote(accepted.article_id, safe='')}"
        + ("" if site.slug == DEFAULT_SITE else f"?site={quote(site.slug, safe='')}")
    )
    parts = urlsplit(base)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in query if k != "comment"] + [("comment", str(accepted.id))]
    return urlunsplit(parts._replace(query=urlencode(query), fragment="comment-status"))


def _json_or_form(model: type[BaseModel]) -> dict[str, Any]:
    """The request body of a route that reads JSON or a form itself (no FastAPI body)."""
    schema = inlined_schema(model)
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
            },
        }
    }


_REQUEST_BODY = _json_or_form(CommentSubmission)
_SUBMIT_ERRORS = errors(
    *OWN_BODY,
    401,
    403,
    429,
    *STORAGE,
    worded={
        401: "A site key that is not this site's (rotated, or another site's)",
        403: "A browser on an origin the site did not register, or `client_ip` / "
        "`user_agent` without the site's key",
        422: "A field breaks a rule; the answer names it (a form post gets the article page "
        "again, the message by the field)",
    },
)
_SUBMIT_ERRORS[422]["content"] = {"text/html": {"schema": {"type": "string"}}}


@router.post(
    "/comments",
    status_code=202,
    response_model=CommentAccepted,
    summary="Submit a comment",
    description=(
        "Accepts JSON or a plain HTML form post. The comment is stored as `queued` and "
        "decided by a worker; poll `status_url`. A form post is answered with a 303 back "
        "to the article page."
    ),
    openapi_extra=_REQUEST_BODY,
    responses={
        303: {"description": "Form post accepted; back to the article page"},
        **_SUBMIT_ERRORS,
    },
)
async def submit_comment(request: Request) -> Response:
    # No dependencies: resolving them costs a measurable share of accepting a comment.
    settings: Settings = request.app.state.settings
    intake: Intake = request.app.state.intake
    data, is_form = await _read_input(request)
    token: str | None = None
    try:
        submission = parse_submission(data)
        site = site_keys.site_named(request, submission.site_id or request.query_params.get("site"))
        client, token = await _client_of(request, site, submission, is_form)
        refusal = await ratelimits.rate_limits(request).comment(site, counted_address(client.ip))
        if refusal is not None:
            raise RateLimited(refusal)
        # Stored (committed) when this returns; the intake then queues it for the workers.
        accepted = await intake.submit(submission, client)
    except InvalidComment as error:
        if is_form and error.status_code == 422:
            return await form_error_page(request)(request, settings, data, error.problems)
        raise
    except RateLimited as error:
        if is_form:  # a reader without JavaScript: the article again, their text kept
            page = await form_error_page(request)(request, settings, data, error.problems)
            page.status_code = error.status_code
            page.headers.update(error.headers)
            return page
        raise
    fresh_token = token is not None and token != site_keys.reader_token(request)
    response: Response
    if is_form:
        response = RedirectResponse(_back_to_article(request, accepted, site), status_code=303)
    else:
        body = CommentAccepted(
            id=accepted.id,
            status=CommentStatus.QUEUED,
            status_url=_status_url(request, accepted.id),
            reader_token=token,
        )
        response = JSONResponse(body.model_dump(mode="json"), status_code=202)
    if fresh_token and site_keys.cross_origin(request) is None:
        # Our own article page: the browser shows its author their comment while it waits.
        response.set_cookie(
            site_keys.READER_COOKIE,
            token or "",
            max_age=READER_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


READER_COOKIE_SECONDS = 90 * 24 * 3600


async def _client_of(
    request: Request, site: SiteInfo, submission: CommentSubmission, is_form: bool
) -> tuple[service.ClientInfo, str | None]:
    """Who sent it, and the reader token of the browser that did (None from a backend)."""
    key = site_keys.site_key(request)
    if key is not None:
        await ratelimits.refuse_failing_address(request)
        if not site.accepts_key(key):
            await ratelimits.count_failure(request)
            raise site_keys.InvalidSiteKey()
        site_keys.check_article_details(submission, site, with_key=True, origin=None)
        # Server to server: the reader's address and browser are the site's to tell.
        return (
            service.ClientInfo(
                ip=submission.client_ip,
                user_agent=submission.user_agent,
                site_id=site.id,
                channel="api",
            ),
            None,
        )
    if submission.client_ip is not None or submission.user_agent is not None:
        field = "client_ip" if submission.client_ip is not None else "user_agent"
        raise InvalidComment(
            [
                FieldProblem(
                    field,
                    "site_key_required",
                    f"{field} may be passed only by the site's backend, with its secret key",
                )
            ],
            403,
        )
    origin = site_keys.check_origin(request, site)
    site_keys.check_article_details(submission, site, with_key=False, origin=origin)
    token = site_keys.reader_token(request)
    if token is None and (is_form or "origin" in request.headers):
        # A browser (browsers send Origin with every POST): it will want to show its author
        # the comment while it waits. Other callers get no token and no cookie.
        token = site_keys.new_reader_token()
    channel = "widget" if origin is not None else ("form" if is_form else "api")
    return (
        service.ClientInfo(
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
            site_id=site.id,
            channel=channel,
            reader_hash=site_keys.reader_hash(token),
        ),
        token,
    )


@router.get(
    "/comments/{comment_id}",
    response_model=CommentStatusView,
    name="get_comment",
    responses=errors(404, 422, *STORAGE, worded={404: "No comment with this id"}),
)
def get_comment(
    comment_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
    request: Request,
    response: Response,
    settings: SettingsDep,
) -> CommentStatusView:
    """A comment's status; its text and author once it is published. Never an email or IP.

    **The author's statement of reasons**: with `X-Reader-Token` (the `reader_token` the
    submit answer gave, or our article page's cookie) of the browser that wrote it, a removed
    comment's answer holds `statement`: what was done, the ground, the facts, whether it was
    automated, how to seek redress. Anyone else gets `statement: null`."""
    reader = site_keys.reader_hash(site_keys.reader_token(request))
    response.headers["Vary"] = _LIST_VARY
    if reader is not None:
        response.headers["Cache-Control"] = _PRIVATE_CACHE
    with unit_of_work(settings) as session:
        return service.comment_status(session, comment_id, reader, appeal_links(request))


# Part of every public ETag: bumped when the list's JSON changes shape, so a cache does not
# revalidate a copy in the old shape after a deployment.
_LIST_FORMAT = "c1"
_PUBLIC_CACHE = "public, max-age=0, must-revalidate"
_PRIVATE_CACHE = "private, no-cache"
# The reader token changes the answer; Origin changes its CORS headers.
_LIST_VARY = "X-Reader-Token, Origin"


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison: W/"x" matches "x"; * matches anything."""
    bare = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == bare:
            return True
    return False


def _not_modified(request: Request, etag: str, changed_at: datetime | None) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # it takes precedence over If-Modified-Since (RFC 9110)
        return _etag_matches(if_none_match, etag)
    since = request.headers.get("if-modified-since")
    if since is None or changed_at is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # a date we cannot read is ignored, as the RFC says
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # HTTP dates have whole seconds.
    return changed_at.replace(microsecond=0) <= when


@router.get(
    "/articles/{article_id:path}/comments",
    response_model=CommentPage,
    summary="List an article's published comments",
    description=(
        "Approved comments of an article, oldest thread first, replies nested under their "
        "parents, `cursor` pagination (`next_cursor`). `site` is the site's public id (the "
        "default site when left out); an unknown one is a 422 naming `site`.\n\n"
        "**Caching**: the answer carries `ETag` and `Last-Modified`, which change whenever a "
        "comment of the article is published or unpublished. Send them back as "
        "`If-None-Match` / `If-Modified-Since`: an unchanged list is a `304` that costs one "
        "row read. `Cache-Control: public, max-age=0, must-revalidate`, so a shared cache "
        "(CDN, reverse proxy) may keep it and revalidate on every request.\n\n"
        "**The author's own comments**: with `X-Reader-Token` (the `reader_token` the submit "
        "answer gave this browser), the caller's comments awaiting moderation are added in "
        'place, marked `"pending": true`, and those not published are listed by id in '
        "`not_published` (without their text); that answer is `Cache-Control: private`. "
        "Browsers on a site's own pages may call it cross-origin (CORS) only from the "
        "origins the site registered."
    ),
    responses={
        304: {"description": "Not modified since the ETag or date the caller sent"},
        **errors(
            400,
            404,
            422,
            *STORAGE,
            worded={
                400: "A cursor this API did not give out",
                # Starlette's `path` parameter is `.*`, which stops at a line break.
                404: "No route: the article id holds a line break",
                422: "An unknown `site`, or a bad `limit`; the answer names it",
            },
        ),
    },
)
def list_article_comments(
    article_id: str,
    request: Request,
    settings: SettingsDep,
    site: Annotated[
        str | None,
        Query(max_length=64, description="the site's public id; the default site if left out"),
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    chosen = site_keys.site_named(request, site, "site")
    # The header only: the cookie belongs to our own article page, and a shared cache keys
    # on Vary: X-Reader-Token, not on every cookie a browser sends.
    token = request.headers.get(site_keys.READER_HEADER)
    reader = (
        site_keys.reader_hash(token) if token and len(token) <= site_keys.MAX_READER_TOKEN else None
    )
    with unit_of_work(settings) as session:
        headers = {"Vary": _LIST_VARY}
        if reader is None:
            version = service.comments_version(session, article_id, site_id=chosen.id)
            changed = version.changed_at
            stamp = int(changed.timestamp() * 1_000_000) if changed else 0
            headers["ETag"] = f'"{_LIST_FORMAT}-{version.version}-{stamp}"'
            headers["Cache-Control"] = _PUBLIC_CACHE
            if changed is not None:
                headers["Last-Modified"] = format_datetime(changed.astimezone(UTC), usegmt=True)
            if _not_modified(request, headers["ETag"], changed):
                return Response(status_code=304, headers=headers)
        page = service.article_comments(
            session,
            article_id,
            cursor,
            limit,
            site_id=chosen.id,
            reader_hash=reader,
            appeals=appeal_links(request) if reader is not None else None,
        )
    body = page.model_dump_json().encode()
    if reader is not None:
        # Nothing cheaper tells whether the reader's own comments changed: the page's hash.
        headers["ETag"] = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
        headers["Cache-Control"] = _PRIVATE_CACHE
        if _not_modified(request, headers["ETag"], None):
            return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.post(
    "/comments/validate",
    summary="Validate a comment without storing it",
    description="The same rules as submitting, for integrators testing their forms. 200 if valid.",
    openapi_extra=_REQUEST_BODY,
    responses=errors(*OWN_BODY),
)
async def validate_comment(request: Request) -> dict[str, bool]:
    data, _ = await _read_input(request)
    parse_submission(data)
    return {"valid": True}


_REPORT_FIELDS = set(ReportSubmission.model_fields)


@router.post(
    "/comments/{comment_id}/reports",
    status_code=202,
    response_model=ReportAccepted,
    summary="Report a published comment",
    description=(
        "A reader's report (`reason`: spam, abuse, off-topic or other; optional `text`). "
        "The comment enters the moderators' Reported queue; after enough reports from "
        "different readers it is hidden until a moderator decides. Limited per address."
    ),
    openapi_extra=_json_or_form(ReportSubmission),
    responses=errors(
        *OWN_BODY,
        404,
        429,
        *STORAGE,
        worded={
            404: "No published comment with this id",
            429: "Too many reports from this address; try again after Retry-After seconds",
        },
    ),
)
async def report_comment(
    comment_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    data, _ = await _read_input(request, _REPORT_FIELDS)
    if not isinstance(data, dict):
        raise _bad_request("json_object", "request must be a JSON object")
    try:
        report = ReportSubmission.model_validate(data)
    except ValidationError as error:
        problems = problems_from(error)
        raise ServiceError(
            422, "invalid_report", "; ".join(p.message for p in problems), problems
        ) from None
    limits = ReportLimits(
        to_hide=settings.reports_to_hide,
        per_address=settings.reports_per_address,
        window=timedelta(seconds=settings.report_window_seconds),
    )
    # The believed address (MODERATION_TRUSTED_PROXIES), an IPv6 reader by their /64: one
    # reader counts once however many addresses they can send from.
    client_ip = ratelimits.request_address(request)

    def record() -> ReportAccepted:
        with unit_of_work(settings) as session:
            return reports.report_comment(session, comment_id, report, client_ip, limits)

    accepted = await run_in_threadpool(record)
    return JSONResponse(accepted.model_dump(mode="json"), status_code=202)
