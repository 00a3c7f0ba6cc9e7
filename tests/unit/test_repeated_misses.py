"""A KPI missed in consecutive comparable periods (issue 19, "Repeated misses"): hand-counted streaks."""

from __future__ import annotations

from datetime import date

from retrogen.metrics import metrics_table, scoreboard
from retrogen.model import Metric
from retrogen.periods import parse_label
from tests.unit.test_metrics import review


def sales(actual: float, target: float = 100, name: str = "销售额", unit: str = "万元") -> Metric:
    return Metric(category="业绩", name=name, unit=unit, target=target, actual=actual)


def streaks(*reviews: object) -> dict[tuple[str, str], object]:
    table = metrics_table(reviews)  # type: ignore[arg-type]
    return {(row.review, row.metric): row.missed_in_a_row for row in table.itertuples()}


def held(label: str) -> date:
    return parse_label(label).end


def test_three_quarters_missed_then_met() -> None:
    reviews = [review(f"q{n}", period=f"2026-Q{n}", held_on=held(f"2026-Q{n}"),
                      metrics=(sales(80 if n < 4 else 120),)) for n in (1, 2, 3, 4)]
    assert [streaks(*reviews)[(f"q{n}", "销售额")] for n in (1, 2, 3, 4)] == [1, 2, 3, 0]


def test_a_month_between_quarters_does_not_break_a_quarterly_streak() -> None:
    reviews = [review("q2", period="2026-Q2", held_on=held("2026-Q2"), metrics=(sales(80),)),
               review("m7", period="2026-07", held_on=held("2026-07"), metrics=(sales(150),)),
               review("q3", period="2026-Q3", held_on=held("2026-Q3"), metrics=(sales(90),))]
    found = streaks(*reviews)
    assert (found[("q2", "销售额")], found[("m7", "销售额")], found[("q3", "销售额")]) == (1, 0, 2)


def test_a_gap_a_met_period_another_team_or_unit_breaks_the_streak() -> None:
    reviews = [review("q1", period="2026-Q1", held_on=held("2026-Q1"), metrics=(sales(80),)),
               # 2026-Q2 not reviewed: Q3 starts a new streak
               review("q3", period="2026-Q3", held_on=held("2026-Q3"),
                      metrics=(sales(80), sales(5, 10, "新客户数量", "个"))),
               review("q4", period="2026-Q4", held_on=held("2026-Q4"),
                      metrics=(sales(80, unit="元"), sales(5, 10, "新客户数量", "个"))),
               review("o4", team="Other", period="2026-Q4", held_on=held("2026-Q4"), metrics=(sales(80),))]
    found = streaks(*reviews)
    assert found[("q3", "销售额")] == 1
    assert found[("q4", "销售额")] == 1  # in 元, not the 万元 of Q3: another metric
    assert found[("q4", "新客户数量")] == 2
    assert found[("o4", "销售额")] == 1


def test_lower_is_better_and_no_rate() -> None:
    days = Metric(category="效率", name="平均跟进周期", unit="天", target=15, actual=22, better="lower")
    zero = Metric(category="效率", name="投诉", unit="个", target=0, actual=1)
    reviews = [review("m1", period="2026-01", held_on=held("2026-01"), metrics=(days, zero)),
               review("m2", period="2026-02", held_on=held("2026-02"), metrics=(days, zero)),
               review("m3", period="2026-03", held_on=held("2026-03"), metrics=(days, zero))]
    found = streaks(*reviews)
    assert found[("m3", "平均跟进周期")] == 3
    assert found[("m3", "投诉")] is None or str(found[("m3", "投诉")]) == "<NA>"


def test_scoreboard_carries_the_streak_of_the_latest_review() -> None:
    reviews = [review(f"q{n}", period=f"2026-Q{n}", held_on=held(f"2026-Q{n}"), metrics=(sales(80),))
               for n in (1, 2, 3)]
    board = scoreboard(reviews, metrics_table(reviews))
    assert board["missed_in_a_row"].tolist() == [3]
