"""The article page (the article, its approved comments as threads, the reply form; the
reader's own comments awaiting moderation) and the embeddable widget's script."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from moderation.config import Settings
from moderation.domain import fields
from moderation.domain.errors import FieldProblem
from moderation.domain.schemas import MAX_BODY, MAX_ID, MAX_NAME, MAX_REPLY_DEPTH
from moderation.domain.statuses import CommentStatus
from moderation.http import site_keys
from moderation.http.appeals import links as appeal_links
from moderation.http.deps import in_worker_thread
from moderation.http.security_headers import CSP, article_page_policy
from moderation.services import comments as service
from moderation.services.sites import DEFAULT_SITE, SiteInfo, UnknownSite
from moderation.web import demo

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# The pages' last check before a URL becomes an href: only one that passes the URL rule.
templates.env.filters["href"] = fields.safe_href
router = APIRouter(include_in_schema=False)

_NOTICES = {
    CommentStatus.QUEUED: "Thank you. Your comment is awaiting moderation.",
    CommentStatus.PENDING: "Thank you. Your comment is awaiting moderation.",
    CommentStatus.APPROVED: "Thank you. Your comment is published.",
    CommentStatus.SPAM: "Your comment was not published.",
    CommentStatus.REJECTED: "Your comment was not published.",
}
# The form's fields, in the order the page shows them, with the words a reader sees.
FORM_LABELS = {
    "body": "Comment",
    "author_name": "Name",
    "author_email": "Email",
    "author_url": "Website",
}


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


def reader_message(problem: FieldProblem) -> str:
    """The API's wording ("author_email must not be empty") in the form's words ("Email must
    not be empty"): a reader knows the label, not the field's name."""
    label = FORM_LABELS.get(problem.field)
    if label and problem.message.startswith(problem.field + " "):
        return label + problem.message[len(problem.field) :]
    return problem.message


def _form_errors(problems: list[FieldProblem]) -> dict[str, str]:
    """The first problem of each field in the reader's words; the form's fields first, in the
    page's order, so the summary reads like the form."""
    errors: dict[str, str] = {}
    for problem in problems:
        errors.setdefault(problem.field, reader_message(problem))
    ordered = {f: errors[f] for f in FORM_LABELS if f in errors}
    ordered.update({f: m for f, m in errors.items() if f not in FORM_LABELS})
    return ordered


def _page_link(site: SiteInfo, **params: Any) -> str:
    """A link to this article page with other query parameters, keeping its site."""
    query = {} if site.slug == DEFAULT_SITE else {"site": site.slug}
    query.update({k: v for k, v in params.items() if v is not None})
    return "?" + urlencode(query) if query else "?"


async def _render(
    request: Request,
    settings: Settings,
    site: SiteInfo,
    article_id: str,
    *,
    cursor: str | None = None,
    comment_id: int | None = None,
    values: dict[str, Any] | None = None,
    problems: list[FieldProblem] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    reader = site_keys.reader_hash(site_keys.reader_token(request))
    loaded = await in_worker_thread(
        settings,
        lambda session: service.article_page(
            session,
            article_id,
            site_id=site.id,
            cursor=cursor,
            limit=100,
            comment_id=comment_id,
            reader_hash=reader,
            appeals=appeal_links(request),
        ),
    )
    is_demo = article_id == demo.DEMO_ARTICLE_ID and site.slug == DEFAULT_SITE
    values = values or {}
    reply_to = values.get("parent_id") or request.query_params.get("reply_to") or ""
    return templates.TemplateResponse(
        request,
        "article.html",
        {
            "article_id": article_id,
            "site": site.slug,
            "title": loaded.title or (demo.DEMO_TITLE if is_demo else f"Article {article_id}"),
            "byline": demo.DEMO_BYLINE if is_demo else None,
            "paragraphs": demo.DEMO_PARAGRAPHS if is_demo else [],
            "page": loaded.page,
            "notice": _NOTICES[loaded.own_status] if loaded.own_status else None,
            "own_status": loaded.own_status,
            "appeals": loaded.appeals,
            "values": values,
            "errors": _form_errors(problems or []),
            "form_fields": FORM_LABELS,
            "reply_to": str(reply_to)[:20],
            "page_link": lambda **params: _page_link(site, **params),
            "max_name": MAX_NAME,
            "max_body": MAX_BODY,
            "max_reply_depth": MAX_REPLY_DEPTH,
        },
        status_code=status_code,
        headers={
            # It shows the reader their own comments: never for a shared cache.
            "Cache-Control": "private, no-cache",
            CSP: article_page_policy(site.origins),
        },
    )


async def article_with_errors(
    request: Request, settings: Settings, data: dict[str, Any], problems: list[FieldProblem]
) -> HTMLResponse:
    """A form post that broke a rule: the page again, the reader's text kept, errors by fields."""
    article_id = str(data.get("article_id") or demo.DEMO_ARTICLE_ID)[:200]
    slug = data.get("site_id") or request.query_params.get("site")
    site = site_keys.site_named(request, str(slug) if slug else None, "site_id")
    return await _render(
        request, settings, site, article_id, values=data, problems=problems, status_code=422
    )


@router.get("/")
def home() -> Response:
    return RedirectResponse(f"/articles/{demo.DEMO_ARTICLE_ID}", status_code=307)


@router.get("/articles/{article_id:path}", response_class=HTMLResponse, name="article_page")
async def article_page(
    request: Request,
    article_id: str,
    site: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query()] = None,
    comment: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    try:
        chosen = site_keys.site_named(request, site, "site")
    except UnknownSite:
        # A person followed a link: a page, not the API's JSON.
        return templates.TemplateResponse(
            request,
            "not_found.html",
            {"message": f"There is no site {site!r} here."},
            status_code=404,
        )
    return await _render(request, settings, chosen, article_id, cursor=cursor, comment_id=comment)


# What each widget asset is made of. The widget's script starts with submit.js, the posting
# and field-error code the article page loads as /static/submit.js: one script, so the one tag
# sites embed keeps loading everything (a second <script> added by the widget would be refused
# on a page that requires Trusted Types). One function around both keeps submit.js's top-level
# `var` out of the site's globals.
_WIDGET_PARTS = {"widget.js": ("submit.js", "widget.js"), "widget.css": ("widget.css",)}


@cache
def _widget_file(name: str) -> tuple[bytes, str]:
    parts = [(HERE / "static" / part).read_bytes() for part in _WIDGET_PARTS[name]]
    if name.endswith(".js"):
        parts = [b"(function () {", *parts, b"})();\n"]
    content = b"\n".join(parts)
    return content, f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def _widget_asset(request: Request, name: str, media_type: str) -> Response:
    """A stable URL that caches keep for five minutes and then revalidate (ETag), so a fix
    reaches every site within minutes without a version in the URL."""
    content, etag = _widget_file(name)
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=300, stale-while-revalidate=86400",
        # Pages that isolate themselves (COEP) may still load it from our origin.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if_none_match = request.headers.get("if-none-match", "")
    if etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)


@router.get("/widget.js", name="widget_script")
def widget_script(request: Request) -> Response:
    """The embeddable widget: one <script> tag on any page of a registered site."""
    return _widget_asset(request, "widget.js", "text/javascript; charset=utf-8")


@router.get("/widget.css", name="widget_stylesheet")
def widget_stylesheet(request: Request) -> Response:
    """The widget's styles, which it links from the page's <head>: a stylesheet from our
    origin, where a <style> element of its own would be refused by a page with a strict
    Content-Security-Policy."""
    return _widget_asset(request, "widget.css", "text/css; charset=utf-8")
