"""The Transparency page (admins): a period's report as tables, with the report (CSV, JSON)
and the period's statements of reasons for the EU DSA Transparency Database as downloads.
Read-only: every route is a GET."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from moderation.domain.clock import utcnow
from moderation.domain.errors import ServiceError
from moderation.domain.transparency import TransparencyReport, period_of, report_csv
from moderation.http.auth import PageAdmin
from moderation.services import sites, transparency
from moderation.web.workspace.pages import in_unit_of_work, staff_page

router = APIRouter()

Day = Annotated[str | None, Query(alias="from", max_length=10)]
EndDay = Annotated[str | None, Query(alias="to", max_length=10)]
SiteId = Annotated[str | None, Query(max_length=64)]


def last_month(today: date) -> tuple[str, str]:
    """The last whole calendar month: what a report is usually asked for."""
    first_of_this = today.replace(day=1)
    first_of_last = (first_of_this - timedelta(days=1)).replace(day=1)
    return first_of_last.isoformat(), first_of_this.isoformat()


def _report(request: Request, first: str, end: str, site: str | None) -> TransparencyReport:
    period = period_of(first, end)
    return in_unit_of_work(request, lambda s: transparency.report(s, period, site or None))


@router.get("/transparency", response_class=HTMLResponse)
def transparency_page(
    request: Request, caller: PageAdmin, first: Day = None, end: EndDay = None, site: SiteId = None
) -> Response:
    default_first, default_end = last_month(utcnow().date())
    asked = {"from": first or default_first, "to": end or default_end, "site": site or ""}
    slugs = in_unit_of_work(request, sites.site_slugs)
    try:
        report = _report(request, asked["from"], asked["to"], site)
    except ServiceError as error:
        page = staff_page(
            request, caller, "workspace/transparency.html",
            asked=asked, sites=slugs, report=None, problem=error.message,
        )  # fmt: skip
        page.status_code = error.status_code
        return page
    query = urlencode({k: v for k, v in asked.items() if v})
    return staff_page(
        request, caller, "workspace/transparency.html",
        asked=asked, sites=slugs, report=report, problem=None, query=query,
    )  # fmt: skip


def _download(text: str, media_type: str, name: str) -> Response:
    return Response(
        text,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/transparency/report.csv")
def report_as_csv(
    request: Request, caller: PageAdmin, first: Day = None, end: EndDay = None, site: SiteId = None
) -> Response:
    found = _report(request, first or "", end or "", site)
    return _download(report_csv(found), "text/csv; charset=utf-8", "transparency-report.csv")


@router.get("/transparency/report.json")
def report_as_json(
    request: Request, caller: PageAdmin, first: Day = None, end: EndDay = None, site: SiteId = None
) -> Response:
    found = _report(request, first or "", end or "", site)
    text = json.dumps(found.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    return _download(text, "application/json", "transparency-report.json")


@router.get("/transparency/statements.json")
def statements_of_reasons(
    request: Request, caller: PageAdmin, first: Day = None, end: EndDay = None, site: SiteId = None
) -> Response:
    """The period's statements of reasons, for the DSA database's batch endpoint."""
    period = period_of(first or "", end or "")
    found = in_unit_of_work(
        request, lambda s: transparency.statements_of_reasons(s, period, site or None)
    )
    text = json.dumps(found, indent=2, ensure_ascii=False) + "\n"
    return _download(text, "application/json", "statements-of-reasons.json")
