from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrogen.metrics import (
    achievement,
    causes_pareto,
    change,
    funnel_overall,
    funnel_table,
    metrics_summary,
    metrics_table,
    problems_table,
    ratio,
    recurring_themes,
)
from retrogen.model import Metric, Problem, Review


def review(review_id: str, team: str = "T", held_on: date = date(2026, 4, 10), kind: str = "periodic",
           period: str | None = None, **fields: object) -> Review:
    return Review(id=review_id, title=review_id, kind=kind, team=team, held_on=held_on, objective="o",
                  path=Path(f"{review_id}.yaml"), period_label=period, period_end=held_on, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "actual", "better", "expected"),
    [(500, 380, "higher", 0.76), (20, 12, "higher", 0.6), (60, 65, "higher", 65 / 60),
     (15, 22, "lower", 15 / 22), (15, 10, "lower", 1.5), (0, 5, "higher", math.nan), (10, 0, "lower", math.nan),
     (10, 0, "higher", 0.0), (0, 0, "lower", math.nan)],
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
    stages = tuple((f"s{i}", c) for i, c in enumerate(counts))
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


def test_change_falls_back_to_the_same_teams_latest_earlier_periodic_review() -> None:
    reviews = [
        review("q1", held_on=date(2026, 4, 1), metrics=(metric("sales", 8), metric("other", 3))),
        review("q2", held_on=date(2026, 7, 1), metrics=(metric("sales", 9),)),
        review("deal", held_on=date(2026, 8, 1), kind="project", metrics=(metric("sales", 1),)),
        review("q2-other-team", team="U", held_on=date(2026, 7, 2), metrics=(metric("sales", 50),)),
        review("q3", held_on=date(2026, 10, 1), metrics=(metric("sales", 12), metric("sales", 4, unit="%"),
                                                         metric("other", 6, previous=2))),
    ]
    table = metrics_table(reviews).set_index(["review", "metric", "unit"])
    assert table.loc[("q3", "sales", "u"), "previous"] == 9  # q2, not the project review nor team U
    assert table.loc[("q3", "sales", "u"), "previous_from"] == "q2"
    assert math.isnan(table.loc[("q3", "sales", "%"), "previous"])  # another unit is another metric
    assert table.loc[("q3", "other", "u"), "previous"] == 2  # `previous` wins over history
    assert table.loc[("q3", "other", "u"), "change"] == 2.0
    assert math.isnan(table.loc[("q1", "sales", "u"), "change"])


def test_empty_knowledge_base_gives_empty_tables() -> None:
    assert metrics_table([]).empty
    assert metrics_summary(metrics_table([]), "team").empty
    assert funnel_overall(funnel_table([])).empty
    assert causes_pareto(problems_table([])).empty
    assert recurring_themes([]).empty


def test_single_review_summary() -> None:
    table = metrics_table([review("r", metrics=(metric("a", 10), metric("b", 5)))])
    summary = metrics_summary(table, "team")
    assert summary.to_dict("records") == [{"team": "T", "metrics": 2, "met": 1, "met_rate": 0.5,
                                           "mean_achievement": 0.75, "median_achievement": 0.75}]


def test_pareto_is_sorted_with_cumulative_share() -> None:
    problems = tuple(Problem(id=f"P{i}", problem="p", root_cause="c", factor=f) for i, f in
                     enumerate(["process", "people", "process", "resources", "process"], start=1))
    pareto = causes_pareto(problems_table([review("r", problems=problems)]))
    assert list(pareto["factor"]) == ["process", "people", "resources"]
    assert list(pareto["cumulative_share"]) == pytest.approx([0.6, 0.8, 1.0])


def test_theme_recurs_across_teams_or_periods() -> None:
    reviews = [review("a", team="T", period="Q1", tags=("pricing", "solo")),
               review("b", team="U", period="Q1", tags=("pricing",))]
    themes = recurring_themes(reviews).set_index("theme")
    assert bool(themes.loc["pricing", "recurring"]) is True
    assert bool(themes.loc["solo", "recurring"]) is False
    assert isinstance(themes, pd.DataFrame)
