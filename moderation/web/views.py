"""The article page: the article, its approved comments as threads, and the reply form."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from moderation.config import Settings
from moderation.domain import comments as service
from moderation.domain.errors import FieldProblem, NotFound
from moderation.domain.schemas import MAX_BODY, MAX_ID, MAX_NAME, CommentPage, CommentStatusView
from moderation.domain.statuses import CommentStatus
from moderation.storage import repository
from moderation.storage.db import session_scope
from moderation.web import demo

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)

_NOTICES = {
    CommentStatus.QUEUED: "Thank you. Your comment is awaiting moderation.",
    CommentStatus.PENDING: "Thank you. Your comment is awaiting moderation.",
    CommentStatus.APPROVED: "Thank you. Your comment is published.",
    CommentStatus.SPAM: "Your comment was not published.",
    CommentStatus.REJECTED: "Your comment was not published.",
}


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


def _load_page(
    settings: Settings, article_id: str, cursor: str | None, comment_id: int | None
) -> tuple[dict[str, Any], CommentPage, CommentStatusView | None]:
    with session_scope(settings.database_url) as session:
        article = repository.article_by_external_id(session, article_id)
        info: dict[str, Any] = {"id": article_id, "title": None, "url": None}
        if article is not None:
            info.update(title=article.title, url=article.url)
        page = service.article_comments(session, article_id, cursor, limit=100)
        own: CommentStatusView | None = None
        if comment_id is not None:
            try:
                own = service.comment_status(session, comment_id)
            except NotFound:
                own = None
            if own is not None and own.article_id != article_id:
                own = None
    return info, page, own


async def _render(
    request: Request,
    settings: Settings,
    article_id: str,
    *,
    cursor: str | None = None,
    comment_id: int | None = None,
    values: dict[str, Any] | None = None,
    problems: list[FieldProblem] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    info, page, own = await run_in_threadpool(_load_page, settings, article_id, cursor, comment_id)
    is_demo = article_id == demo.DEMO_ARTICLE_ID
    errors: dict[str, str] = {}
    for problem in problems or []:
        errors.setdefault(problem.field, problem.message)
    return templates.TemplateResponse(
        request,
        "article.html",
        {
            "article_id": article_id,
            "title": info["title"] or (demo.DEMO_TITLE if is_demo else f"Article {article_id}"),
            "byline": demo.DEMO_BYLINE if is_demo else None,
            "paragraphs": demo.DEMO_PARAGRAPHS if is_demo else [],
            "page": page,
            "notice": _NOTICES[own.status] if own else None,
            "own": own,
            "values": values or {},
            "errors": errors,
            "max_name": MAX_NAME,
            "max_body": MAX_BODY,
        },
        status_code=status_code,
    )


async def article_with_errors(
    request: Request, settings: Settings, data: dict[str, Any], problems: list[FieldProblem]
) -> HTMLResponse:
    """A form post that broke a rule: the page again, the reader's text kept, errors by fields."""
    article_id = str(data.get("article_id") or demo.DEMO_ARTICLE_ID)[:200]
    return await _render(
        request, settings, article_id, values=data, problems=problems, status_code=422
    )


@router.get("/")
def home() -> Response:
    return RedirectResponse(f"/articles/{demo.DEMO_ARTICLE_ID}", status_code=307)


@router.get("/articles/{article_id:path}", response_class=HTMLResponse, name="article_page")
async def article_page(
    request: Request,
    article_id: str,
    cursor: Annotated[str | None, Query()] = None,
    comment: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    return await _render(request, settings, article_id, cursor=cursor, comment_id=comment)
