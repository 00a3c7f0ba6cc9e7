"""The dashboard's figures on the fixture knowledge base (tests/kb), each value computed by hand from its reviews:
the scoreboard (achievement, 红/黄/绿, 环比, trend) and what changed in the last seven days."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from retrogen.core.errors import ConfigError
from retrogen.engine.analysis import Analysis, RecentChanges, analyse
from retrogen.engine.metrics import Rag, rag
from retrogen.gate.config import load_config

from ..conftest import KB, TODAY


def _analysis(today: date = TODAY, config_file: Path = KB / "mkdocs.yml") -> Analysis:
    return analyse(load_config(config_file), today, use_git=False)


def _board(analysis: Analysis) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["team"], row["metric"]): row for row in analysis.scoreboard.to_dict("records")}


def test_each_team_shows_the_kpis_of_its_latest_periodic_review() -> None:
    board = _analysis().scoreboard
    # EMEA's latest period is 2026-Q3; the east team's is the month 2026-10 (after its 2026-Q3); the south
    # and APAC teams have no periodic review (an anomaly, a capability review), so no row.
    assert dict(board.groupby("team")["review"].first()) == {
        "Enterprise Sales EMEA": "2026-q3-emea-enterprise",
        "华东销售部": "2026-10-east-sales",
    }
    assert list(board[board["team"] == "Enterprise Sales EMEA"]["metric"]) == [
        "New bookings",
        "Win rate",
        "Sales cycle",
        "Forecast accuracy",
    ]


def test_achievement_rag_and_change_are_the_hand_computed_ones() -> None:
    board = _board(_analysis())
    bookings = board[("Enterprise Sales EMEA", "New bookings")]
    # 3050 / 3200 = 95.3%: missed, but within 10% of the target: amber; Q2 had 2460: +23.98%
    assert bookings["achievement"] == pytest.approx(3050 / 3200)
    assert bookings["met"] is False and bookings["rag"] is Rag.AMBER
    assert bookings["change"] == pytest.approx((3050 - 2460) / 2460) and bookings["change_unit"] == "ratio"
    assert bookings["change_good"] is True
    # a rate changes in percentage points: 24% -> 29% is +5 pp
    win = board[("Enterprise Sales EMEA", "Win rate")]
    assert win["change"] == pytest.approx(5.0) and win["change_unit"] == "pp" and win["rag"] is Rag.AMBER
    # better: lower: 90 days targeted, 96 taken is 90 / 96 = 93.75%, amber; down from 104 days, an improvement
    cycle = board[("Enterprise Sales EMEA", "Sales cycle")]
    assert cycle["achievement"] == pytest.approx(90 / 96) and cycle["rag"] is Rag.AMBER
    assert cycle["change"] == pytest.approx((96 - 104) / 104) and cycle["change_good"] is True
    # 93 / 90 = 103.3%: met, green; Q2 did not report it, so no 环比
    forecast = board[("Enterprise Sales EMEA", "Forecast accuracy")]
    assert forecast["achievement"] == pytest.approx(93 / 90) and forecast["met"] is True
    assert forecast["rag"] is Rag.GREEN and forecast["change"] != forecast["change"]  # NaN
    # the east team's October: 152 / 170 = 89.4%, red (under 90%); 15 / 20 days = 75%, red; no 2026-09 review
    sales = board[("华东销售部", "销售额")]
    assert sales["achievement"] == pytest.approx(152 / 170) and sales["rag"] is Rag.RED
    assert board[("华东销售部", "平均跟进周期")]["achievement"] == pytest.approx(0.75)
    assert all(row["change"] != row["change"] for (team, _), row in board.items() if team == "华东销售部")


def test_the_trend_keeps_to_one_cadence() -> None:
    board = _board(_analysis())
    assert board[("Enterprise Sales EMEA", "New bookings")]["trend"] == [("2026-Q2", 2460.0), ("2026-Q3", 3050.0)]
    assert board[("Enterprise Sales EMEA", "Forecast accuracy")]["trend"] == [("2026-Q2", None), ("2026-Q3", 93.0)]
    # the month 2026-10 is not drawn after the quarters 2025-Q4 … 2026-Q3
    assert board[("华东销售部", "销售额")]["trend"] == [("2026-10", 152.0)]


def test_a_quarter_before_the_month_is_the_latest_when_the_month_is_not_yet_held() -> None:
    board = _board(_analysis(date(2026, 11, 1)))  # 2026-10-east-sales is held on 2026-11-05
    sales = board[("华东销售部", "销售额")]
    assert sales["review"] == "2026-q3-east-sales"
    # 380 / 500 = 76%, red; the review states 420 as the previous value: -9.52%
    assert sales["achievement"] == pytest.approx(0.76) and sales["rag"] is Rag.RED
    assert sales["change"] == pytest.approx((380 - 420) / 420)
    assert sales["trend"] == [("2025-Q4", 356.0), ("2026-Q1", 412.0), ("2026-Q2", 420.0), ("2026-Q3", 380.0)]
    assert board[("华东销售部", "老客户复购率")]["rag"] is Rag.GREEN  # 65 / 60 = 108.3%


@pytest.mark.parametrize(
    ("achievement", "mark"),
    [(1.0, Rag.GREEN), (0.9999, Rag.AMBER), (0.9, Rag.AMBER), (0.8999, Rag.RED), (float("nan"), None), (None, None)],
)
def test_rag_by_default_is_green_when_met_amber_within_ten_percent(achievement: float | None, mark: Rag | None) -> None:
    assert rag(achievement) is mark


def test_rag_thresholds_come_from_the_configuration(tmp_path: Path) -> None:
    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text(
        (KB / "mkdocs.yml")
        .read_text(encoding="utf-8")
        .replace(
            "    reviews_dir: reviews\n", "    reviews_dir: reviews\n    rag_thresholds: {green: 95, amber: 80}\n"
        ),
        encoding="utf-8",
    )
    (tmp_path / "reviews").symlink_to(KB / "reviews")
    board = _board(_analysis(config_file=config_file))
    assert board[("Enterprise Sales EMEA", "New bookings")]["rag"] is Rag.GREEN  # 95.3% >= 95%
    assert board[("Enterprise Sales EMEA", "New bookings")]["met"] is False  # met still means the target
    assert board[("华东销售部", "销售额")]["rag"] is Rag.AMBER  # 89.4% >= 80%
    assert board[("华东销售部", "新客户数量")]["rag"] is Rag.RED  # 71.4%


@pytest.mark.parametrize("value", ["{green: 90, amber: 95}", "{green: high}", "{red: 50}", "95"])
def test_bad_rag_thresholds_are_a_configuration_error(tmp_path: Path, value: str) -> None:
    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text(f"site_name: KB\nextra:\n  retrogen:\n    rag_thresholds: {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"extra\.retrogen\.rag_thresholds must be"):
        load_config(config_file)


@pytest.mark.parametrize(
    ("today", "changes"),
    [
        # 2026-10-east-sales:A2, due 2026-11-15 and still in progress, became overdue on 2026-11-16
        (TODAY, RecentChanges(7, reviews_added=0, actions_closed=0, became_overdue=1)),
        # the October and APAC reviews were held on 2026-11-05; 2026-q3-east-sales:A3, due 2026-11-05, was
        # carried into October's review that day, so it never became overdue
        (date(2026, 11, 10), RecentChanges(7, reviews_added=2, actions_closed=0, became_overdue=0)),
        # 2026-q3-east-sales:A1 done on 2026-10-19
        (date(2026, 10, 20), RecentChanges(7, reviews_added=0, actions_closed=1, became_overdue=0)),
        # 2026-09-south-churn-spike:A2 (due 10-31) overdue from 11-01; 2026-q3-east-sales:A2 (due 11-01) from 11-02
        (date(2026, 11, 2), RecentChanges(7, reviews_added=0, actions_closed=1, became_overdue=2)),
    ],
)
def test_since_last_week_counts_the_seven_days_up_to_today(today: date, changes: RecentChanges) -> None:
    assert _analysis(today).since() == changes
