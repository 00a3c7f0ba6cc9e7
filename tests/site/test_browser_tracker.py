"""The tracker's weekly chart follows its filters, as its tiles and tables do: ?owner=张伟 draws 张伟's actions
open, overdue and done on each day, and its data table says the same."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from retrogen.engine.analysis import analyse
from retrogen.engine.history import weekly_series
from retrogen.gate.config import load_config

from .conftest import TODAY
from .test_browser import ARTIFACTS, browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SERIES = ("open", "overdue", "done")
READ_CHART = """() => {
  const svg = [...document.querySelectorAll('[data-weekly-for] svg.rg-chart')]
    .find((s) => getComputedStyle(s).display !== 'none');
  const series = [0, 1, 2].map((i) => [...svg.querySelectorAll('use.rg-s' + i + ':not(.rg-key)')]
    .map((c) => Number(c.querySelector('title').textContent.split(': ').pop().replace(/,/g, ''))));
  const rows = [...document.querySelectorAll('[data-weekly-for] .rg-chart-table tbody tr')]
    .map((r) => [...r.cells].slice(1, 4).map((c) => Number(c.textContent.replace(/,/g, ''))));
  const ticks = [...svg.querySelectorAll('text.rg-tick')].filter((t) => t.style.display !== 'none')
    .map((t) => t.textContent);
  const lines = [0, 1, 2].map((i) => svg.querySelector('polyline.rg-s' + i).getAttribute('points'));
  return {series, rows, ticks, lines};
}"""


def _expected(built_site: Path, owner: str | None) -> list[list[int]]:
    """weekly_series of the owner's actions (all actions for None), the days the chart shows."""
    analysis = analyse(load_config(built_site.parent / "mkdocs.yml"), TODAY, use_git=False)
    mine = {
        (row["review"], row["id"])
        for row in analysis.actions.to_dict("records")
        if owner is None or row["owner"] == owner
    }
    histories = {key: events for key, events in analysis.histories.items() if key in mine}
    weekly = weekly_series(analysis.knowledge_base.reviews, histories, TODAY)
    weekly = weekly[weekly["week"].isin(analysis.weekly.tail(26)["week"])]
    return [[int(v) for v in weekly[name]] for name in SERIES]


@pytest.mark.parametrize("size", [(390, 844), (1366, 900)])
def test_the_weekly_chart_narrows_with_the_owner_filter(
    browser: Any, site_url: str, built_site: Path, size: tuple[int, int]
) -> None:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    try:
        page.goto(f"{site_url}actions/")
        page.wait_for_load_state("networkidle")
        everyone = page.evaluate(READ_CHART)
        built = (built_site / "actions" / "index.html").read_text(encoding="utf-8")
        # Unfiltered, the script's sums are the build's own chart, point for point.
        assert everyone["series"] == _expected(built_site, None)
        assert all(f'points="{line}"' in built for line in everyone["lines"])

        page.goto(f"{site_url}actions/?owner={quote('张伟')}")
        page.wait_for_load_state("networkidle")
        zhang = page.evaluate(READ_CHART)
        expected = _expected(built_site, "张伟")
        assert zhang["series"] == expected
        assert [list(row) for row in zip(*expected, strict=True)] == zhang["rows"]  # the data table too
        assert sum(map(sum, expected)) < sum(map(sum, everyone["series"]))  # narrower, not the same
        assert int(zhang["ticks"][-1]) >= max(map(max, expected)) and zhang["ticks"][0] == "0"
        assert int(zhang["ticks"][-1]) < int(everyone["ticks"][-1])  # the axis fits the narrower figures
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("[data-weekly-for]").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"tracker-weekly-owner-{size[0]}.png"))

        # Back to everyone: the build's chart again.
        page.locator("[data-filter-reset]").first.click()
        again = page.evaluate(READ_CHART)
        assert again["series"] == everyone["series"] and again["lines"] == everyone["lines"]
        assert re.sub(r"\s", "", "".join(again["ticks"])) == re.sub(r"\s", "", "".join(everyone["ticks"]))
    finally:
        page.close()


def test_the_weekly_chart_follows_the_state_and_team_filters(browser: Any, site_url: str) -> None:
    """On its last day (today) the chart counts what the kept rows' states say."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    count_states = """() => Object.fromEntries(['open', 'overdue', 'done'].map((s) =>
      [s, document.querySelectorAll('#rg-all tbody tr:not([hidden])[data-state="' + s + '"]').length]))"""
    try:
        for query in (
            "state=done",
            "state=overdue",
            f"team={quote('华东销售部')}",
            f"team={quote('Inside Sales APAC')}",
        ):
            page.goto(f"{site_url}actions/?{query}")
            page.wait_for_load_state("networkidle")
            chart, states = page.evaluate(READ_CHART), page.evaluate(count_states)
            assert [values[-1] for values in chart["series"]] == [states[name] for name in SERIES], query
            assert sum(states.values()) > 0, query
    finally:
        page.close()


def test_the_workload_table_narrows_with_the_filters_too(browser: Any, site_url: str, built_site: Path) -> None:
    """负责人工作量 (open and overdue by how late, per owner) kept every owner whatever the filter."""
    from retrogen.engine.actions import overdue_ages

    analysis = analyse(load_config(built_site.parent / "mkdocs.yml"), TODAY, use_git=False)
    read = """() => [...document.querySelectorAll('table[data-active-only] tbody tr:not([hidden])')]
      .map((r) => [...r.cells].map((c) => c.textContent.trim()))"""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        every = analysis.actions
        for query, actions in (
            ("", every),
            (f"team={quote('华东销售部')}", every[every["team"] == "华东销售部"]),
            ("state=open", every[every["state"] == "open"]),  # no one is overdue, however late they were
            ("state=done", every[every["state"] == "done"]),  # no one has an open action: an empty table
        ):
            page.goto(f"{site_url}actions/?{query}")
            page.wait_for_load_state("networkidle")
            expected = [[str(v) for v in row] for row in overdue_ages(actions).itertuples(index=False)]
            assert sorted(page.evaluate(read)) == sorted(expected), query
        assert not expected
    finally:
        page.close()


def test_a_card_on_a_phone_names_its_figures_from_the_column_headers(browser: Any, site_url: str) -> None:
    """The rows carry no labels of their own: the script gives each cell its column's title, once."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{site_url}actions/")
        page.wait_for_load_state("networkidle")
        row = page.locator("#rg-overdue tbody tr:not(.rg-group)").first
        labels = row.locator("td").evaluate_all("cells => cells.map((c) => getComputedStyle(c, '::before').content)")
        assert labels[1:] == ['"复盘: "', '"负责人: "', '"截止: "', '"逾期天数: "'], labels
        assert labels[0] in ("none", "normal")  # the action itself needs no label
        every = page.locator("#rg-all tbody tr").first.locator("td")
        assert every.nth(1).get_attribute("data-label") == "负责人"
        assert every.nth(4).get_attribute("data-label") is None  # the state badge speaks for itself
    finally:
        page.close()


def test_the_filtered_verification_tile_counts_a_target_met_without_the_action_as_decided(
    browser: Any, site_url: str
) -> None:
    """As engine/loop.DECIDED does: the tile said 张伟 had one decided action (of two) once one was met without
    the action, where the unfiltered figure (action_summary) counts both. The fixture has no such verdict, so
    one of 张伟's achieved rows is given it before the filter recounts."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(f"{site_url}actions/")
        page.wait_for_load_state("networkidle")
        read = "() => ['achieved', 'verified'].map((k) => document.querySelector(`.rg-cards [data-stat=${k}]`)"
        read += ".textContent)"
        changed = page.evaluate(
            """() => {
              const row = document.querySelector("#rg-all tr[data-owner='张伟'][data-verification='achieved']");
              row.setAttribute('data-verification', 'met_without_action');
              return row !== null;
            }"""
        )
        assert changed
        page.locator("select[data-filter='owner']").first.select_option("张伟")
        assert page.evaluate(read) == ["0", "2"]
        assert "0%" in page.locator(".rg-cards [data-stat='verification_rate']").inner_text()
    finally:
        page.close()
