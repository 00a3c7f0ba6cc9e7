from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrogen.core.periods import parse_label
from retrogen.engine.metrics import (
    achievement,
    causes_pareto,
    change,
    funnel_overall,
    funnel_table,
    is_recurring,
    metrics_summary,
    metrics_table,
    problems_table,
    ratio,
    recurring_themes,
)
from retrogen.engine.model import FunnelStage, Lesson, Metric, Problem, Review


def review(
    review_id: str,
    team: str = "T",
    held_on: date = date(2026, 4, 10),
    kind: str = "periodic",
    period: str | None = None,
    **fields: object,
) -> Review:
    """A review; `period` as a label (2026-Q3) also sets the period's dates."""
    dates = parse_label(period) if period else None
    return Review(
        id=review_id,
        title=review_id,
        kind=kind,
        team=team,
        held_on=held_on,
        objective="o",
        path=Path(f"{review_id}.yaml"),
        period_label=period,
        period_start=dates.start if dates else None,
        period_end=dates.end if dates else held_on,
        **fields,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "actual", "better", "expected"),
    [
        (500, 380, "higher", 0.76),
        (20, 12, "higher", 0.6),
        (60, 65, "higher", 65 / 60),
        (15, 22, "lower", 15 / 22),
        (15, 10, "lower", 1.5),
        (0, 5, "higher", math.nan),
        (10, 0, "lower", math.nan),
        (10, 0, "higher", 0.0),
        (0, 0, "lower", math.nan),
    ],
)
def test_achievement(target: float, actual: float, better: str, expected: float) -> None:
    result = achievement(target, actual, better)
    assert (math.isnan(result) and math.isnan(expected)) or result == pytest.approx(expected)


def test_fifteen_day_target_met_in_twenty_two_days_is_68_percent() -> None:
    assert round(achievement(15, 22, "lower"), 3) == 0.682


def test_change_edge_cases() -> None:
    assert change(380, 420) == pytest.approx(-40 / 420)
    assert math.isnan(change(5, None))
    assert math.isnan(change(5, 0))
    assert change(0, 5) == -1.0


@given(st.floats(min_value=-1e9, max_value=1e9), st.floats(min_value=-1e9, max_value=1e9))
def test_ratio_is_never_infinite(numerator: float, denominator: float) -> None:
    result = ratio(numerator, denominator)
    assert not math.isinf(result)
    if denominator == 0:
        assert math.isnan(result)


@given(st.floats(min_value=0.001, max_value=1e6), st.floats(min_value=0.001, max_value=1e6))
def test_higher_and_lower_are_reciprocal(target: float, actual: float) -> None:
    higher, lower = achievement(target, actual, "higher"), achievement(target, actual, "lower")
    assert higher * lower == pytest.approx(1.0)
    assert (higher >= 1) == (actual >= target)
    assert (lower >= 1) == (actual <= target)


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=6))
def test_funnel_cumulative_is_the_product_of_conversions(counts: list[int]) -> None:
    stages = tuple(FunnelStage(f"s{i}", c) for i, c in enumerate(counts))
    table = funnel_table([review("r", funnel=stages)])
    product = 1.0
    for conversion, cumulative in zip(table["conversion"][1:], table["cumulative"][1:], strict=True):
        if math.isnan(conversion):  # a stage of 0 (or a first stage of 0): nothing to divide by
            assert 0 in counts
            break
        product *= conversion
        assert cumulative == pytest.approx(product)


def metric(name: str, actual: float, previous: float | None = None, unit: str = "u") -> Metric:
    return Metric(category="c", name=name, unit=unit, target=10, actual=actual, previous=previous)


def test_change_is_against_the_same_teams_adjacent_period() -> None:
    reviews = [
        review("q1", held_on=date(2026, 4, 1), period="2026-Q1", metrics=(metric("sales", 8), metric("other", 3))),
        review("q2", held_on=date(2026, 7, 1), period="2026-Q2", metrics=(metric("sales", 9),)),
        review("deal", held_on=date(2026, 8, 1), kind="project", metrics=(metric("sales", 1),)),
        review("q2-other-team", team="U", held_on=date(2026, 7, 2), period="2026-Q2", metrics=(metric("sales", 50),)),
        review(
            "q3",
            held_on=date(2026, 10, 1),
            period="2026-Q3",
            metrics=(metric("sales", 12), metric("sales", 4, unit="%"), metric("other", 6, previous=2)),
        ),
    ]
    table = metrics_table(reviews).set_index(["review", "metric", "unit"])
    assert table.loc[("q3", "sales", "u"), "previous"] == 9  # q2, not the project review nor team U
    assert table.loc[("q3", "sales", "u"), "previous_from"] == "q2"
    assert math.isnan(table.loc[("q3", "sales", "%"), "previous"])  # another unit is another metric
    assert table.loc[("q3", "other", "u"), "previous"] == 2  # `previous` wins over history
    assert table.loc[("q3", "other", "u"), "previous_from"] == "stated"
    assert table.loc[("q3", "other", "u"), "change"] == 2.0
    assert math.isnan(table.loc[("q1", "sales", "u"), "change"])


def test_a_stated_previous_that_is_the_earlier_actual_is_labelled_with_its_review() -> None:
    reviews = [
        review("q2", held_on=date(2026, 7, 1), period="2026-Q2", metrics=(metric("sales", 9), metric("other", 200))),
        review(
            "q3",
            held_on=date(2026, 10, 1),
            period="2026-Q3",
            metrics=(metric("sales", 12, previous=9), metric("other", 6, previous=200.4)),
        ),
    ]
    table = metrics_table(reviews).set_index(["review", "metric"])
    # what `new` pre-fills, and the same number rounded: where it comes from, not "stated"
    assert (table.loc[("q3", "sales"), "previous"], table.loc[("q3", "sales"), "previous_from"]) == (9, "q2")
    assert (table.loc[("q3", "other"), "previous"], table.loc[("q3", "other"), "previous_from"]) == (200, "q2")


def test_empty_knowledge_base_gives_empty_tables() -> None:
    assert metrics_table([]).empty
    assert metrics_summary(metrics_table([]), "team").empty
    assert funnel_overall(funnel_table([])).empty
    assert causes_pareto(problems_table([])).empty
    assert recurring_themes([]).empty


def test_single_review_summary() -> None:
    table = metrics_table([review("r", metrics=(metric("a", 10), metric("b", 5)))])
    summary = metrics_summary(table, "team")
    assert summary.to_dict("records") == [
        {"team": "T", "metrics": 2, "met": 1, "met_rate": 0.5, "mean_achievement": 0.75, "median_achievement": 0.75}
    ]


def test_pareto_is_sorted_with_cumulative_share() -> None:
    problems = tuple(
        Problem(id=f"P{i}", problem="p", root_cause="c", factor=f)
        for i, f in enumerate(["process", "people", "process", "resources", "process"], start=1)
    )
    pareto = causes_pareto(problems_table([review("r", problems=problems)]))
    assert list(pareto["factor"]) == ["process", "people", "resources"]
    assert list(pareto["cumulative_share"]) == pytest.approx([0.6, 0.8, 1.0])


def test_theme_recurs_across_teams_or_periods() -> None:
    reviews = [
        review("a", team="T", period="2026-Q1", tags=("pricing", "solo")),
        review("b", team="U", period="2026-Q1", tags=("pricing",)),
    ]
    themes = recurring_themes(reviews).set_index("theme")
    assert bool(themes.loc["pricing", "recurring"]) is True
    assert bool(themes.loc["solo", "recurring"]) is False
    assert isinstance(themes, pd.DataFrame)


_THEME_REVIEWS = st.lists(
    st.tuples(
        st.sampled_from(["T", "U", "V"]),
        st.sampled_from([None, "2026-Q1", "2026-Q2", "2026-04"]),
        st.integers(min_value=0, max_value=3),  # the day held, a week apart
        st.lists(st.sampled_from(["pricing", "churn", "demo"]), max_size=2),  # the review's tags
        st.lists(st.lists(st.sampled_from(["pricing", "churn", "renewal"]), max_size=2), max_size=3),  # lessons'
        st.lists(st.sampled_from(["process", "people"]), max_size=2),  # its problems' factors
    ),
    max_size=8,
)


def _themes_of(r: Review) -> set[tuple[str, str]]:
    tags = r.tags + tuple(tag for lesson in r.lessons for tag in lesson.tags)
    return {("tag", tag) for tag in tags} | {("factor", problem.factor) for problem in r.problems}


@given(_THEME_REVIEWS)
def test_recurring_themes_count_each_review_team_and_occasion_once(drawn: list[tuple[Any, ...]]) -> None:
    reviews = [
        replace(
            review(f"r{number}", team=team, held_on=date(2026, 4, 1 + 7 * week), period=period, tags=tuple(tags)),
            lessons=tuple(Lesson(f"L{at}", "success", "l", tags=tuple(these)) for at, these in enumerate(lessons, 1)),
            problems=tuple(Problem(f"P{at}", "p", "c", factor) for at, factor in enumerate(factors, 1)),
        )
        for number, (team, period, week, tags, lessons, factors) in enumerate(drawn)
    ]
    expected = {}
    for theme in set().union(*map(_themes_of, reviews)):
        mine = [r for r in reviews if theme in _themes_of(r)]
        occasions = {r.period_of or r.held_on for r in mine}  # a review without a period: the day it was held
        counted = (len(mine), len({r.team for r in mine}), len(occasions), max(r.held_on for r in mine))
        expected[theme] = (*counted, is_recurring(mine))
    found = {
        (row.kind, row.theme): (row.reviews, row.teams, row.periods, row.last_seen, row.recurring)
        for row in recurring_themes(reviews).itertuples()
    }
    assert found == expected


def rate_metric(
    name: str, actual: float, unit: str = "%", better: str = "higher", previous: float | None = None
) -> Metric:
    return Metric(category="c", name=name, unit=unit, target=60, actual=actual, better=better, previous=previous)


def test_every_comparison_rule_hand_computed() -> None:
    reviews = [
        review(
            "2025q3",
            held_on=date(2025, 10, 9),
            period="2025-Q3",
            metrics=(rate_metric("复购率", 50), rate_metric("销售额", 300, "万元")),
        ),
        review("q1", held_on=date(2026, 4, 10), period="2026-Q1", metrics=(rate_metric("复购率", 58),)),
        review(
            "q2",
            held_on=date(2026, 7, 8),
            period="2026-Q2",
            metrics=(
                rate_metric("复购率", 61),
                rate_metric("销售额", 420, "万元"),
                rate_metric("跟进周期", 19, "天", "lower"),
            ),
        ),
        review("sep", held_on=date(2026, 10, 5), period="2026-09", metrics=(rate_metric("销售额", 120, "万元"),)),
        review(
            "q3",
            held_on=date(2026, 10, 12),
            period="2026-Q3",
            metrics=(
                rate_metric("复购率", 65),
                rate_metric("销售额", 380, "万元"),
                rate_metric("跟进周期", 22, "天", "lower"),
                rate_metric("新客户", 12, "个", previous=10),
            ),
        ),
        review("oct", held_on=date(2026, 11, 5), period="2026-10", metrics=(rate_metric("销售额", 150, "万元"),)),
    ]
    t = metrics_table(reviews).set_index(["review", "metric"])
    # 环比, % unit: 61 -> 65 is +4 pp, an improvement
    row = t.loc[("q3", "复购率")]
    assert (row["previous"], row["previous_from"], row["change"], row["change_unit"], row["change_good"]) == (
        61,
        "q2",
        4.0,
        "pp",
        True,
    )
    # 同比: the same quarter a year earlier, 50 -> 65 is +15 pp
    assert (row["yoy_previous"], row["yoy_from"], row["yoy_change"]) == (50, "2025q3", 15.0)
    # relative change, signed: 420 -> 380 is -9.5%, bad where higher is better
    row = t.loc[("q3", "销售额")]
    assert row["change"] == pytest.approx(-40 / 420) and row["change_unit"] == "ratio" and not row["change_good"]
    assert row["yoy_change"] == pytest.approx(80 / 300)
    # lower is better: 19 -> 22 days is +15.8%, and bad
    row = t.loc[("q3", "跟进周期")]
    assert row["change"] == pytest.approx(3 / 19) and bool(row["change_good"]) is False
    # a stated previous wins and is labelled as stated
    assert (t.loc[("q3", "新客户"), "previous_from"], t.loc[("q3", "新客户"), "change"]) == ("stated", 0.2)
    # months compare with months, never with a quarter: October against September (120 -> 150, +25%)
    row = t.loc[("oct", "销售额")]
    assert (row["previous_from"], row["change"], row["granularity"]) == ("sep", 0.25, "month")
    # Q1 has no adjacent Q4 2025 review: no change rather than one against the older 2025-Q3
    assert pd.isna(t.loc[("q1", "复购率"), "previous"]) and pd.isna(t.loc[("q1", "复购率"), "change_good"])


def test_a_review_without_a_period_shows_none() -> None:
    deal = review("deal", held_on=date(2026, 8, 1), kind="project", period=None, metrics=(metric("x", 1),))
    deal = Review(**{**deal.__dict__, "period_end": None})
    assert metrics_table([deal]).loc[0, "period"] == ""


def test_a_change_from_a_negative_previous_keeps_its_sign() -> None:
    assert change(-5, -10, "万元") == 0.5  # from a loss of 10 to a loss of 5: up 50%
    assert change(-15, -10, "万元") == -0.5
