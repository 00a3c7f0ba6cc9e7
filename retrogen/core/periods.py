"""Periods and which period a review is compared with (环比 and 同比).

A period's granularity comes from its dates alone: a span of whole calendar months of length 1, 3, 6 or 12
is a month, a quarter, a half-year or a year (a fiscal quarter from February to April is a quarter too);
anything else is custom. Comparisons are only made between periods of the same granularity: 环比 with the
one that ends the day before this one starts, 同比 with the one that starts exactly a year earlier. A
custom period has no 环比 and no 同比, since no rule says which period is "the same" for it.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from retrogen.core.errors import RetrogenError

# The years every date of a review lies in (the schema refuses others, and `--today` too). Dates outside them
# are typing slips (9999-12-31, 0202-10-01) and out of range for the engine's date arithmetic and for Excel.
FIRST_YEAR, LAST_YEAR = 1900, 2199


class Granularity(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half-year"
    YEAR = "year"
    CUSTOM = "custom"


_BY_MONTHS = {1: Granularity.MONTH, 3: Granularity.QUARTER, 6: Granularity.HALF_YEAR, 12: Granularity.YEAR}
_LABEL = re.compile(r"(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])|H(?P<half>[12])))?", re.IGNORECASE)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@functools.lru_cache(maxsize=4096)
def _whole_months(start: date, end: date) -> int | None:
    """Period.months, remembered: the checks and tables ask it of the same few periods hundreds of thousands
    of times in a large knowledge base."""
    if start.day != 1 or end != _month_end(end.year, end.month):
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _shift_year(day: date, years: int) -> date | None:
    """The same day `years` later; 29 February becomes 28 February. None outside the calendar."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        if day.month == 2 and day.day == 29:
            return day.replace(year=day.year + years, day=28)
        return None


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date

    @property
    def months(self) -> int | None:
        """How many whole calendar months the period spans, or None when it does not span whole months."""
        return _whole_months(self.start, self.end)

    @property
    def granularity(self) -> Granularity:
        return _BY_MONTHS.get(self.months or 0, Granularity.CUSTOM)

    @property
    def label(self) -> str:
        """2026-07, 2026-Q3, 2026-H2 or 2026 for calendar-aligned periods; start–end otherwise."""
        start, granularity = self.start, self.granularity
        if granularity is Granularity.MONTH:
            return f"{start.year}-{start.month:02d}"
        if granularity is Granularity.QUARTER and start.month % 3 == 1:
            return f"{start.year}-Q{start.month // 3 + 1}"
        if granularity is Granularity.HALF_YEAR and start.month in (1, 7):
            return f"{start.year}-H{1 if start.month == 1 else 2}"
        if granularity is Granularity.YEAR and start.month == 1:
            return str(start.year)
        return f"{start.isoformat()}–{self.end.isoformat()}"

    def previous(self) -> Period | None:
        """The adjacent earlier period of the same granularity (环比), or None for a custom period."""
        months = self.months
        if self.granularity is Granularity.CUSTOM or months is None or self.start.year <= 1:
            return None
        year, month = _add_months(self.start.year, self.start.month, -months)
        return Period(date(year, month, 1), self.start - timedelta(days=1))

    def year_before(self) -> Period | None:
        """The same period one year earlier (同比), or None for a custom period."""
        if self.granularity is Granularity.CUSTOM:
            return None
        start, end = _shift_year(self.start, -1), _shift_year(self.end, -1)
        if start is None or end is None:
            return None
        return Period(start, _month_end(end.year, end.month))

    def next(self) -> Period | None:
        """The adjacent later period of the same granularity, or None for a custom period."""
        months = self.months
        if self.granularity is Granularity.CUSTOM or months is None or self.end.year >= 9999:
            return None
        year, month = _add_months(self.start.year, self.start.month, months)
        end_year, end_month = _add_months(year, month, months - 1)
        return Period(date(year, month, 1), _month_end(end_year, end_month))


def parse_label(label: str) -> Period:
    """2027-Q1, 2027-03, 2027-H1 or 2027 as a period; raises RetrogenError for anything else."""
    match = _LABEL.fullmatch(label.strip())
    if not match:
        raise RetrogenError(f"{label!r} is not a period: write 2027-Q1, 2027-03, 2027-H1 or 2027")
    year = int(match["year"])
    if not 1 <= year <= 9998:  # the calendar has no year 0, and a period needs a year after it for 同比's sake
        raise RetrogenError(f"{label!r} is not a period: the year must be from 0001 to 9998")
    if match["month"]:
        month, months = int(match["month"]), 1
        if not 1 <= month <= 12:
            raise RetrogenError(f"{label!r} is not a period: there is no month {month}")
    elif match["quarter"]:
        month, months = (int(match["quarter"]) - 1) * 3 + 1, 3
    elif match["half"]:
        month, months = (1 if match["half"] == "1" else 7), 6
    else:
        month, months = 1, 12
    end_year, end_month = _add_months(year, month, months - 1)
    return Period(date(year, month, 1), _month_end(end_year, end_month))


def months_of(period: Period) -> list[Period]:
    """The calendar months a period of whole months spans, in order; none for a custom period."""
    count = period.months or 0
    months = []
    for offset in range(count):
        year, month = _add_months(period.start.year, period.start.month, offset)
        months.append(Period(date(year, month, 1), _month_end(year, month)))
    return months


def quarters_of(period: Period) -> list[Period]:
    """The quarters (three whole months each, from its start) a half-year or a year spans, in order; none
    for a period that is not a whole number of quarters."""
    months = months_of(period)
    if not months or len(months) % 3:
        return []
    return [Period(months[i].start, months[i + 2].end) for i in range(0, len(months), 3)]


def tiling(periods: Iterable[Period], within: Period) -> list[Period]:
    """The periods, lying within `within`, that add up to it without counting a month twice: from its start
    on, at each step the earliest period that begins after what is already covered, the longest of those
    that begin together (the quarter, not its first month). A period that overlaps one taken is left out;
    a gap (a quarter nobody reviewed) is skipped over. In date order."""
    inside = sorted(
        (p for p in set(periods) if within.start <= p.start and p.end <= within.end),
        key=lambda p: (p.start, -p.end.toordinal()),
    )
    taken: list[Period] = []
    for period in inside:
        if not taken or period.start > taken[-1].end:
            taken.append(period)
    return taken
