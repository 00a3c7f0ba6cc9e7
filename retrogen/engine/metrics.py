"""Metric tables as the README's "Metrics" section defines them. Missing values and division by zero give
empty cells (NaN), never errors or infinities."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from retrogen.core.periods import Period
from retrogen.core.rates import PERCENT_UNITS as PERCENT_UNITS  # re-exported: any other unit changes relatively
from retrogen.core.rates import achievement as achievement  # re-exported: rates is free of pandas, for `check`
from retrogen.core.rates import met
from retrogen.core.rates import ratio as ratio
from retrogen.engine.model import Metric, Review
from retrogen.gate.loop_checks import previous_agrees
from retrogen.gate.loop_rules import periodic_reviews
from retrogen.gate.settings import DEFAULTS
from retrogen.gate.vocabulary import LESSON_TYPES

METRIC_COLUMNS = [
    "review",
    "team",
    "period",
    "granularity",
    "period_start",
    "period_end",
    "held_on",
    "category",
    "metric",
    "unit",
    "target",
    "actual",
    "better",
    "achievement",
    "met",
    "previous",
    "previous_from",
    "change",
    "change_unit",
    "change_good",
    "yoy_previous",
    "yoy_from",
    "yoy_change",
    "missed_in_a_row",
]
STATED = "stated"  # previous_from of a `previous` the review states and no earlier review reported
# How many periods of one cadence a scoreboard's trend shows, the latest last.
TREND_PERIODS = 6


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


def rag(
    achievement_rate: float | None, green: float = DEFAULTS.rag_thresholds[0], amber: float = DEFAULTS.rag_thresholds[1]
) -> Rag | None:
    """红/黄/绿 of an achievement rate (which already reads `better: lower` the right way round); None when it
    cannot be computed (a zero target)."""
    if achievement_rate is None or pd.isna(achievement_rate):
        return None
    if achievement_rate >= green:
        return Rag.GREEN
    return Rag.AMBER if achievement_rate >= amber else Rag.RED


def change(actual: float, previous: float | None, unit: str = "") -> float:
    """The signed change against the previous value: in percentage points for a metric in % (58 -> 65: 7.0),
    else relative, (actual - previous) / previous (61 -> 65: 0.0656)."""
    if previous is None:
        return float("nan")
    if unit in PERCENT_UNITS:
        difference = actual - previous
        return difference if math.isfinite(difference) else float("nan")
    return ratio(actual - previous, abs(previous))  # abs: from -10 to -5 is an increase (+50%), not -50%


def change_good(change_value: float, better: str) -> bool | None:
    """Whether a change is an improvement, judged with `better`; None when there is no change to judge."""
    if change_value != change_value or change_value == 0:  # NaN, or no change at all
        return None
    return change_value > 0 if better != "lower" else change_value < 0


def metrics_table(reviews: Iterable[Review]) -> pd.DataFrame:
    """One row per metric per review, with achievement and its changes: 环比 against the same team's
    periodic review of the adjacent earlier period of the same granularity (or the `previous` the review
    states, which wins), 同比 against the same period a year earlier. Never across granularities, never
    with an older period that is not adjacent: without one, the cells stay empty.

    The rows are gathered in one pass, and their figures computed a column at a time, element by element as
    core.rates, `change` and `change_good` compute one (a table of 50,000 rows took a second cell by cell)."""
    ordered = sorted(reviews, key=lambda r: (r.sort_date, r.held_on, r.id))
    periodic = periodic_reviews(ordered)
    metrics = _FirstMetrics()
    streaks = _Streaks(periodic, metrics)
    rows: list[tuple[Any, ...]] = []
    # Reviews share a few periods: each period's comparisons worked out once (10,000 reviews made 30,000 periods).
    comparisons: dict[tuple[date, date], tuple[Period, str, Period | None, Period | None]] = {}
    for review in ordered:
        start, end = review.period_start, review.period_end
        period = granularity = previous_period = year_earlier_period = None
        if start is not None and end is not None:
            found_periods = comparisons.get((start, end))
            if found_periods is None:
                made = Period(start, end)
                found_periods = comparisons[(start, end)] = (
                    made,
                    made.granularity.value,
                    made.previous(),
                    made.year_before(),
                )
            period, granularity, previous_period, year_earlier_period = found_periods
        adjacent = _reported(periodic, review.team, previous_period)
        year_before = _reported(periodic, review.team, year_earlier_period)
        earlier, year_earlier = metrics.of(adjacent), metrics.of(year_before)
        counted = review.kind == "periodic" and period is not None
        # The review that speaks for its period: the streaks of its KPIs are those the next period's continue.
        speaks = metrics.of(review) if counted and _reported(periodic, review.team, period) is review else None
        own = (
            review.id,
            review.team,
            review.period,
            granularity,
            period.start if period else None,
            period.end if period else None,
            review.held_on,
        )
        # 50,000 rows at 10,000 reviews: each cell is written out rather than unpacked from tuples made for it.
        for metric in review.metrics:
            key = (metric.name, metric.unit)
            found = earlier.get(key)
            previous, source = (found.actual, adjacent.id) if found is not None and adjacent else (None, None)
            # A stated previous wins; when it is the earlier review's actual (as `new` pre-fills it) it is
            # labelled with that review, since that is where it comes from.
            stated = metric.previous
            if stated is not None and not (previous is not None and previous_agrees(stated, previous)):
                previous, source = stated, STATED
            found = year_earlier.get(key)
            yoy, yoy_from = (found.actual, year_before.id) if found is not None and year_before else (None, None)
            streak = None
            if counted:
                streak = streaks.ending_with(met(metric.target, metric.actual, metric.better), adjacent, key)
                if speaks is not None and speaks.get(key) is metric:
                    streaks.remember(review, key, streak or 0)
            rows.append(
                (
                    *own,
                    metric.category,
                    metric.name,
                    metric.unit,
                    metric.target,
                    metric.actual,
                    metric.better,
                    previous,
                    source,
                    yoy,
                    yoy_from,
                    streak,
                )
            )
    if not rows:
        return pd.DataFrame([], columns=METRIC_COLUMNS).astype(_EMPTY_TYPES)
    return _with_figures(dict(zip(_GATHERED, map(list, zip(*rows, strict=True)), strict=True)))


# The types of a table without rows; one with rows has them from the figures it is made of.
_EMPTY_TYPES: dict[str, Any] = {
    "target": float,
    "actual": float,
    "achievement": float,
    "previous": float,
    "change": float,
    "met": "boolean",
    "change_good": "boolean",
    "yoy_previous": float,
    "yoy_change": float,
    "missed_in_a_row": "Int64",
}


# What _with_figures computes over whole columns; metrics_table gathers the others row by row, in the table's order.
_COMPUTED = ("achievement", "met", "change", "change_unit", "change_good", "yoy_change")
_GATHERED = tuple(column for column in METRIC_COLUMNS if column not in _COMPUTED)


def _with_figures(columns: dict[str, list[Any]]) -> pd.DataFrame:
    """The metrics table of the gathered `columns`, with achievement, met and the changes computed over whole
    columns."""
    target = np.array(columns["target"], dtype=float)
    actual = np.array(columns["actual"], dtype=float)
    better = np.array(columns["better"], dtype=object)
    higher, lower = better == "higher", better == "lower"
    percent = np.isin(np.array(columns["unit"], dtype=object), list(PERCENT_UNITS))
    previous_given = np.array([v is not None for v in columns["previous"]], dtype=bool)
    yoy_given = np.array([v is not None for v in columns["yoy_previous"]], dtype=bool)
    previous = np.array([np.nan if v is None else v for v in columns["previous"]], dtype=float)
    yoy_previous = np.array([np.nan if v is None else v for v in columns["yoy_previous"]], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rate = _finite(np.where(higher, actual / target, target / actual))  # achievement
        rate[(target <= 0) | (~higher & (actual <= 0))] = np.nan
        moved = _changes(actual, previous, previous_given, percent)
        yoy_moved = _changes(actual, yoy_previous, yoy_given, percent)
    judged = np.isfinite(target) & np.isfinite(actual)  # met
    return pd.DataFrame(
        {
            **{name: columns[name] for name in _GATHERED},
            "target": target,
            "actual": actual,
            "achievement": rate,
            "met": pd.arrays.BooleanArray(np.where(lower, actual <= target, actual >= target), ~judged),
            "previous": previous,
            "change": moved,
            "change_unit": [
                None if not (given or yoy) else "pp" if in_percent else "ratio"
                for given, yoy, in_percent in zip(previous_given, yoy_given, percent, strict=True)
            ],
            "change_good": pd.arrays.BooleanArray(
                np.where(lower, moved < 0, moved > 0), np.isnan(moved) | (moved == 0)
            ),
            "yoy_previous": yoy_previous,
            "yoy_change": yoy_moved,
            "missed_in_a_row": pd.array(columns["missed_in_a_row"], dtype="Int64"),
        },
        columns=METRIC_COLUMNS,
    )


def _finite(values: np.ndarray) -> np.ndarray:
    """NaN where a figure is no finite number, as `ratio` has it."""
    finite: np.ndarray = np.where(np.isfinite(values), values, np.nan)
    return finite


def _changes(actual: np.ndarray, previous: np.ndarray, given: np.ndarray, percent: np.ndarray) -> np.ndarray:
    """`change` of each row: in points for a unit in %, else relative to the previous value's size; NaN where
    no previous value is given."""
    difference = actual - previous
    relative = np.where(np.abs(previous) == 0, np.nan, difference / np.abs(previous))
    changes: np.ndarray = np.where(given, _finite(np.where(percent, difference, relative)), np.nan)
    return changes


class _FirstMetrics:
    """Each review's metrics by (name, unit), the first of a name and unit as a reader finds it: looked up,
    not searched for, by every later review that compares with it."""

    def __init__(self) -> None:
        self._of: dict[int, dict[tuple[str, str], Metric]] = {}  # by the review object's id()

    def of(self, review: Review | None) -> dict[tuple[str, str], Metric]:
        if review is None:
            return {}
        found = self._of.get(id(review))
        if found is None:
            found = self._of[id(review)] = {}
            for metric in review.metrics:
                found.setdefault((metric.name, metric.unit), metric)
        return found


class _Streaks:
    """How many comparable periods in a row a team's KPI missed its target (core.rates.missed_in_a_row), the
    count of each periodic review worked out once and reused by the review of the period after it."""

    def __init__(self, periodic: dict[tuple[str, Period], Review], metrics: _FirstMetrics) -> None:
        self._periodic, self._metrics = periodic, metrics
        # (the review object's id(), KPI) -> the periods in a row it was missed, ending with that review's
        self._missed: dict[tuple[int, tuple[str, str]], int] = {}

    def ending_with(self, own: bool | None, adjacent: Review | None, key: tuple[str, str]) -> int | None:
        """The streak of a KPI that met its target or not (`own`; None: not judged) in a period whose adjacent
        earlier one the team reviewed in `adjacent`."""
        if own is None:
            return None
        return 0 if own else 1 + (self._missed_in(adjacent, key) if adjacent is not None else 0)

    def remember(self, review: Review, key: tuple[str, str], missed: int) -> None:
        """The streak of a KPI in the periodic review that speaks for its period, as ending_with found it (0
        when it was met or not judged): the review of the next period continues it without walking back."""
        self._missed[(id(review), key)] = missed

    def _missed_in(self, review: Review, key: tuple[str, str]) -> int:
        """The periods in a row, ending with `review`'s, in which the KPI was reported and missed."""
        walked: list[Review] = []
        known = 0
        current: Review | None = review
        while current is not None:
            if (id(current), key) in self._missed:
                known = self._missed[(id(current), key)]
                break
            metric = self._metrics.of(current).get(key)
            if metric is None or met(metric.target, metric.actual, metric.better) is not False:
                break
            walked.append(current)
            period = current.period_of
            earlier = period.previous() if period else None
            current = self._periodic.get((current.team, earlier)) if earlier is not None else None
        for missed in reversed(walked):
            known += 1
            self._missed[(id(missed), key)] = known
        return known


def _reported(periodic: dict[tuple[str, Period], Review], team: str, period: Period | None) -> Review | None:
    return periodic.get((team, period)) if period is not None else None


def _value(review: Review | None, metrics: _FirstMetrics, key: tuple[str, str]) -> tuple[float | None, str | None]:
    """The same metric (name and unit) in `review`: its actual and the review's id."""
    if review is None:
        return None, None
    found = metrics.of(review).get(key)
    return (found.actual, review.id) if found is not None else (None, None)


REPEATED_MISS_COLUMNS = ["team", "review", "period", "granularity", "metric", "unit", "missed_in_a_row"]


def repeated_misses(table: pd.DataFrame, least: int = DEFAULTS.repeated_miss_periods) -> pd.DataFrame:
    """The KPIs each team missed in `least` or more comparable periods in a row, as of its latest periodic
    review of each cadence (a month after the quarter does not hide the quarterly streak), in table order."""
    periodic = table.dropna(subset=["missed_in_a_row", "period_start"])
    if periodic.empty:
        return pd.DataFrame(columns=REPEATED_MISS_COLUMNS)
    ordered = periodic.sort_values(["period_end", "period_start", "held_on"], kind="stable")
    latest = set(ordered.groupby(["team", "granularity"], sort=False)["review"].last())
    found = periodic[periodic["review"].isin(latest) & (periodic["missed_in_a_row"] >= least)]
    return found[REPEATED_MISS_COLUMNS].reset_index(drop=True)


SCOREBOARD_COLUMNS = [
    "team",
    "review",
    "period",
    "granularity",
    "metric",
    "unit",
    "better",
    "target",
    "actual",
    "achievement",
    "met",
    "rag",
    "previous",
    "change",
    "change_unit",
    "change_good",
    "trend",
    "missed_in_a_row",
    "missed_repeatedly",
]


def scoreboard(
    reviews: Iterable[Review],
    table: pd.DataFrame,
    green: float = DEFAULTS.rag_thresholds[0],
    amber: float = DEFAULTS.rag_thresholds[1],
    periods: int = TREND_PERIODS,
    repeated: int = DEFAULTS.repeated_miss_periods,
) -> pd.DataFrame:
    """Each team's KPIs in its latest periodic review (the latest period; of two reviews of one period the
    one held later, as in 环比), one row per KPI in the review's order: `table`'s figures (achievement, met,
    环比) with their 红/黄/绿, and `trend`, the metric's (period label, actual) over the team's last `periods`
    periodic reviews of the same cadence, oldest first (None where a review did not report it), and
    `missed_repeatedly` when it missed its target in `repeated` or more comparable periods in a row.
    Teams without a periodic review have no rows."""
    periodic = periodic_reviews(reviews)
    latest: dict[str, tuple[Period, Review]] = {}
    for (team, period), review in periodic.items():
        if team not in latest or (period.end, period.start) > (latest[team][0].end, latest[team][0].start):
            latest[team] = (period, review)
    rows = []
    # The rows of the latest reviews alone, grouped: splitting the whole table by review took 0.3 s of every
    # save under `serve` at 1,000 reviews, for the two dozen parts it reads.
    shown = table[table["review"].isin([review.id for _, review in latest.values()])] if not table.empty else table
    by_review = {str(k): part for k, part in shown.groupby("review", sort=False)} if not shown.empty else {}
    metrics = _FirstMetrics()
    for team in sorted(latest):
        period, review = latest[team]
        cadence = sorted(
            (p for (t, p) in periodic if t == team and p.granularity == period.granularity and p.end <= period.end),
            key=lambda p: (p.end, p.start),
        )[-periods:]
        part = by_review.get(review.id)
        for row in [] if part is None else part.to_dict("records"):
            metric = next(m for m in review.metrics if m.name == row["metric"] and m.unit == row["unit"])
            trend = [(p.label, _value(periodic[(team, p)], metrics, (metric.name, metric.unit))[0]) for p in cadence]
            streak = row["missed_in_a_row"]
            rows.append(
                {
                    **{c: row[c] for c in SCOREBOARD_COLUMNS if c in row},
                    "rag": rag(row["achievement"], green, amber),
                    "trend": trend,
                    "missed_repeatedly": not pd.isna(streak) and streak >= repeated,
                }
            )
    return pd.DataFrame(rows, columns=SCOREBOARD_COLUMNS)


def review_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Per review with metrics: how many it reports, how many met their target (`met`), and its worst miss
    (the missed metric of lowest achievement; empty when none was missed), the review's own order kept."""
    columns = ["review", "metrics", "met", "worst_metric", "worst_achievement"]
    if table.empty:
        return pd.DataFrame([], columns=columns)
    # Whole columns at once: a loop over a thousand reviews' groups took seconds of a build.
    by_review = table.groupby("review", sort=False)
    scores = pd.DataFrame(
        {"metrics": by_review.size(), "met": table["met"].eq(True).groupby(table["review"], sort=False).sum()}
    )
    missed = table[table["met"].eq(False).fillna(False)]
    # A stable sort keeps each review's rows in their order among equal achievements: its first is its worst.
    worst = missed.sort_values("achievement", kind="stable").drop_duplicates("review").set_index("review")
    worst_metric, worst_achievement = worst["metric"].to_dict(), worst["achievement"].astype(float).to_dict()
    rows = [
        {
            "review": str(review),
            "metrics": int(score.metrics),
            "met": int(score.met),
            "worst_metric": worst_metric.get(review),
            "worst_achievement": worst_achievement.get(review),
        }
        for review, score in scores.iterrows()
    ]
    return pd.DataFrame(rows, columns=columns)


NO_PERIOD = "(no period)"


def metrics_summary(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per team or per period: how many metrics, how many met, and the mean and median achievement.

    Periods come in date order (2026-10 before 2026-Q4 before 2027-H1), reviews without one last, as such."""
    if table.empty:
        return pd.DataFrame(columns=[by, "metrics", "met", "met_rate", "mean_achievement", "median_achievement"])
    if by == "period":
        table = table.assign(period=table["period"].where(table["period"] != "", NO_PERIOD))
        dated = table.dropna(subset=["period_start"]).sort_values(["period_start", "period_end"])
        order = [*dict.fromkeys(dated["period"]), *sorted(set(table["period"]) - set(dated["period"]))]
        table = table.assign(period=pd.Categorical(table["period"], categories=order, ordered=True))
    grouped = table.groupby(by, sort=True, observed=True)
    # Finite achievements near float's limit can still add up to infinity: a rate that cannot be computed.
    with np.errstate(over="ignore"):
        summary = pd.DataFrame(
            {
                "metrics": grouped.size(),
                "met": grouped["met"].sum().astype(int),
                "mean_achievement": grouped["achievement"].mean(),
                "median_achievement": grouped["achievement"].median(),
            }
        )
    averages = ["mean_achievement", "median_achievement"]
    summary[averages] = summary[averages].where(np.isfinite(summary[averages]))
    summary.insert(2, "met_rate", [ratio(m, n) for m, n in zip(summary["met"], grouped["met"].count(), strict=True)])
    summary = summary.reset_index()
    return summary.assign(**{by: summary[by].astype(str)})


def achievement_trends(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per team, the achievement of each metric over the team's periodic reviews: one row per metric, one
    column per period in date order (a period's latest review speaks for it)."""
    periodic = table.dropna(subset=["period_start"]).sort_values(["period_start", "period_end", "held_on"])
    trends = {}
    for team, part in periodic.groupby("team", sort=True):
        periods = list(dict.fromkeys(part["period"]))
        trends[str(team)] = part.pivot_table(
            index="metric", columns="period", values="achievement", aggfunc="last", sort=False
        ).reindex(columns=periods)
    return trends


def funnel_table(reviews: Iterable[Review]) -> pd.DataFrame:
    """One row per funnel stage: conversion from the stage before, and cumulative from the first stage;
    target_rate (the stated target conversion, as a fraction like conversion) and whether it was met."""
    rows = []
    for review in reviews:
        first = review.funnel[0].count if review.funnel else None
        before: int | None = None
        for order, stage in enumerate(review.funnel, start=1):
            conversion = ratio(stage.count, before)
            target = None if stage.target_rate is None else stage.target_rate / 100
            rows.append(
                {
                    "review": review.id,
                    "team": review.team,
                    "period": review.period,
                    "order": order,
                    "stage": stage.stage,
                    "count": stage.count,
                    "conversion": conversion,
                    "cumulative": ratio(stage.count, first),
                    "target_rate": target,
                    "target_met": met(target, conversion),
                }
            )
            before = stage.count
    columns = [
        "review",
        "team",
        "period",
        "order",
        "stage",
        "count",
        "conversion",
        "cumulative",
        "target_rate",
        "target_met",
    ]
    return pd.DataFrame(rows, columns=columns).astype(
        {"conversion": float, "cumulative": float, "target_rate": float, "target_met": "boolean"}
    )


def funnel_overall(funnel: pd.DataFrame) -> pd.DataFrame:
    """Per review: first and last stage counts and the overall conversion (last / first)."""
    columns = ["review", "team", "period", "first", "last", "overall"]
    if funnel.empty:
        return pd.DataFrame(columns=columns)
    ends = (
        funnel.sort_values("order")
        .groupby("review", sort=False)
        .agg(team=("team", "first"), period=("period", "first"), first=("count", "first"), last=("count", "last"))
    )
    ends["overall"] = [ratio(last, first) for first, last in zip(ends["first"], ends["last"], strict=True)]
    return ends.reset_index()[columns]


def problems_table(reviews: Iterable[Review]) -> pd.DataFrame:
    rows = [
        {
            "review": r.id,
            "team": r.team,
            "period": r.period,
            "held_on": r.held_on,
            "problem_id": p.id,
            "problem": p.problem,
            "root_cause": p.root_cause,
            "factor": p.factor,
            "whys": len(p.whys),
            "has_evidence": bool(p.evidence),
        }
        for r in reviews
        for p in r.problems
    ]
    columns = [
        "review",
        "team",
        "period",
        "held_on",
        "problem_id",
        "problem",
        "root_cause",
        "factor",
        "whys",
        "has_evidence",
    ]
    return pd.DataFrame(rows, columns=columns)


def causes_pareto(problems: pd.DataFrame) -> pd.DataFrame:
    """Root causes by fishbone factor, most frequent first, with share and cumulative share (the 80/20 view)."""
    columns = ["factor", "problems", "reviews", "teams", "share", "cumulative_share"]
    if problems.empty:
        return pd.DataFrame(columns=columns)
    grouped = problems.groupby("factor")
    pareto = pd.DataFrame(
        {"problems": grouped.size(), "reviews": grouped["review"].nunique(), "teams": grouped["team"].nunique()}
    )
    pareto = pareto.reset_index().sort_values(["problems", "factor"], ascending=[False, True], ignore_index=True)
    pareto["share"] = pareto["problems"] / pareto["problems"].sum()
    pareto["cumulative_share"] = pareto["share"].cumsum()
    return pareto[columns]


def lessons_table(reviews: Iterable[Review]) -> pd.DataFrame:
    rows = [
        {
            "review": r.id,
            "title": r.title,
            "team": r.team,
            "period": r.period,
            "held_on": r.held_on,
            "lesson_id": lesson.id,
            "type": lesson.type,
            "lesson": lesson.lesson,
            "applies_to": lesson.applies_to,
            "tags": list(lesson.tags),
            "problem": lesson.problem,
        }
        for r in reviews
        for lesson in r.lessons
    ]
    columns = [
        "review",
        "title",
        "team",
        "period",
        "held_on",
        "lesson_id",
        "type",
        "lesson",
        "applies_to",
        "tags",
        "problem",
    ]
    return pd.DataFrame(rows, columns=columns)


def lessons_by_tag(lessons: pd.DataFrame) -> pd.DataFrame:
    """Lessons counted by tag and type (an untagged lesson counts under the empty tag)."""
    columns = ["tag", *LESSON_TYPES, "lessons"]
    if lessons.empty:
        return pd.DataFrame(columns=columns)
    exploded = lessons.assign(tag=lessons["tags"].map(lambda tags: tags or [""])).explode("tag")
    counts = pd.crosstab(exploded["tag"], exploded["type"]).reindex(columns=list(LESSON_TYPES), fill_value=0)
    counts["lessons"] = counts.sum(axis=1)
    counts.columns.name = None
    return counts.reset_index().sort_values(["lessons", "tag"], ascending=[False, True], ignore_index=True)[columns]


_TAGS = attrgetter("tags")
_FACTOR = attrgetter("factor")


def occasion(review: Review) -> object:
    """The occasion a review speaks of: its period (as its start and end, which hash quicker than a Period
    made for the asking), else the day it was held."""
    start, end = review.period_start, review.period_end
    return review.held_on if start is None or end is None else (start, end)


def occasions(reviews: Iterable[Review]) -> set[object]:
    """The distinct periods reviews speak of; a review without a period counts by the day it was held."""
    return set(map(occasion, reviews))


def is_recurring(reviews: Iterable[Review]) -> bool:
    """A theme seen in reviews of two or more teams, or of two or more periods, is recurring."""
    seen = list(reviews)
    return recurs(len({r.team for r in seen}), len(occasions(seen)))


def recurs(teams: int, periods: int) -> bool:
    """Whether a theme seen in so many teams and periods recurs: two or more of either."""
    return teams >= 2 or periods >= 2


def recurring_themes(reviews: Iterable[Review]) -> pd.DataFrame:
    """Tags (of reviews and lessons) and root-cause factors, with the reviews, teams and periods they appear
    in, and whether they recur (`is_recurring`)."""
    # Each review's team, occasion and day found once, not once per theme it has, and each theme's reviews
    # kept as their places in those lists: a few dozen themes over tens of thousands of (theme, review) pairs.
    teams: list[str] = []
    numbers: dict[object, int] = {}  # the occasions, numbered
    occasion_of: list[int] = []
    held: list[date] = []
    seen: dict[str, dict[str, list[int]]] = {"tag": {}, "factor": {}}
    by_tag, by_factor = seen["tag"], seen["factor"]
    for review in reviews:
        tags = set(review.tags).union(*map(_TAGS, review.lessons))
        factors = set(map(_FACTOR, review.problems))
        if not tags and not factors:
            continue
        place = len(teams)
        teams.append(review.team)
        occasion_of.append(numbers.setdefault(occasion(review), len(numbers)))
        held.append(review.held_on)
        for tag in tags:
            by_tag.setdefault(tag, []).append(place)
        for factor in factors:
            by_factor.setdefault(factor, []).append(place)
    rows = []
    for kind, themes in seen.items():
        for theme, places in themes.items():
            team_count = len(set(map(teams.__getitem__, places)))
            periods = len(set(map(occasion_of.__getitem__, places)))
            last_seen = max(map(held.__getitem__, places))
            rows.append((kind, theme, len(places), team_count, periods, last_seen, recurs(team_count, periods)))
    columns = ["kind", "theme", "reviews", "teams", "periods", "last_seen", "recurring"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(
        ["recurring", "reviews", "kind", "theme"], ascending=[False, False, True, True], ignore_index=True
    )
