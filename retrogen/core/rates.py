"""Achievement rates, whether a target was met, and how many comparable periods in a row a KPI missed it.

Free of pandas, so that `check` can judge misses without loading the analysis."""

from __future__ import annotations

import math
from collections.abc import Callable

from retrogen.core.periods import Period

# A metric in these units is a rate: it changes in percentage points (58% -> 65% is +7 pp), and the rates of
# several periods do not add up to the rate of all of them.
PERCENT_UNITS = frozenset({"%", "％", "pp", "百分比"})


def ratio(numerator: float | None, denominator: float | None) -> float:
    """numerator / denominator; NaN when either is missing, the denominator is zero, or the result is no
    finite float (an overflow, even of integers past float's range, or an infinite or NaN operand)."""
    if numerator is None or denominator is None or denominator == 0:
        return float("nan")
    try:
        result = numerator / denominator
    except OverflowError:
        return float("nan")
    return result if math.isfinite(result) else float("nan")


def achievement(target: float, actual: float, better: str = "higher") -> float:
    """actual / target where higher is better; target / actual where lower is better (15 vs 22 days: 0.682).
    NaN for a target of 0 or below, and where lower is better for an actual of 0 or below: there a quotient
    would not say whether the target was met (-5 against -10 is 50% and met), which `met` still judges."""
    if target <= 0 or (better != "higher" and actual <= 0):
        return float("nan")
    return ratio(actual, target) if better == "higher" else ratio(target, actual)


def met(target: float | None, actual: float | None, better: str = "higher") -> bool | None:
    """Whether `actual` met `target`: at or above it, at or below it when lower is better. The one definition
    for the tables, the reports, the closed loop's verdicts and the gate. It compares the figures, not the
    achievement rate, so that a target of 0 or a negative one (a loss to cut, a margin to lift) is judged too.
    None when either figure is missing or no finite number."""
    if target is None or actual is None or not (math.isfinite(target) and math.isfinite(actual)):
        return None
    return bool(actual <= target if better == "lower" else actual >= target)  # bool: not numpy.bool_


def is_additive(unit: str, better: str = "higher") -> bool:
    """Whether a KPI's figures of several periods add up to the figure of all of them (万元, 个: amounts and
    counts), so that a year's actual to date is their sum and a quarter's the sum of its months. Not for a
    rate, nor where lower is better: those are durations, averages and shares (平均跟进周期 in 天), whose
    periods do not add up."""
    return unit.strip() not in PERCENT_UNITS and better != "lower"


def missed_in_a_row(met_in: Callable[[Period], bool | None], period: Period | None) -> int | None:
    """How many comparable periods in a row, ending with `period`, a KPI missed its target: `met_in` tells
    whether it was met in a period (None when the team has no review of it or it was not judged there), and
    the periods walked back are the adjacent earlier ones of the same granularity (a month between two
    quarters does not break a quarterly streak). 0 when met in `period`; None when not judged there."""
    if period is None:
        return None
    current = met_in(period)
    if current is None:
        return None
    count = 0
    walked: Period | None = period
    while walked is not None and met_in(walked) is False:
        count += 1
        walked = walked.previous()
    return count
