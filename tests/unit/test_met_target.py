"""Whether a metric met its target has one definition (core.rates.met), and the tables, the closed loop's
verdicts, the report's gaps and the gate agree with it, at a target of 0, negative targets and lower-is-better."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from retrogen.core.rates import achievement, met
from retrogen.engine.loop import Verdict, verify
from retrogen.engine.metrics import Rag, funnel_table, metrics_table, rag
from retrogen.engine.model import Action, Expectation, FunnelStage, Metric, Review
from retrogen.gate.loader import parse_text
from retrogen.gate.review_checks import review_issues

DAY = date(2026, 10, 12)
# target, actual, better, met
CASES = [
    (60, 60, "higher", True),
    (60, 59.9, "higher", False),
    (15, 15, "lower", True),
    (15, 15.1, "lower", False),
    (0, 0, "higher", True),  # a target of 0 has no achievement rate, but it is met or not all the same
    (0, 3, "higher", True),
    (0, -2, "higher", False),
    (0, 0, "lower", True),
    (0, 1, "lower", False),  # e.g. zero incidents: one is a miss
    (-10, -5, "higher", True),  # a loss of 5 against a planned loss of 10: better than planned
    (-10, -12, "higher", False),
    (-10, -12, "lower", True),
    (-10, -5, "lower", False),
]


@pytest.mark.parametrize(("target", "actual", "better", "expected"), CASES)
def test_met_compares_the_figures_in_the_direction_better_says(
    target: float, actual: float, better: str, expected: bool
) -> None:
    assert met(target, actual, better) is expected


@given(
    st.floats(min_value=-1e6, max_value=1e6),
    st.floats(min_value=-1e6, max_value=1e6),
    st.sampled_from(["higher", "lower"]),
)
def test_an_achievement_rate_where_there_is_one_reads_as_met_does(target: float, actual: float, better: str) -> None:
    # Before, -5 against a target of -10 was 50% (red) though met, and -12 was 120% (green) though missed.
    rate = achievement(target, actual, better)
    assert math.isnan(rate) or (rate >= 1) is met(target, actual, better)
    assert math.isnan(rate) or (rag(rate) is Rag.GREEN) is met(target, actual, better)


@pytest.mark.parametrize("figures", [(None, 1.0), (1.0, None), (math.nan, 1.0), (1.0, math.inf)])
def test_met_is_unknown_without_two_finite_figures(figures: tuple[float | None, float | None]) -> None:
    assert met(*figures) is None


def _review(review_id: str, held_on: date, metrics: tuple[Metric, ...] = (), **fields: object) -> Review:
    return Review(
        review_id, review_id, "project", "T", held_on, "o", Path(f"{review_id}.yaml"), metrics=metrics, **fields
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(("target", "actual", "better", "expected"), CASES)
def test_the_metrics_table_and_the_verdicts_agree_with_met(
    target: float, actual: float, better: str, expected: bool
) -> None:
    reported = _review("r2", DAY, (Metric("c", "m", "x", target, actual, better),))
    assert metrics_table([reported])["met"].tolist() == [expected]
    action = Action(
        "A1",
        "a",
        "王芳",
        date(2026, 9, 1),
        status="done",
        done_on=date(2026, 9, 1),
        expects=Expectation("m", target, date(2026, 9, 30)),
    )
    verification = verify(action, [reported], DAY)
    assert verification is not None
    assert verification.verdict is (Verdict.ACHIEVED if expected else Verdict.MISSED)


@pytest.mark.parametrize(("target", "actual", "better", "expected"), [c for c in CASES if c[0] != 0])
def test_the_gate_asks_for_an_analysis_exactly_when_met_says_missed(
    target: float, actual: float, better: str, expected: bool
) -> None:
    # A target of 0 is RG207 (no achievement rate) instead: that check comes first.
    data = {"metrics": [{"name": "m", "unit": "x", "target": target, "actual": actual, "better": better}]}
    document = parse_text(Path("r.yaml"), yaml.safe_dump(data))
    codes = {code for code, _, _ in review_issues(document, DAY, ())}
    assert ("RG211" in codes) is (not expected)


def test_a_funnel_stage_meets_its_target_conversion_at_it() -> None:
    stages = (FunnelStage("leads", 100), FunnelStage("calls", 25, 25), FunnelStage("deals", 5, 21))
    table = funnel_table([_review("r", DAY, funnel=stages)])
    assert table["target_met"].tolist()[1:] == [True, False]


@pytest.mark.parametrize(("target", "actual", "better"), [(-10, -5, "higher"), (-10, -12, "lower"), (5, -1, "lower")])
def test_a_met_target_without_a_meaningful_rate_is_not_marked_red(target: float, actual: float, better: str) -> None:
    assert met(target, actual, better) is True
    assert rag(achievement(target, actual, better)) is None  # before: 50%, 83% and -500%, all red
