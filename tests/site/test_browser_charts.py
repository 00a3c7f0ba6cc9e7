"""Charts and team pages as a person sees them, in Debian's Chromium on a phone (390×844) and a desktop
(1366×900): chart text at least 12 px as rendered, charts at the content's full width, no label on another,
numbers collapsed under the chart, and no page scrolling sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .test_browser import ARTIFACTS, browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = [(390, 844), (1366, 900)]
PAGES = [
    "metrics/",
    "teams/",
    "teams/hua-dong-xiao-shou-bu/",
    "teams/hua-nan-ke-hu-cheng-gong-bu/",
    "teams/enterprise-sales-emea/",
    "teams/inside-sales-apac/",
    "reviews/2026-q3-east-sales/",
    "actions/",
]

MEASURE = """() => {
  const content = document.querySelector('.md-content__inner').getBoundingClientRect().width;
  const charts = [...document.querySelectorAll('svg.rg-chart')].filter(s => s.getBoundingClientRect().width > 0);
  const result = {content, charts: [], figures: [], overflow: document.documentElement.scrollWidth
                  - document.documentElement.clientWidth};
  for (const svg of charts) {
    const box = svg.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll('text')];
    const sizes = texts.map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    const boxes = texts.map(t => t.getBoundingClientRect());
    const overlaps = [];
    boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b, j) => {
      if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
        overlaps.push(texts[i].textContent + ' / ' + texts[i + 1 + j].textContent);
    }));
    const outside = texts.filter((t, i) => boxes[i].left < box.left - 1 || boxes[i].right > box.right + 1)
                         .map(t => t.textContent);
    result.charts.push({title: svg.getAttribute('aria-label'), role: svg.getAttribute('role'), width: box.width,
                        smallest: Math.min(...sizes), overlaps, outside});
  }
  for (const figure of document.querySelectorAll('.rg-figure')) {
    const shown = [...figure.querySelectorAll('svg.rg-chart')].filter(s => s.getBoundingClientRect().width > 0);
    const details = figure.querySelector('details.rg-chart-table');
    result.figures.push({shown: shown.length, open: details.open, rows: details.querySelectorAll('tbody tr').length,
                         below: shown.length === 1 && details.getBoundingClientRect().top
                                >= shown[0].getBoundingClientRect().bottom - 1});
  }
  return result;
}"""


@pytest.fixture(scope="module", params=SIZES, ids=["390x844", "1366x900"])
def sized(browser: Any, request: pytest.FixtureRequest) -> Iterator[tuple[Any, int]]:
    width, height = request.param
    page = browser.new_page(viewport={"width": width, "height": height})
    yield page, width
    page.close()


@pytest.mark.parametrize("path", PAGES)
def test_charts_read_at_12_px_at_full_width_and_no_page_scrolls_sideways(
    sized: tuple[Any, int], site_url: str, path: str
) -> None:
    page, width = sized
    page.goto(site_url + path)
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"charts-{path.strip('/').replace('/', '-')}-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    measured = page.evaluate(MEASURE)
    if path != "actions/":  # the action tracker's tables are another change's; its chart is checked here
        assert measured["overflow"] <= 0, f"{path} scrolls sideways by {measured['overflow']} px"
    for chart in measured["charts"]:
        assert chart["smallest"] >= 12, (path, chart["title"], chart["smallest"])
        assert abs(chart["width"] - measured["content"]) <= 1, (path, chart["title"])
        assert chart["overlaps"] == [] and chart["outside"] == [], (path, chart)
        assert chart["role"] == "img" and chart["title"]
    for figure in measured["figures"]:
        # one drawing shown per chart; its numbers collapsed under it
        assert figure == {"shown": 1, "open": False, "rows": figure["rows"], "below": True}, path
        assert figure["rows"] >= 1


def test_a_team_page_has_its_charts(sized: tuple[Any, int], site_url: str) -> None:
    page, _ = sized
    page.goto(site_url + "teams/hua-dong-xiao-shou-bu/")
    titles = [c["title"] for c in page.evaluate(MEASURE)["charts"]]
    assert titles[:2] == ["华东销售部: 达成率 · 季度", "华东销售部: 达成率 · 月度"]  # a month is not a quarter
    assert titles[2:4] == ["销售额 (万元) · 季度", "新客户数量 (个) · 季度"]
    assert "销售额 (万元) · 月度" in titles  # the monthly review's figures get their own trend
    assert "转化漏斗: 转化率 · 季度" in titles and "转化漏斗: 转化率 · 月度" in titles  # nor is it for the funnel
    assert "根因分布(80/20)" in titles
    page.locator("details.rg-chart-table summary").first.click()
    assert page.locator("details.rg-chart-table").first.locator("tbody tr").first.is_visible()
