"""The counting of the transparency report on plain rows: nearest-rank percentiles, appeals
(the rows the `appeals` table will hand over), the period, and what a statement of reasons
for the public DSA database keeps out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moderation.domain.dsa_database import category_of, puid_of, scrubbed, territories_of
from moderation.domain.errors import ServiceError
from moderation.domain.transparency import AppealRow, percentile, period_of

NOV = period_of("2026-11-01", "2026-12-01")


def at(day: int, hours: float = 0) -> datetime:
    return datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hours)


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 50, None),
        ([7.0], 50, 7.0),
        ([7.0], 90, 7.0),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.0),  # even count: the lower middle, never 2.5
        ([4.0, 1.0, 3.0, 2.0], 90, 4.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 50, 3.0),
        ([float(n) for n in range(1, 11)], 90, 9.0),  # rank ceil(0.9 * 10) = 9
        ([float(n) for n in range(1, 12)], 90, 10.0),  # rank ceil(9.9) = 10
        ([5.0, 5.0, 1.0], 10, 1.0),
    ],
)
def test_percentiles_are_nearest_rank(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == expected


def test_appeals_are_counted_from_plain_rows() -> None:
    from moderation.domain.transparency import appeal_counts

    rows = [
        AppealRow("reinstated", at(2), at(2, 6)),  # 6 h
        AppealRow("upheld", at(3), at(4, 12)),  # 36 h
        AppealRow("upheld", at(-3), at(1, 1)),  # filed in October: 97 h
        AppealRow("reinstated", at(29), at(31, 1)),  # decided in December: not decided here
        AppealRow("open", at(30), None),
        AppealRow("upheld", at(-20), at(-10)),  # all in October: nothing
    ]

    counts = appeal_counts(rows, NOV)

    assert counts.filed == 4
    assert counts.decided == 3
    assert counts.decided_by_outcome == {"reinstated": 1, "upheld": 2}
    assert counts.reversal_rate == 0.3333
    assert counts.open_at_end == 2
    assert counts.handling.model_dump() == {"count": 3, "median_hours": 36.0, "p90_hours": 97.0}


def test_no_appeal_decided_has_no_reversal_rate() -> None:
    from moderation.domain.transparency import appeal_counts

    counts = appeal_counts([AppealRow("open", at(3), None)], NOV)

    assert (counts.filed, counts.decided, counts.reversal_rate) == (1, 0, None)
    assert counts.handling.median_hours is None


@pytest.mark.parametrize(
    ("first", "end", "field", "rule"),
    [
        ("2026-11-01", "2026-11-01", "to", "after_from"),
        ("2026-11-02", "2026-11-01", "to", "after_from"),
        ("2026/11/01", "2026-12-01", "from", "date"),
        ("", "2026-12-01", "from", "date"),
        ("2026-11-01", "2026-13-01", "to", "date"),
        ("2026-11-01", "2027-11-03", "to", "max_period"),
    ],
)
def test_a_period_that_cannot_be_is_refused_naming_the_field(
    first: str, end: str, field: str, rule: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        period_of(first, end)

    assert refused.value.status_code == 422
    assert [(p.field, p.rule) for p in refused.value.problems] == [(field, rule)]


def test_a_calendar_year_is_a_period() -> None:
    year = period_of("2028-01-01", "2029-01-01")  # a leap year: 366 days
    assert (year.end - year.start).days == 366


def test_the_facts_lose_the_authors_data_and_any_address() -> None:
    facts = (
        "A moderator removed it: ann reader wrote to ANN@example.com from 203.0.113.7 "
        "and 2001:db8::1:2:3; bob@news.example too. Annabel stays."
    )

    found = scrubbed(facts, ["Ann Reader", "ann@example.com", None, ""])

    assert found == (
        "A moderator removed it: [removed] wrote to [removed] from [removed] and [removed]; "
        "[removed] too. Annabel stays."
    )


def test_a_sites_own_ground_files_by_its_kind() -> None:
    assert category_of("hate", "house_rule") == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    assert category_of("incitement", "illegal") == ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH")
    assert category_of("self_promotion", "house_rule") == (
        "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"
    )


def test_puids_and_territories() -> None:
    assert puid_of("daily", 7) == "daily-sor-7"
    assert puid_of("le monde.fr", 7) == "le-monde-fr-sor-7"
    assert territories_of("eu")[:2] == ["AT", "BE"]
    assert len(territories_of("EEA")) == 30
    assert territories_of(" de, AT ,de") == ["AT", "DE"]
    with pytest.raises(ValueError, match="unknown territory US"):
        territories_of("DE,US")
    with pytest.raises(ValueError, match="unknown territory ''"):
        territories_of("")
