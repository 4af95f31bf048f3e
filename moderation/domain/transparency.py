"""Transparency reporting (DSA Art. 15 and 24): the period a report covers, how its numbers are
counted from plain rows, the report's shape and its flat CSV form, and how a statement of
reasons reads in the EU DSA Transparency Database's API (Art. 24(5)).

Pure: the storage hands over rows (tuples and dicts); a test calls every counter here with
plain values. Percentiles are nearest-rank (`percentile`) everywhere, so a median or p90 is
always a handling time that really happened, never an interpolation between two.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, Field

from moderation.domain.errors import FieldProblem, ServiceError
from moderation.domain.statements import GroundKind

# A report spans at most this many days: a year and a leap day, with room for a calendar year
# asked as [Jan 1, Jan 1) of the next.
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC, from whole days: `from` is the first day counted, `to` the first
    day not counted (a month is --from 2026-11-01 --to 2026-12-01)."""

    first_day: date
    end_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.end_day, time(), UTC)

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def _day(name: str, value: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value or ""):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise _refused(name, "date", "must be a date written YYYY-MM-DD") from None


def _refused(name: str, rule: str, words: str) -> ServiceError:
    message = f"{name} {words}"
    return ServiceError(422, "invalid_period", message, [FieldProblem(name, rule, message)])


def period_of(first: str, end: str) -> Period:
    """The period from the `from` and `to` days as every way in gives them (YYYY-MM-DD); a
    422 naming the field otherwise."""
    start_day, end_day = _day("from", first), _day("to", end)
    if end_day <= start_day:
        raise _refused("to", "after_from", "must be a day after from")
    if (end_day - start_day).days > MAX_PERIOD_DAYS:
        raise _refused("to", "max_period", f"must be at most {MAX_PERIOD_DAYS} days after from")
    return Period(start_day, end_day)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank p-th percentile: the smallest value with at least p% of the values at
    or below it (the value at rank ceil(p/100 * n) of the sorted values). The median is p=50:
    of an even count, the lower of the two middle values. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class Durations(BaseModel):
    """Handling times in hours (two decimals), nearest-rank."""

    count: int
    median_hours: float | None
    p90_hours: float | None


def durations(spans: Iterable[timedelta]) -> Durations:
    hours = [s.total_seconds() / 3600 for s in spans]
    median, p90 = percentile(hours, 50), percentile(hours, 90)
    return Durations(
        count=len(hours),
        median_hours=None if median is None else round(median, 2),
        p90_hours=None if p90 is None else round(p90, 2),
    )


# --- notices ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeRow:
    ground: str
    received_at: datetime
    decided_at: datetime | None
    outcome: str | None


class NoticeCounts(BaseModel):
    received: int = Field(description="notices received in the period")
    received_by_ground: dict[str, int] = Field(description="the notifier's ground")
    decided: int = Field(description="notices decided in the period (whenever received)")
    decided_by_outcome: dict[str, int] = Field(description="removed or kept")
    open_at_end: int = Field(description="received before the end, not decided by it")
    handling: Durations = Field(description="received -> decided, of the notices decided")


def notice_counts(rows: Iterable[NoticeRow], period: Period) -> NoticeCounts:
    rows = list(rows)
    received = [r for r in rows if period.holds(r.received_at)]
    decided = [r for r in rows if period.holds(r.decided_at)]
    still_open = [
        r
        for r in rows
        if r.received_at < period.end and (r.decided_at is None or r.decided_at >= period.end)
    ]
    return NoticeCounts(
        received=len(received),
        received_by_ground=_sorted_counts(r.ground for r in received),
        decided=len(decided),
        decided_by_outcome={
            "removed": sum(r.outcome == "removed" for r in decided),
            "kept": sum(r.outcome == "kept" for r in decided),
        },
        open_at_end=len(still_open),
        handling=durations(r.decided_at - r.received_at for r in decided if r.decided_at),
    )


# --- appeals (DSA Art. 20) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppealRow:
    """An appeal as the `appeals` table keeps it: status open, reinstated or upheld."""

    status: str
    filed_at: datetime
    decided_at: datetime | None


class AppealCounts(BaseModel):
    filed: int = Field(description="appeals filed in the period")
    decided: int = Field(description="appeals decided in the period (whenever filed)")
    decided_by_outcome: dict[str, int] = Field(
        description="reinstated (the removal reversed) or upheld"
    )
    reversal_rate: float | None = Field(
        description="reinstated / decided, four decimals; null when none was decided"
    )
    open_at_end: int
    handling: Durations = Field(description="filed -> decided, of the appeals decided")


def appeal_counts(rows: Iterable[AppealRow], period: Period) -> AppealCounts:
    rows = list(rows)
    decided = [r for r in rows if r.status != "open" and period.holds(r.decided_at)]
    reinstated = sum(r.status == "reinstated" for r in decided)
    return AppealCounts(
        filed=sum(period.holds(r.filed_at) for r in rows),
        decided=len(decided),
        decided_by_outcome={
            "reinstated": reinstated,
            "upheld": sum(r.status == "upheld" for r in decided),
        },
        reversal_rate=round(reinstated / len(decided), 4) if decided else None,
        open_at_end=sum(
            r.filed_at < period.end and (r.decided_at is None or r.decided_at >= period.end)
            for r in rows
        ),
        handling=durations(r.decided_at - r.filed_at for r in decided if r.decided_at),
    )


# --- removals (the statements of reasons written in the period) -----------------------------


@dataclass(frozen=True, slots=True)
class RemovalRow:
    ground_key: str
    ground_kind: str
    ground_title: str
    decided_by: str  # statements.BY_POLICY or BY_PERSON
    automated_detection: bool
    after_notice: bool


class GroundCount(BaseModel):
    key: str
    kind: GroundKind
    title: str
    count: int


class RemovalCounts(BaseModel):
    total: int = Field(description="removals (a statement of reasons each) in the period")
    by_ground: list[GroundCount] = Field(description="by the ground stated, most first")
    by_kind: dict[str, int] = Field(description="house_rule or illegal")
    by_decision: dict[str, int] = Field(
        description="automated (the site's policy) or human (a moderator)"
    )
    by_detection: dict[str, int] = Field(description="automated detection: yes or no")
    by_source: dict[str, int] = Field(
        description="notice (after a notice of illegal content) or own_initiative"
    )


def removal_counts(rows: Iterable[RemovalRow]) -> RemovalCounts:
    rows = list(rows)
    grounds = Counter((r.ground_key, r.ground_kind, r.ground_title) for r in rows)
    return RemovalCounts(
        total=len(rows),
        by_ground=[
            GroundCount(key=key, kind=GroundKind(kind), title=title, count=n)
            for (key, kind, title), n in sorted(grounds.items(), key=lambda g: (-g[1], g[0]))
        ],
        by_kind={k.value: sum(r.ground_kind == k.value for r in rows) for k in GroundKind},
        by_decision={
            "automated": sum(r.decided_by == "policy" for r in rows),
            "human": sum(r.decided_by != "policy" for r in rows),
        },
        by_detection={
            "yes": sum(r.automated_detection for r in rows),
            "no": sum(not r.automated_detection for r in rows),
        },
        by_source={
            "notice": sum(r.after_notice for r in rows),
            "own_initiative": sum(not r.after_notice for r in rows),
        },
    )


# --- decisions and the people who took them -------------------------------------------------

# The statuses a decision leaves a comment in, in the order a report lists them.
DECIDED_STATUSES = ("approved", "pending", "spam", "rejected")


class DecisionCounts(BaseModel):
    """Status changes in the period (the audit log), as context for the removals."""

    by_policy: dict[str, int] = Field(description="the site's automated policy, by new status")
    by_moderators: dict[str, int] = Field(
        description="people with a workspace account, by new status"
    )
    by_others: dict[str, int] = Field(
        description="anything else: readers' reports hiding a comment, erasures, the command line"
    )


# Who made a status change, as DecisionCounts splits them.
POLICY, MODERATORS, OTHERS = "policy", "moderators", "others"


def decision_counts(changes: Iterable[tuple[str, str]]) -> DecisionCounts:
    """`changes`: (POLICY, MODERATORS or OTHERS, the status it went to) per status change."""
    counted = Counter(changes)
    return DecisionCounts(
        by_policy={s: counted[(POLICY, s)] for s in DECIDED_STATUSES},
        by_moderators={s: counted[(MODERATORS, s)] for s in DECIDED_STATUSES},
        by_others={s: counted[(OTHERS, s)] for s in DECIDED_STATUSES},
    )


class ModeratorCounts(BaseModel):
    people: int = Field(description="distinct people who decided a comment, notice or appeal")
    by_role: dict[str, int] = Field(
        description="their role now: moderator, admin, or other (no account by that name)"
    )


def moderator_counts(actors: Iterable[str], roles: Mapping[str, str]) -> ModeratorCounts:
    people = set(actors)
    found = Counter(roles.get(name, "other") for name in people)
    return ModeratorCounts(
        people=len(people), by_role={r: found[r] for r in ("moderator", "admin", "other")}
    )


# --- the report ---------------------------------------------------------------------------


class TransparencyReport(BaseModel):
    """What a site did about content in a period, in the numbers DSA Art. 15 asks for."""

    period_from: date = Field(description="the first day counted (UTC)")
    period_to: date = Field(description="the first day not counted (UTC)")
    site: str | None = Field(description="the site's id; null: every site of the deployment")
    generated_at: datetime
    percentiles: str = Field(default="nearest-rank")
    notices: NoticeCounts
    removals: RemovalCounts
    decisions: DecisionCounts
    appeals: AppealCounts
    moderators: ModeratorCounts


def _sorted_counts(values: Iterable[str]) -> dict[str, int]:
    counted = Counter(values)
    return dict(sorted(counted.items(), key=lambda c: (-c[1], c[0])))


CSV_HEADER = ("section", "metric", "key", "value")


def report_rows(report: TransparencyReport) -> list[tuple[str, str, str, object]]:
    """The report as one row per number (section, metric, key, value): what a spreadsheet
    takes. A null is an empty cell."""
    rows: list[tuple[str, str, str, object]] = [
        ("period", "from", "", report.period_from.isoformat()),
        ("period", "to", "", report.period_to.isoformat()),
        ("period", "site", "", report.site or ""),
        ("period", "percentiles", "", report.percentiles),
    ]
    sections: dict[str, BaseModel] = {
        "notices": report.notices,
        "removals": report.removals,
        "decisions": report.decisions,
        "appeals": report.appeals,
        "moderators": report.moderators,
    }
    for section, counts in sections.items():
        for metric, value in counts.model_dump(mode="json").items():
            if metric == "by_ground":
                rows.extend(
                    (section, metric, f"{g['key']} ({g['kind']})", g["count"]) for g in value
                )
            elif isinstance(value, dict):
                rows.extend((section, metric, str(k), _cell(v)) for k, v in value.items())
            else:
                rows.append((section, metric, "", _cell(value)))
    return rows


def _cell(value: Any) -> object:
    return "" if value is None else value


def report_csv(report: TransparencyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(report_rows(report))
    return out.getvalue()
