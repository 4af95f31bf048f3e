"""The transparency report in the admin API: a period's numbers (DSA Art. 15 and 24) as JSON or
as CSV, the same report `moderation transparency-report` prints (docs/transparency.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from moderation.domain.transparency import TransparencyReport, period_of, report_csv
from moderation.http.auth import RequireAdmin
from moderation.http.deps import SettingsDep, unit_of_work
from moderation.http.responses import STAFF, STORAGE, errors
from moderation.services import transparency

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    responses=errors(*STAFF, *STORAGE, 404, 422, worded={404: "No such site"}),
)

Day = Annotated[str, Query(max_length=10)]


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


@router.get(
    "/transparency",
    response_model=TransparencyReport,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def transparency_report(
    caller: RequireAdmin,
    settings: SettingsDep,
    first: Annotated[Day, Query(alias="from", description="the first day counted (UTC)")],
    end: Annotated[Day, Query(alias="to", description="the first day not counted (UTC)")],
    site: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    format: ReportFormat = ReportFormat.JSON,
) -> TransparencyReport | Response:
    """Notices, removals by ground and by automated or human decision, status changes, appeals
    and the people who decided, for [from, to) and one site or all; `format=csv` gives one row
    a number (section, metric, key, value)."""
    period = period_of(first, end)
    with unit_of_work(settings) as session:
        found = transparency.report(session, period, site)
    if format is ReportFormat.JSON:
        return found
    return Response(
        report_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(found)}.csv"'},
    )


def _file_name(report: TransparencyReport) -> str:
    """transparency-[site-]from-to: the site's id is letters, digits and dashes."""
    parts = ["transparency", report.site, str(report.period_from), str(report.period_to)]
    return "-".join(p for p in parts if p)
