"""`moderation transparency-report` and `moderation sor-export`: a period's numbers (DSA Art. 15
and 24) as JSON or CSV, and its statements of reasons as the EU DSA Transparency Database's API
takes them (docs/transparency.md). Neither sends anything anywhere."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from commands.support import fail, in_session
from moderation.domain import dsa_database, transparency
from moderation.domain.errors import ServiceError
from moderation.domain.transparency import Period
from moderation.services import transparency as service


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


_FROM = typer.Option(..., "--from", help="The first day counted, YYYY-MM-DD (UTC).")
_TO = typer.Option(..., "--to", help="The first day not counted, YYYY-MM-DD (UTC).")
_SITE = typer.Option(None, "--site", help="One site's id; every site when left out.")
_OUTPUT = typer.Option(None, "--output", "-o", help="Write here rather than to stdout.")


def _period(first: str, end: str) -> Period:
    try:
        return transparency.period_of(first, end)
    except ServiceError as error:
        fail(error.message)


def _write(text: str, output: Path | None, what: str) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}", 1)
    typer.echo(f"wrote {what} to {output}", err=True)


def transparency_report(
    first: str = _FROM,
    end: str = _TO,
    site: str | None = _SITE,
    format: ReportFormat = typer.Option(
        ReportFormat.JSON, "--format", help="json: the structured report; csv: one row a number."
    ),
    output: Path | None = _OUTPUT,
) -> None:
    """A period's numbers: notices, removals by ground and by automated or human decision,
    status changes, appeals, the people who decided (docs/transparency.md)."""
    period = _period(first, end)
    found = in_session(lambda s: service.report(s, period, site))
    if format is ReportFormat.CSV:
        text = transparency.report_csv(found)
    else:
        text = json.dumps(found.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    _write(text, output, "the report")


def sor_export(
    first: str = _FROM,
    end: str = _TO,
    site: str | None = _SITE,
    scope: str = typer.Option(
        "EU",
        "--territorial-scope",
        help="Where the removals apply: EU, EEA, or country codes (DE,AT).",
    ),
    output: Path | None = _OUTPUT,
) -> None:
    """The period's statements of reasons as JSON for the EU DSA Transparency Database's batch
    endpoint ({"statements": [...]}, no personal data); this command does not send them."""
    period = _period(first, end)
    try:
        territories = dsa_database.territories_of(scope)
    except ValueError as error:
        fail(str(error))
    found = in_session(lambda s: service.statements_of_reasons(s, period, site, territories))
    text = json.dumps(found, indent=2, ensure_ascii=False) + "\n"
    _write(text, output, f"{len(found['statements'])} statement(s)")
