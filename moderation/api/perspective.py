"""The Perspective-compatible API: `POST /v1alpha1/comments:analyze` and `comments:suggestscore`
with `?key=` a site's secret key, so a site moves off Google's Perspective by changing one URL.

Scoring goes through the queue like everything else (moderation/messaging/analysis.py); the
protocol lives in moderation/domain/perspective.py. Every answer, errors included, is in
Google's shape.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError

from moderation.config import Settings
from moderation.domain.errors import RETRY_AFTER_SECONDS
from moderation.domain.perspective import (
    PerspectiveError,
    analyze_answer,
    invalid_key,
    missing_key,
    parse_analyze,
    parse_body,
    parse_suggestion,
    resource_exhausted,
    suggestion_answer,
    too_long,
    unavailable,
)
from moderation.http.deps import in_worker_thread
from moderation.http.ratelimits import Refusal, rate_limits, request_address
from moderation.messaging.analysis import AnalysisUnavailable, Analyzer, TextToAnalyze
from moderation.services import perspective
from moderation.services.sites import SiteDirectory, SiteInfo, SitesUnavailable

router = APIRouter(include_in_schema=False)

PREFIX = "/v1alpha1/"


def speaks_perspective(path: str) -> bool:
    """Whether a path is Perspective's, so its errors come in Perspective's shape."""
    return path.startswith(PREFIX)


def body_too_large() -> JSONResponse:
    """A body over the app's limit can only be a text far over Perspective's 20 KB."""
    return _error(too_long())


def analyzer_for(settings: Settings) -> Analyzer:
    return Analyzer.for_settings(settings)


class _Exhausted(PerspectiveError):
    """Past one of our rate limits: Google's 429 RESOURCE_EXHAUSTED, with Retry-After."""

    def __init__(self, refusal: Refusal) -> None:
        exhausted = resource_exhausted(refusal.limit)
        super().__init__(
            exhausted.message,
            exhausted.code,
            exhausted.status,
            exhausted.error_type,
            exhausted.details,
        )
        self.retry_after = refusal.retry_after


def _error(error: PerspectiveError) -> JSONResponse:
    # A 429 says when this caller may try again; every 503 of ours says when to come back.
    headers = None
    if isinstance(error, _Exhausted):
        headers = {"Retry-After": str(error.retry_after)}
    elif error.code == 503:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(error.body(), status_code=error.code, headers=headers)


async def _site(request: Request) -> SiteInfo:
    """The site whose secret key is `?key=` (or Google's `X-Goog-Api-Key` header)."""
    key = request.query_params.get("key") or request.headers.get("x-goog-api-key")
    if not key:
        raise missing_key()
    limits = rate_limits(request)
    address = request_address(request)
    refusal = await limits.failing_address(address)
    if refusal is not None:  # guessing keys gets no answer past the limit
        raise _Exhausted(refusal)
    sites: SiteDirectory = request.app.state.sites
    try:
        site = sites.by_key(key)
    except SitesUnavailable:  # the database is away and no site was read before
        raise unavailable() from None
    if site is None:
        await limits.count_failure(address)
        raise invalid_key()
    refusal = await limits.key_use(site, "perspective")
    if refusal is not None:
        raise _Exhausted(refusal)
    return site


@router.post("/v1alpha1/comments:analyze")
async def analyze(request: Request) -> JSONResponse:
    try:
        site = await _site(request)
        wanted = parse_analyze(parse_body(await request.body()))
        analyzer: Analyzer = request.app.state.analyzer
        try:
            analysis = await analyzer.analyze(
                TextToAnalyze(
                    text=wanted.text,
                    site_id=site.id,
                    sentences=wanted.spans,
                    keep=not wanted.do_not_store,
                    client_token=wanted.client_token,
                )
            )
        except AnalysisUnavailable:
            raise unavailable() from None
        return JSONResponse(analyze_answer(wanted, analysis.scores, analysis.sentences))
    except PerspectiveError as error:
        return _error(error)


@router.post("/v1alpha1/comments:suggestscore")
async def suggest_score(request: Request) -> JSONResponse:
    try:
        site = await _site(request)
        suggestion = parse_suggestion(parse_body(await request.body()))
    except PerspectiveError as error:
        return _error(error)
    settings: Settings = request.app.state.settings
    try:
        await in_worker_thread(
            settings,
            lambda session: perspective.keep_suggestion(
                session, site_id=site.id, suggestion=suggestion
            ),
        )
    except (OperationalError, DBAPIError):  # the database is away: nothing was kept
        return _error(unavailable())
    return JSONResponse(suggestion_answer(suggestion))
