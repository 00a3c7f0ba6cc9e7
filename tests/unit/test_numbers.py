"""One formatter for rates and quantities: the same value reads the same in every output."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from retrogen.engine.analysis import analyse
from retrogen.formats.numbers import number, percent, quantity
from retrogen.formats.tables import to_table
from retrogen.gate.config import load_config
from retrogen.site.charts import bar_chart, line_chart
from retrogen.site.pages import build_pages

from ..conftest import TODAY


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (15 / 22, "68.2%"),
        (0.5, "50%"),
        (1.0, "100%"),
        (65 / 60, "108.3%"),
        (0.0, "0%"),
        (-0.0001, "0%"),
        (-0.095, "-9.5%"),
        (0.99999, "100%"),
        (12.5, "1,250%"),
        (np.float64(0.682), "68.2%"),
        (None, ""),
        (float("nan"), ""),
        (float("inf"), ""),
        ("text", ""),
        (True, ""),
    ],
)
def test_percent(value: object, shown: str) -> None:
    assert percent(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (3000.0, "3,000"),
        (3.2, "3.2"),
        (0.125, "0.12"),
        (12000, "12,000"),
        (np.int64(12000), "12,000"),
        (10**30, "1,000,000,000,000,000,000,000,000,000,000"),
        (-0.001, "0"),
        (None, ""),
        (float("nan"), ""),
        (True, ""),
    ],
)
def test_number(value: object, shown: str) -> None:
    assert number(value) == shown


def test_a_rate_reads_the_same_in_the_table_the_pages_and_the_charts(knowledge_base: Path) -> None:
    # 平均跟进周期 in 2026-q3-east-sales: 15 days targeted, 22 taken: 68.2% (it read 68%, 68.2% and 68.0%).
    config = load_config(knowledge_base / "mkdocs.yml")
    analysis = analyse(config, TODAY, use_git=False)
    table = to_table(analysis.metrics)
    assert re.search(r"平均跟进周期 .* 68\.2%", table)
    page = build_pages(analysis, config)["reviews/2026-q3-east-sales.md"]
    assert "✘ 68.2%" in page
    metrics_page = build_pages(analysis, config)["metrics.md"]
    assert "平均跟进周期 · 2026-Q3: 68.2%" in metrics_page  # the trend chart's tooltip
    assert "<td>68.2%</td>" in metrics_page  # and the numbers beside it
    for wrong in ("68%", "68.0%", "68.18%"):
        assert f" {wrong}" not in page + metrics_page + table and f">{wrong}<" not in page + metrics_page


def test_chart_labels_use_the_one_formatter() -> None:
    chart = line_chart("t", ["a", "b"], {"s": [0.5, 15 / 22]}, percent=True).wide
    assert [dot[3] for dot in chart.dots] == ["s · a: 50%", "s · b: 68.2%"]
    assert [t.text for t in chart.texts if t.text.endswith("%")] == ["0%", "20%", "40%", "60%", "80%"]
    bars = bar_chart("t", ["x", "y"], [12000.0, 2.5]).wide
    assert [bar[5] for bar in bars.bars] == ["x: 12,000", "y: 2.5"]


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (29, "%", "29%"),
        (64.5, "％", "64.5％"),
        (380, "万元", "380 万元"),
        (12000, "kEUR", "12,000 kEUR"),
        (3, "", "3"),
        (float("nan"), "%", ""),
    ],
)
def test_a_quantity_with_a_percent_unit_reads_like_a_rate(value: object, unit: str, shown: str) -> None:
    assert quantity(value, unit) == shown
