"""Granularity from dates, and which period is adjacent (环比) or a year earlier (同比): hand-computed."""

from __future__ import annotations

from datetime import date

import pytest

from retrogen.core.errors import RetrogenError
from retrogen.core.periods import Granularity, Period, parse_label

D = date.fromisoformat


@pytest.mark.parametrize(
    ("start", "end", "granularity", "label"),
    [
        ("2026-07-01", "2026-07-31", Granularity.MONTH, "2026-07"),
        ("2026-02-01", "2026-02-28", Granularity.MONTH, "2026-02"),
        ("2026-07-01", "2026-09-30", Granularity.QUARTER, "2026-Q3"),
        ("2026-02-01", "2026-04-30", Granularity.QUARTER, "2026-02-01–2026-04-30"),  # a fiscal quarter
        ("2026-07-01", "2026-12-31", Granularity.HALF_YEAR, "2026-H2"),
        ("2026-01-01", "2026-12-31", Granularity.YEAR, "2026"),
        ("2026-04-01", "2027-03-31", Granularity.YEAR, "2026-04-01–2027-03-31"),  # a fiscal year
        ("2026-07-01", "2026-08-31", Granularity.CUSTOM, "2026-07-01–2026-08-31"),  # two months
        ("2026-07-15", "2026-10-14", Granularity.CUSTOM, "2026-07-15–2026-10-14"),  # not whole months
        ("2026-07-01", "2026-09-29", Granularity.CUSTOM, "2026-07-01–2026-09-29"),
    ],
)
def test_granularity_and_label(start: str, end: str, granularity: Granularity, label: str) -> None:
    period = Period(D(start), D(end))
    assert (period.granularity, period.label) == (granularity, label)


@pytest.mark.parametrize(
    ("start", "end", "previous", "year_before"),
    [
        ("2026-07-01", "2026-09-30", ("2026-04-01", "2026-06-30"), ("2025-07-01", "2025-09-30")),
        ("2026-01-01", "2026-03-31", ("2025-10-01", "2025-12-31"), ("2025-01-01", "2025-03-31")),
        ("2026-03-01", "2026-03-31", ("2026-02-01", "2026-02-28"), ("2025-03-01", "2025-03-31")),
        ("2028-02-01", "2028-02-29", ("2028-01-01", "2028-01-31"), ("2027-02-01", "2027-02-28")),
        ("2026-01-01", "2026-06-30", ("2025-07-01", "2025-12-31"), ("2025-01-01", "2025-06-30")),
        ("2026-01-01", "2026-12-31", ("2025-01-01", "2025-12-31"), ("2025-01-01", "2025-12-31")),
        ("2026-02-01", "2026-04-30", ("2025-11-01", "2026-01-31"), ("2025-02-01", "2025-04-30")),
    ],
)
def test_adjacent_and_year_before(
    start: str, end: str, previous: tuple[str, str], year_before: tuple[str, str]
) -> None:
    period = Period(D(start), D(end))
    assert period.previous() == Period(D(previous[0]), D(previous[1]))
    assert period.year_before() == Period(D(year_before[0]), D(year_before[1]))
    assert period.previous() is not None and period.previous().next() == period  # type: ignore[union-attr]


def test_a_custom_period_has_no_comparison() -> None:
    period = Period(D("2026-07-01"), D("2026-08-31"))
    assert period.previous() is None and period.year_before() is None and period.next() is None


def test_the_ends_of_the_calendar_do_not_overflow() -> None:
    assert Period(D("0001-01-01"), D("0001-12-31")).previous() is None
    assert Period(D("0001-01-01"), D("0001-12-31")).year_before() is None
    assert Period(D("9999-12-01"), D("9999-12-31")).next() is None


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2027-Q1", "2027-01-01", "2027-03-31"),
        ("2027-q4", "2027-10-01", "2027-12-31"),
        ("2027-03", "2027-03-01", "2027-03-31"),
        ("2028-02", "2028-02-01", "2028-02-29"),
        ("2027-H1", "2027-01-01", "2027-06-30"),
        ("2027-H2", "2027-07-01", "2027-12-31"),
        ("2027", "2027-01-01", "2027-12-31"),
    ],
)
def test_labels_name_periods(label: str, start: str, end: str) -> None:
    period = parse_label(label)
    assert period == Period(D(start), D(end))
    assert period.label == label.upper()


@pytest.mark.parametrize("label", ["2027-13", "2027-Q5", "2027-H3", "Q1", "2027Q1", "27-Q1", ""])
def test_other_labels_are_refused(label: str) -> None:
    with pytest.raises(RetrogenError, match="not a period"):
        parse_label(label)
