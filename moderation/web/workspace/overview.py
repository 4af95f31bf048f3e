"""The pages about the whole house rather than one comment: the staff accounts, and the
dashboard's figures with its chart of comments per day."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from moderation.http.auth import PageAdmin, PageModerator
from moderation.services import accounts
from moderation.services.dashboard import Dashboard, dashboard
from moderation.web.workspace.pages import in_unit_of_work, staff_page

router = APIRouter()


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, caller: PageAdmin) -> Response:
    users = in_unit_of_work(request, accounts.all_users)
    return staff_page(request, caller, "workspace/users.html", users=users)


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
    board = in_unit_of_work(request, dashboard)
    return staff_page(
        request,
        caller,
        "workspace/dashboard.html",
        board=board,
        bars=chart_bars(board),
        statuses=CHART_STATUSES,
    )
