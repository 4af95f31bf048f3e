"""Who is asking: a bearer token (the moderation API) or a signed-in browser (the workspace).

Every moderation route declares the role it needs with `RequireModerator`/`RequireAdmin` (API)
or `PageModerator`/`PageAdmin` (pages); tests/moderation/http/test_access.py walks every
registered route against its table of who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from moderation.config import Settings
from moderation.domain.errors import ServiceError
from moderation.http import ratelimits
from moderation.http.deps import unit_of_work
from moderation.services import accounts
from moderation.services.accounts import NotAllowed, NotSignedIn, Role, Staff

SESSION_COOKIE = "moderation_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Caller:
    staff: Staff
    # The browser session's CSRF token, for the forms of the page; None for a bearer token.
    csrf_token: str | None


class SignInRequired(ServiceError):
    """A page asked for without a session: the handler answers with a redirect to sign in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(401, "unauthorized", "sign in first")
        self.next_path = next_path


class BadCsrfToken(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            403, "csrf", "the form's security token is missing or stale; reload the page"
        )


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def browser_caller(request: Request) -> Caller | None:
    """The signed-in browser's person and CSRF token, or None."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    with unit_of_work(_settings(request)) as session:
        found = accounts.staff_for_session(session, session_id)
    return None if found is None else Caller(found.staff, found.csrf_token)


def _token_owner(request: Request, token: str) -> Staff | None:
    with unit_of_work(_settings(request)) as session:
        return accounts.staff_for_token(session, token)


async def _api_caller(request: Request) -> Caller:
    token = _bearer(request)
    if token is not None:
        # Guessing tokens gets no answer past the address's failed-authentication limit.
        await ratelimits.refuse_failing_address(request)
        staff = await run_in_threadpool(_token_owner, request, token)
        if staff is None:
            await ratelimits.count_failure(request)
            raise NotSignedIn("the token is unknown, revoked or its user disabled")
        return Caller(staff, None)
    # The workspace's own scripts call the API with the session cookie: a state change must
    # then carry the CSRF token in a header, which another site's page cannot set.
    caller = await run_in_threadpool(browser_caller, request)
    if caller is None:
        raise NotSignedIn()
    if request.method not in _SAFE_METHODS and not accounts.csrf_matches(
        caller.csrf_token or "", request.headers.get(CSRF_HEADER)
    ):
        raise BadCsrfToken()
    return caller


def _allowed(caller: Caller, needed: Role) -> Caller:
    if not caller.staff.role.allows(needed):
        raise NotAllowed(needed)
    return caller


def _not_signed_in_headers(error: NotSignedIn) -> NotSignedIn:
    error.headers = {"WWW-Authenticate": 'Bearer realm="moderation"'}
    return error


async def api_moderator(request: Request) -> Caller:
    try:
        return _allowed(await _api_caller(request), Role.MODERATOR)
    except NotSignedIn as error:
        raise _not_signed_in_headers(error) from None


async def api_admin(request: Request) -> Caller:
    try:
        return _allowed(await _api_caller(request), Role.ADMIN)
    except NotSignedIn as error:
        raise _not_signed_in_headers(error) from None


def _page_caller(request: Request) -> Caller:
    caller = browser_caller(request)
    if caller is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(quote(path, safe="/?=&"))
    return caller


def page_moderator(request: Request) -> Caller:
    return _allowed(_page_caller(request), Role.MODERATOR)


def page_admin(request: Request) -> Caller:
    return _allowed(_page_caller(request), Role.ADMIN)


async def check_form_csrf(request: Request, caller: Caller) -> None:
    """A workspace form's hidden token must match its session's."""
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not accounts.csrf_matches(
        caller.csrf_token or "", given if isinstance(given, str) else None
    ):
        raise BadCsrfToken()


RequireModerator = Annotated[Caller, Depends(api_moderator)]
RequireAdmin = Annotated[Caller, Depends(api_admin)]
PageModerator = Annotated[Caller, Depends(page_moderator)]
PageAdmin = Annotated[Caller, Depends(page_admin)]
