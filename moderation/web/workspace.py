"""The moderators' workspace: sign-in, the review queues, actions (one or many), the audit log.

Server-rendered and complete without JavaScript (every action is a form post that comes back
to the page); static/workspace.js adds the keyboard, in-place actions and undo.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from moderation.config import Settings
from moderation.domain.authors import AuthorRuleRequest
from moderation.domain.errors import ServiceError
from moderation.domain.schemas import problems_from
from moderation.domain.wordlists import WordKind, WordRuleRequest
from moderation.http import ratelimits
from moderation.http.auth import (
    SESSION_COOKIE,
    Caller,
    PageAdmin,
    PageModerator,
    browser_caller,
    check_form_csrf,
)
from moderation.http.deps import unit_of_work
from moderation.services import accounts, authors, review, wordlists
from moderation.services.accounts import SignInLimits, TooManyAttempts
from moderation.services.dashboard import Dashboard, dashboard
from moderation.services.review import Action, DecisionRequest, Ground, Queue, QueueItem, Sort
from moderation.storage import sites as sites_store
from moderation.storage import staff as staff_store
from moderation.web.views import templates

router = APIRouter(prefix="/moderation", include_in_schema=False)

LOGIN_CSRF_COOKIE = "moderation_login_csrf"
# Scores whose spans are highlighted, in the order their colours take precedence.
HIGHLIGHTED = ("threat", "identity_attack", "insult", "obscene", "toxicity", "spam")
# Spans shown: at least this logit weight, and this share of the strongest span of the score.
MIN_SPAN_WEIGHT = 0.2
MIN_HIGHLIGHTED_SCORE = 0.3
SPAN_SHARE = 0.25
# The score bars of an item, in this order.
SCORE_ORDER = (
    "spam",
    "toxicity",
    "severe_toxicity",
    "insult",
    "threat",
    "identity_attack",
    "obscene",
)


@dataclass(frozen=True, slots=True)
class CardButton:
    """A decision button on a comment's card, with its key (static/workspace.js reads the key
    from the button, so a key and what it sends are written here once)."""

    text: str
    action: Action
    ground: Ground | None
    key: str | None

    @property
    def value(self) -> str:
        """The form's value for this button on comment `{id}`: "id:action[:ground]"."""
        return f"{self.action.value}:{self.ground.value}" if self.ground else self.action.value


# A removal with a ground teaches the model of what it names (review.Ground); plain Reject
# teaches toxicity alone. Spam is the spam ground.
CARD_BUTTONS: tuple[CardButton, ...] = (
    CardButton("Approve", Action.APPROVE, None, "a"),
    CardButton("Reject", Action.REJECT, None, "r"),
    CardButton("Threat", Action.REJECT, Ground.THREAT, "t"),
    CardButton("Hate", Action.REJECT, Ground.HATE, "h"),
    CardButton("Harassment", Action.REJECT, Ground.HARASSMENT, "i"),
    CardButton("Obscene", Action.REJECT, Ground.OBSCENE, "o"),
    CardButton("Spam", Action.SPAM, None, "s"),
    CardButton("Not spam", Action.NOT_SPAM, None, None),
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _safe_next(path: str | None) -> str:
    """Only a path inside the workspace: never an open redirect to another site."""
    if path and path.startswith("/moderation") and not path.startswith("//"):
        return path
    return "/moderation/queue/pending"


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    score: str | None  # the score whose span covers it, for its colour and title
    weight: float


def highlight(
    body: str, spans: dict[str, list[Any]], scores: dict[str, float] | None = None
) -> list[Segment]:
    """The body cut into runs, each marked with the score whose explanation covers it.

    Where the spans of several scores overlap, the more specific score wins (a threat over
    plain toxicity), so the moderator sees what kind of problem each word is. A score below
    MIN_HIGHLIGHTED_SCORE is not highlighted: words that nudged a spam score of 0.09 up are
    not what the moderator is looking for.
    """
    owner: list[tuple[str, float] | None] = [None] * len(body)
    for score in reversed(HIGHLIGHTED):
        if scores is not None and scores.get(score, 0.0) < MIN_HIGHLIGHTED_SCORE:
            continue
        found = spans.get(score, [])
        # Only the words that matter: a span far weaker than the strongest of its score
        # ("a", "the" at +0.01) would hide the signal in noise.
        floor = max(MIN_SPAN_WEIGHT, SPAN_SHARE * max((s.weight for s in found), default=0))
        for span in found:
            if span.weight < floor:
                continue
            for i in range(max(span.start, 0), min(span.end, len(body))):
                owner[i] = (score, span.weight)
    segments: list[Segment] = []
    start = 0
    for i in range(1, len(body) + 1):
        if i == len(body) or owner[i] != owner[start]:
            mark = owner[start]
            segments.append(
                Segment(body[start:i], mark[0] if mark else None, mark[1] if mark else 0.0)
            )
            start = i
    return segments


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status)


def _page(request: Request, caller: Caller, name: str, **context: Any) -> Response:
    """A workspace page for a signed-in person: their name, role and forms' CSRF token."""
    return _render(request, name, {"caller": caller, "csrf_token": caller.csrf_token, **context})


@router.get("", response_class=HTMLResponse)
def workspace_home(caller: PageModerator) -> Response:
    return RedirectResponse("/moderation/queue/pending", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    if browser_caller(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_form(request, next, None, 200)


def _login_form(
    request: Request, next_path: str | None, error: str | None, status: int
) -> Response:
    # Login CSRF: the form carries a token that must equal a cookie only this site can set,
    # so another site cannot sign a moderator's browser into an account of its choosing.
    token = secrets.token_urlsafe(24)
    response = _render(
        request,
        "workspace/login.html",
        {"next": _safe_next(next_path), "error": error, "csrf_token": token},
        status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        secure=_settings(request).secure_cookies,
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
    settings = _settings(request)
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

    def attempt() -> accounts.SignedIn | None:
        with unit_of_work(settings) as session:
            return accounts.sign_in(
                session,
                name.strip(),
                password,
                address,
                limits,
                timedelta(hours=settings.session_hours),
            )

    try:
        signed_in = await run_in_threadpool(attempt)
    except TooManyAttempts as error:
        return _wait_page(request, next, "Too many failed sign-ins.", error.retry_after)
    if signed_in is None:
        return _login_form(request, next, "Wrong name or password.", 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
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

    def end() -> None:
        with unit_of_work(_settings(request)) as session:
            accounts.sign_out(session, session_id)

    await run_in_threadpool(end)
    response = RedirectResponse("/moderation/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


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
    with unit_of_work(_settings(request)) as session:
        asked = review.QueueQuery(
            queue, sort, site=site, article=article, author=author, text=q,
            disagreements=disagreements, cursor=cursor,
        )  # fmt: skip
        page = review.queue_page(session, asked)
        site_ids = [s.slug for s in sites_store.all_sites(session)]
    query = urlencode({k: v for k, v in filters.items() if v})
    return _page(
        request,
        caller,
        "workspace/queue.html",
        page=page,
        queues=list(Queue),
        actions=list(Action),
        buttons=CARD_BUTTONS,
        filters=filters,
        query=query,
        # One deployment, several sites: each item names its site, and the queue filters by it.
        sites=site_ids if len(site_ids) > 1 else [],
        segments={i.id: highlight(i.body, i.spans, i.scores) for i in page.items},
        bars={item.id: _bars(item) for item in page.items},
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )


def _bars(item: QueueItem) -> list[tuple[str, float]]:
    return [(name, item.scores[name]) for name in SCORE_ORDER if name in item.scores]


@router.post("/decide")
async def decide(request: Request, caller: PageModerator) -> Response:
    """The form behind every action button, for one comment or the selected ones."""
    await check_form_csrf(request, caller)
    form = await request.form()
    back = _safe_next(str(form.get("next") or ""))
    try:
        # One item's own button names its comment, action and ground ("12:reject:threat"); a
        # bulk button acts on the comments ticked in the list.
        one = form.get("item_action")
        if one:
            comment_id, _, chosen = str(one).partition(":")
            action, _, ground = chosen.partition(":")
            ids = [int(comment_id)]
        else:
            action, ground = str(form.get("action")), ""
            ids = [int(str(v)) for v in form.getlist("ids")]
    except ValueError:
        raise ServiceError(422, "invalid_request", "choose an action and comments") from None
    try:
        # The API's own rules for the action, the ground and the note.
        decision = DecisionRequest.model_validate(
            {
                "action": action,
                "ground": ground or None,
                "note": str(form.get("note") or "")[: review.MAX_NOTE],
            }
        )
    except ValidationError as error:
        problems = problems_from(error)
        raise ServiceError(
            422, "invalid_request", "; ".join(p.message for p in problems), problems
        ) from None
    if not ids:  # an action with nothing ticked: back to the list
        return RedirectResponse(back, status_code=303)

    def apply() -> list[review.DecisionResult]:
        with unit_of_work(_settings(request)) as session:
            return review.decide(
                session,
                caller.staff,
                ids[: review.MAX_BULK],
                decision.action,
                decision.note,
                decision.ground,
            )

    await run_in_threadpool(apply)
    return RedirectResponse(back, status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    caller: PageModerator,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    comment: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    where = review.audit_filter(actor, comment)
    with unit_of_work(_settings(request)) as session:
        page = review.audit_page(session, where, cursor, 100)
    return _page(
        request,
        caller,
        "workspace/audit.html",
        page=page,
        actor=actor,
        comment=comment,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, caller: PageAdmin) -> Response:
    with unit_of_work(_settings(request)) as session:
        users = staff_store.all_users(session)
    return _page(
        request,
        caller,
        "workspace/users.html",
        users=users,
    )


CHART_STATUSES = ("approved", "pending", "spam", "rejected", "queued")


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    height: float
    status: str
    count: int
    day: str


def chart_bars(board: Dashboard, height: float = 160.0, width: float = 28.0) -> list[Bar]:
    """Stacked bars, one column a day, for the dashboard's SVG (no script needed)."""
    tallest = max((sum(d.counts.values()) for d in board.days), default=0) or 1
    bars = []
    for column, day in enumerate(board.days):
        top = height
        for status in CHART_STATUSES:
            count = day.counts.get(status, 0)
            if not count:
                continue
            size = height * count / tallest
            top -= size
            bars.append(Bar(column * (width + 6), top, size, status, count, day.day.isoformat()))
    return bars


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, caller: PageModerator) -> Response:
    with unit_of_work(_settings(request)) as session:
        board = dashboard(session)
    return _page(
        request,
        caller,
        "workspace/dashboard.html",
        board=board,
        bars=chart_bars(board),
        statuses=CHART_STATUSES,
    )


@router.get("/authors", response_class=HTMLResponse)
def authors_page(request: Request, caller: PageModerator) -> Response:
    with unit_of_work(_settings(request)) as session:
        found = authors.list_rules(session)
    return _page(
        request,
        caller,
        "workspace/authors.html",
        rules=found,
    )


@router.post("/authors")
async def set_author_rule(request: Request, caller: PageModerator) -> Response:
    """Ban or trust an author (from the authors page or a comment in a queue), or lift it."""
    await check_form_csrf(request, caller)
    form = await request.form()
    back = _safe_next(str(form.get("next") or "/moderation/authors"))
    action = str(form.get("action") or "")

    def apply() -> None:
        with unit_of_work(_settings(request)) as session:
            if action == "lift":
                authors.lift_rules(session, str(form.get("value") or ""))
                return
            authors.set_rule(
                session,
                AuthorRuleRequest.model_validate(
                    {
                        "action": action,
                        "email": str(form.get("email") or "") or None,
                        "ip": str(form.get("ip") or "") or None,
                        "note": str(form.get("note") or "")[:500],
                    }
                ),
                caller.staff.name,
            )

    try:
        await run_in_threadpool(apply)
    except ValidationError:
        raise ServiceError(422, "invalid_request", "choose ban or trust") from None
    return RedirectResponse(back, status_code=303)


@router.get("/word-lists", response_class=HTMLResponse)
def word_lists_page(request: Request, caller: PageAdmin) -> Response:
    with unit_of_work(_settings(request)) as session:
        found = wordlists.list_rules(session)
    return _page(
        request,
        caller,
        "workspace/word_lists.html",
        rules=found,
        kinds=list(WordKind),
    )


@router.post("/word-lists")
async def change_word_lists(request: Request, caller: PageAdmin) -> Response:
    await check_form_csrf(request, caller)
    form = await request.form()
    remove = form.get("remove")

    def apply() -> None:
        with unit_of_work(_settings(request)) as session:
            if remove:
                wordlists.remove_rule(session, int(str(remove)))
                return
            wordlists.add_rule(
                session,
                WordRuleRequest.model_validate(
                    {
                        "kind": str(form.get("kind") or ""),
                        "term": str(form.get("term") or ""),
                        "note": str(form.get("note") or "")[:500],
                    }
                ),
                caller.staff.name,
            )

    try:
        await run_in_threadpool(apply)
    except (ValidationError, ValueError):
        raise ServiceError(422, "invalid_request", "choose a kind and a term") from None
    return RedirectResponse("/moderation/word-lists", status_code=303)


def error_page(status: int, message: str) -> str:
    return templates.get_template("workspace/error.html").render(status=status, message=message)


def sign_in_redirect(next_path: str) -> Response:
    return RedirectResponse(f"/moderation/login?{urlencode({'next': next_path})}", status_code=303)
