"""The engine on the edges of what a review can hold: numbers past float's range, infinities, subnormal
targets, dates up to 9999-12-31 and down to 0001-01-01. Reviews are built here without the gate, so the
engine is held to its own promise (empty cells, never an exception or an infinity) whatever the gate lets
through."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from retrogen.engine.actions import GROUPS, action_summary, follow_up_order
from retrogen.engine.analysis import Analysis
from retrogen.engine.history import GitHistory
from retrogen.engine.metrics import metrics_summary
from retrogen.engine.model import KnowledgeBase, Review, review_from_data
from retrogen.gate.config import Config
from retrogen.gate.loader import parse_text
from retrogen.site.charts import bar_chart, line_chart
from retrogen.site.pages import build_pages

from ..conftest import KB, TODAY

BASE_FILE = KB / "reviews" / "2026-q3-east-sales.yaml"
BASE = parse_text(BASE_FILE, BASE_FILE.read_text(encoding="utf-8")).data
EARLIER_FILE = KB / "reviews" / "2026-q2-east-sales.yaml"
EARLIER = review_from_data(parse_text(EARLIER_FILE, EARLIER_FILE.read_text(encoding="utf-8")).data, EARLIER_FILE)
DIGITS_310 = 10**309  # one more digit than float can hold


def review(edit: Callable[[dict[str, Any]], None]) -> Review:
    data = copy.deepcopy(BASE)
    edit(data)
    return review_from_data(data, BASE_FILE)


def set_all(section: str, **values: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        for item in data[section]:
            item.update(values)

    return edit


def set_dates(day: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["id"] = f"held-{day}"
        data["held_on"] = day
        data["period"].update(start=day, end=day)
        for action in data["actions"]:
            action.update(due=day, updates=[])
            if action.get("done_on"):
                action["done_on"] = day

    return edit


EDGES = {
    "310-digit actual": set_all("metrics", actual=DIGITS_310),
    "310-digit target": set_all("metrics", target=DIGITS_310),
    "310-digit previous": set_all("metrics", previous=-DIGITS_310),
    "infinite and NaN": set_all("metrics", target=math.inf, actual=math.nan, previous=-math.inf),
    # finite achievements (1.7e308 each) whose mean and median overflow; a change that overflows
    "near float's limit": set_all("metrics", target=1, actual=1.7e308, previous=-1.7e308),
    "subnormal target": set_all("metrics", target=5e-324),
    "310-digit funnel count": set_all("funnel", count=DIGITS_310),
    "due 9999-12-31": set_all("actions", due="9999-12-31"),
    "held on 9999-12-31": set_dates("9999-12-31"),
    "held on 0001-01-01": set_dates("0001-01-01"),
}


def analysis(*reviews: Review, today: date = TODAY) -> Analysis:
    return Analysis(KnowledgeBase(sorted(reviews, key=lambda r: (r.sort_date, r.id)), today), GitHistory())


def every_table(a: Analysis) -> dict[str, pd.DataFrame]:
    tables = {
        "metrics": a.metrics,
        "funnel": a.funnel,
        "funnel overall": a.funnel_overall,
        "causes": a.causes,
        "lessons by tag": a.lessons_by_tag,
        "themes": a.themes,
        "actions": follow_up_order(a.actions),
        "weekly": a.weekly,
    }
    tables |= {f"metrics by {by}": metrics_summary(a.metrics, by) for by in ("team", "period")}
    tables |= {f"actions by {by}": action_summary(a.actions, by) for by in GROUPS}
    return tables


def assert_finite_or_empty(tables: dict[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        for column in frame.select_dtypes("number"):
            assert not np.isinf(frame[column].astype(float)).any(), f"{name}.{column} holds an infinity"


@pytest.mark.parametrize("edge", list(EDGES))
def test_every_table_and_page_survives(edge: str, tmp_path: Path) -> None:
    a = analysis(review(EDGES[edge]), EARLIER)
    assert_finite_or_empty(every_table(a))
    assert a.weekly.empty or a.weekly["week"].iloc[-1] == TODAY
    assert a.playbook
    pages = build_pages(a, Config(root=tmp_path, reviews_dir=tmp_path / "reviews"))
    assert all(f"reviews/{r.id}.md" in pages for r in a.knowledge_base.reviews)


def test_numbers_past_float_are_empty_cells_not_errors() -> None:
    metrics = analysis(review(EDGES["310-digit actual"])).metrics
    assert metrics["actual"].isna().all() and metrics["achievement"].isna().all() and metrics["met"].isna().all()
    summary = metrics_summary(analysis(review(EDGES["near float's limit"])).metrics, "team")
    assert summary["mean_achievement"].isna().all() and summary["median_achievement"].isna().all()
    funnel = analysis(review(EDGES["310-digit funnel count"])).funnel
    assert funnel["conversion"].tolist()[1:] == [1.0, 1.0]  # integers divide exactly, however large
    rising = analysis(review(lambda data: data["funnel"][-1].update(count=10**330))).funnel
    assert math.isnan(rising["conversion"].iloc[-1]) and math.isnan(rising["cumulative"].iloc[-1])


def test_a_due_date_of_9999_12_31_is_never_overdue_and_the_series_ends_today() -> None:
    a = analysis(review(EDGES["due 9999-12-31"]))
    assert not a.actions["overdue"].any()
    assert a.weekly["week"].iloc[0] == date(2026, 10, 18)  # the first Sunday after the meeting
    assert a.weekly["week"].iloc[-1] == TODAY and a.weekly["overdue"].sum() == 0


def test_an_update_dated_centuries_early_does_not_stretch_the_weekly_series() -> None:
    weekly = analysis(review(lambda data: data["actions"][0]["updates"][0].update(date="0230-07-09"))).weekly
    assert weekly["week"].iloc[0] == date(2026, 10, 18)  # the first Sunday after the meeting, not in 0230
    assert weekly[["open", "overdue", "done"]].iloc[0].tolist() == [3, 0, 0]


@pytest.mark.parametrize("today", [date.min, date.max])
def test_any_today_from_0001_to_9999(today: date, tmp_path: Path) -> None:
    a = analysis(review(EDGES["held on 0001-01-01"]), review(EDGES["held on 9999-12-31"]), today=today)
    assert_finite_or_empty(every_table(a))
    assert a.weekly["week"].iloc[-1] == today
    build_pages(a, Config(root=tmp_path, reviews_dir=tmp_path / "reviews"))


def test_charts_skip_what_they_cannot_draw() -> None:
    bars = bar_chart("t", ["a", "b", "c"], [DIGITS_310, math.nan, 5])
    assert [bar[5] for bar in bars.wide.bars] == ["c: 5"]
    line = line_chart("t", ["a", "b"], {"s": [1.7e308, 1.6e308]})
    assert "inf" not in line.svg() and "nan" not in line.svg()
    assert line.wide.dots[0][3] == "s · a: 1.7e+308"
