"""Signing in to the workspace and out of it: the form and its login CSRF token, the limits on
failed tries (the form again with Retry-After), and the session cookie."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moderation.http import ratelimits
from moderation.http.auth import SESSION_COOKIE, PageModerator, browser_caller, check_form_csrf
from moderation.services import accounts
from moderation.services.accounts import SignInLimits, TooManyAttempts
from moderation.web.workspace.pages import in_worker_thread, render, safe_next, settings_of

router = APIRouter()

LOGIN_CSRF_COOKIE = "moderation_login_csrf"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    if browser_caller(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next, None, 200)


def _login_form(
    request: Request, next_path: str | None, error: str | None, status: int
) -> Response:
    # Login CSRF: the form carries a token that must equal a cookie only this site can set,
    # so another site cannot sign a moderator's browser into an account of its choosing.
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "workspace/login.html",
        {"next": safe_next(next_path), "error": error, "csrf_token": token},
        status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        secure=settings_of(request).secure_cookies,
        samesite="strict",
        path="/moderation",
    )
    return response


def _wait_page(request: Request, next_path: str | None, what: str, retry_after: int) -> Response:
    """The sign-in form again, saying how long to wait, with Retry-After."""
    if retry_after < 60:
        when = f"{retry_after} second{'s' if retry_after != 1 else ''}"
    else:
        minutes = -(-retry_after // 60)
        when = f"{minutes} minute{'s' if minutes != 1 else ''}"
    response = _login_form(request, next_path, f"{what} Try again in {when}.", 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    settings = settings_of(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not accounts.csrf_matches(expected, csrf_token):
        return _login_form(request, next, "The form expired. Please sign in again.", 403)
    address = ratelimits.request_address(request)
    # Before the password is hashed: each try costs argon2's memory and time.
    refusal = await ratelimits.rate_limits(request).sign_in(address)
    if refusal is not None:
        return _wait_page(
            request, next, "Too many sign-in attempts from this address.", refusal.retry_after
        )
    limits = SignInLimits(
        per_address=settings.login_failures_per_address,
        window=timedelta(seconds=settings.login_window_seconds),
        backoff_after=settings.login_backoff_after,
        backoff_base=timedelta(seconds=settings.login_backoff_base_seconds),
    )
    lifetime = timedelta(hours=settings.session_hours)
    try:
        signed_in = await in_worker_thread(
            request,
            lambda session: accounts.sign_in(
                session, name.strip(), password, address, limits, lifetime
            ),
        )
    except TooManyAttempts as error:
        return _wait_page(request, next, "Too many failed sign-ins.", error.retry_after)
    if signed_in is None:
        return _login_form(request, next, "Wrong name or password.", 401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.session_id,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/moderation")
    return response


@router.post("/logout")
async def logout(request: Request, caller: PageModerator) -> Response:
    await check_form_csrf(request, caller)
    session_id = request.cookies.get(SESSION_COOKIE, "")
    await in_worker_thread(request, lambda session: accounts.sign_out(session, session_id))
    response = RedirectResponse("/moderation/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def sign_in_redirect(next_path: str) -> Response:
    return RedirectResponse(f"/moderation/login?{urlencode({'next': next_path})}", status_code=303)
