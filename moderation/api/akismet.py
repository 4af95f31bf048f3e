"""The Akismet-compatible API: verify-key, comment-check, submit-spam, submit-ham (1.1) and
usage-limit (1.2), form-encoded in, text/plain out, errors with HTTP 200 as Akismet sends them.

The key is a site's secret key; `blog` is not checked against the site's URL (Akismet does not
refuse it either). comment-check stores the comment and queues it like any other, then waits
for a worker's decision through the decision feed (moderation/messaging/decision_feed.py), up to
`akismet_timeout_seconds`; the rules are in moderation/services/akismet.py.

Left out of the OpenAPI schema: its clients speak Akismet's protocol, documented in
docs/compatible-apis.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from moderation.config import Settings
from moderation.http.deps import in_worker_thread
from moderation.http.ratelimits import Refusal, rate_limits, request_address
from moderation.http.site_keys import directory
from moderation.messaging.decision_feed import Decided, DecisionFeed
from moderation.services import akismet as rules
from moderation.services.intake import Intake
from moderation.services.sites import SiteInfo

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

_FORM = "application/x-www-form-urlencoded"
# How long a check waits for the decision feed's subscription on its first use.
_SUBSCRIBE_WAIT = 1.0


def _text(body: str, headers: Mapping[str, str] | None = None) -> PlainTextResponse:
    return PlainTextResponse(body, headers=dict(headers or {}))


def _invalid(why: str) -> PlainTextResponse:
    return _text("invalid", {"X-akismet-debug-help": why})


async def _form(request: Request) -> dict[str, str] | str:
    """The request's parameters (the query string's, then the body's), or why they cannot be
    read. Akismet clients post a form; a few put the parameters in the query string."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    if media_type in (_FORM, ""):
        raw = await request.body()
        try:
            pairs += parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            return "The request is not valid UTF-8"
    elif media_type == "multipart/form-data":
        try:
            form = await request.form()
        except Exception as error:  # a malformed multipart body is the client's mistake
            return f"The request form could not be read: {error}"
        pairs += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    else:
        return f"Send the parameters as {_FORM}, not {media_type}"
    return dict(pairs)


def _key_of(form: Mapping[str, str], key_name: str) -> str:
    """Older clients send `key` rather than `api_key`."""
    return (form.get(key_name) or form.get("key") or form.get("api_key") or "").strip()


def _rate_limited(refusal: Refusal) -> PlainTextResponse:
    """Akismet has no answer of its own for this: HTTP 429 with Retry-After, and a body that
    is neither `true`, `false` nor `invalid`. The WordPress plugin then holds the comment for
    moderation and re-checks it later (as on any answer it cannot read); the PyPI client
    raises `RequestError` (a non-2xx status) so its caller cannot take it for ham; `invalid`
    would wrongly tell both that the key is bad."""
    return PlainTextResponse(
        "rate limited",
        status_code=429,
        headers={
            "Retry-After": str(refusal.retry_after),
            "X-akismet-error": refusal.message,
            "X-akismet-debug-help": refusal.message,
        },
    )


_seen_blogs: set[tuple[int, str]] = set()


def _note_blog(site: SiteInfo, blog: str) -> None:
    """Akismet accepts a key from any blog; so do we, and say so once per blog in the log."""
    if site.url and blog.rstrip("/") != site.url.rstrip("/") and (site.id, blog) not in _seen_blogs:
        if len(_seen_blogs) < 10_000:
            _seen_blogs.add((site.id, blog))
        log.info("site %s (%s) checked comments for blog %s", site.slug, site.url, blog)


async def _authenticated(
    request: Request, required: tuple[str, ...] = (), key_name: str = "api_key"
) -> tuple[SiteInfo, dict[str, str]] | PlainTextResponse:
    """The site and the parameters, or Akismet's `invalid` with the reason in its header, or
    429 past a rate limit (failed keys from this address, calls with this key)."""
    form = await _form(request)
    if isinstance(form, str):
        return _invalid(form)
    key = _key_of(form, key_name)
    if not key:
        return _invalid(f'Empty "{key_name}" value')
    limits = rate_limits(request)
    address = request_address(request)
    refusal = await limits.failing_address(address)
    if refusal is not None:  # guessing keys gets no answer past the limit
        return _rate_limited(refusal)
    found = directory(request).by_key(key)
    if found is None:
        await limits.count_failure(address)
        return _invalid("Invalid key")
    refusal = await limits.key_use(found, "akismet")
    if refusal is not None:
        return _rate_limited(refusal)
    problem = rules.missing(form, required)
    if problem is not None:
        return _invalid(problem)
    _note_blog(found, (form.get("blog") or "").strip())
    return found, form


def _actor(site: SiteInfo) -> str:
    return f"akismet:{site.slug}"


@router.post("/1.1/verify-key")
async def verify_key(request: Request) -> Response:
    authenticated = await _authenticated(request, key_name="key")
    if isinstance(authenticated, Response):
        return authenticated
    return _text("valid")


@router.post("/1.1/comment-check")
async def comment_check(request: Request) -> Response:
    authenticated = await _authenticated(request, ("blog", "user_ip"))
    if isinstance(authenticated, Response):
        return authenticated
    site, form = authenticated
    settings: Settings = request.app.state.settings
    thresholds = site.policy.applied_to(settings.thresholds)
    check = rules.CheckRequest.of(form)
    feed: DecisionFeed = request.app.state.decision_feed
    timeout = settings.akismet_timeout_seconds

    settled = rules.trigger(check)
    if settled is not None:
        comment_id = await in_worker_thread(
            settings,
            lambda session: rules.store_decided(session, check, site.id, settled, _actor(site)),
        )
        decided = Decided(comment_id, settled.status, None)
        return _answer(rules.answer(decided, thresholds, discard=settled.discard))

    if check.recheck_reason:
        # A re-check (WordPress re-checks what it held after an error): the comment stored
        # then, decided by now or soon, rather than a copy of it.
        found = await in_worker_thread(
            settings, lambda session: rules.earlier_check(session, check, site.id)
        )
        if found is not None:
            known = rules.decided_of(found)
            if known is None:
                await feed.ready(_SUBSCRIBE_WAIT)
                known = await feed.wait(found.id, timeout)
            if known is None:
                return _answer(rules.no_decision(found.id, timeout))
            return _answer(rules.answer(known, thresholds))

    # Subscribed before the comment is queued, so its decision cannot slip past the feed.
    await feed.ready(_SUBSCRIBE_WAIT)
    intake: Intake = request.app.state.intake
    accepted = await intake.submit(check.submission(), check.client(site.id))
    decided_now = await feed.wait(accepted.id, timeout)
    if decided_now is None:
        log.warning(
            "akismet check of comment %d: no decision within %g s; answered with an error",
            accepted.id,
            timeout,
        )
        return _answer(rules.no_decision(accepted.id, timeout))
    return _answer(rules.answer(decided_now, thresholds))


def _answer(found: rules.Answer) -> PlainTextResponse:
    return _text(found.body, found.headers)


async def _submit(request: Request, spam: bool) -> Response:
    authenticated = await _authenticated(request, ("blog", "user_ip"))
    if isinstance(authenticated, Response):
        return authenticated
    site, form = authenticated
    settings: Settings = request.app.state.settings
    check = rules.CheckRequest.of(form)
    comment_id = await in_worker_thread(
        settings,
        lambda session: rules.record_submission(session, check, site.id, spam, _actor(site)),
    )
    return _text(rules.THANKS, {"X-Moderation-Comment-Id": str(comment_id)})


@router.post("/1.1/submit-spam")
async def submit_spam(request: Request) -> Response:
    return await _submit(request, spam=True)


@router.post("/1.1/submit-ham")
async def submit_ham(request: Request) -> Response:
    return await _submit(request, spam=False)


@router.get("/1.2/usage-limit")
async def usage_limit(request: Request) -> Response:
    authenticated = await _authenticated(request)
    if isinstance(authenticated, Response):
        return authenticated
    settings: Settings = request.app.state.settings
    site = authenticated[0]
    return JSONResponse(
        await in_worker_thread(settings, lambda session: rules.usage(session, site.id))
    )
