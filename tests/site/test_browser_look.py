"""How the site reads, in a real headless Chromium: at a phone's and a laptop's size, light and dark, its filters
and sorting kept in the address, and a review printed on A4. Screenshots of every page kind at both sizes go to
test-artifacts/look/ for a person to judge."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from retrogen.gate.config import load_config
from retrogen.site.build import build_site

from ..conftest import copy_knowledge_base
from .conftest import TODAY, _QuietHandler
from .test_browser import ARTIFACTS, browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"phone": (390, 844), "desktop": (1366, 900)}
PAGES = {
    "dashboard": "",
    "reviews": "reviews/",
    "review-zh": "reviews/2026-q3-east-sales/",
    "review-en": "reviews/2026-q3-emea-enterprise/",
    "review-attack": "reviews/attack-review/",
    "lessons": "lessons/",
    "playbook": "playbook/",
    "actions": "actions/",
    "metrics": "metrics/",
    "tags": "tags/",
    "submit": "submit/",
}
SHOTS = ARTIFACTS / "look"
VISIBLE = "#{} tbody tr:not([hidden]):not(.rg-group)"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    opened = browser.new_page(viewport={"width": 1366, "height": 900})
    yield opened
    opened.close()


def _load(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


@pytest.fixture(scope="module")
def sized_pages(browser: Any) -> Iterator[dict[str, Any]]:
    """One page per screen size, which goes from address to address: a new page (its own renderer process) costs
    about as much CPU as loading a page into it."""
    pages: dict[str, Any] = {}
    yield pages
    for page in pages.values():
        page.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_no_page_scrolls_sideways(
    browser: Any,
    sized_pages: dict[str, Any],
    site_url: str,
    size: str,
    name: str,
) -> None:
    width, height = SIZES[size]
    if size not in sized_pages:
        sized_pages[size] = browser.new_page(viewport={"width": width, "height": height})
    page = sized_pages[size]
    _load(page, site_url + PAGES[name])
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, f"{name} at {width}px is {scroll}px wide"
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_tables_look_like_materials_and_scroll_in_their_own_box(page: Any, site_url: str) -> None:
    _load(page, site_url + "actions/")
    for table in ("rg-overdue", "rg-open", "rg-done"):
        # Material wraps its (class-less) tables in a box that scrolls sideways by itself
        wrapper = page.locator(f"#{table}").evaluate("t => t.parentElement.parentElement.className")
        assert "md-typeset__scrollwrap" in wrapper, table
    border = page.locator("#rg-open").evaluate("t => getComputedStyle(t).borderTopStyle")
    assert border == "solid"
    assert page.locator(".md-typeset__scrollwrap table.rg-data").count() >= 2


def test_short_cells_never_wrap_and_text_is_not_squeezed(page: Any, site_url: str) -> None:
    _load(page, site_url + "actions/")
    due = page.locator("#rg-open tbody tr").first.locator("td").nth(4)
    assert due.evaluate("td => getComputedStyle(td).whiteSpace") == "nowrap"
    _load(page, site_url + "lessons/")
    # a lesson's review title reads as words, not one letter per line (it was 18 lines tall)
    link = page.locator("#rg-lessons tbody tr").nth(2).locator("a")
    assert link.evaluate("a => a.getClientRects().length") <= 2


def test_english_review_headings_are_english(page: Any, site_url: str) -> None:
    _load(page, site_url + "reviews/2026-q3-emea-enterprise/")
    headings = page.locator("article h2").all_inner_texts()
    assert "Targets and results" in headings and "Action plan" in headings
    assert not [h for h in headings if re.search(r"[\u4e00-\u9fff]", h)], headings


@pytest.mark.parametrize(("preference", "scheme"), [("light", "default"), ("dark", "slate")])
def test_the_first_visit_follows_the_systems_palette(
    browser: Any,
    site_url: str,
    preference: str,
    scheme: str,
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900}, color_scheme=preference)
    try:
        _load(page, site_url + "reviews/2026-q3-east-sales/")
        assert page.locator("body").get_attribute("data-md-color-scheme") == scheme
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"review-zh-1366-{preference}.png"), full_page=True)
        # the toggle in the header switches to the other palette
        page.locator("form[data-md-component='palette'] label:visible").first.click()
        other = "slate" if scheme == "default" else "default"
        assert page.locator("body").get_attribute("data-md-color-scheme") == other
    finally:
        page.close()


def test_lesson_filters_work_and_survive_a_reload(page: Any, site_url: str) -> None:
    _load(page, site_url + "lessons/")
    total = page.locator(VISIBLE.format("rg-lessons")).count()
    page.select_option("select[name='type']", "failure")
    page.select_option("select[name='tag']", "决策链")
    assert page.locator(VISIBLE.format("rg-lessons")).count() == 2
    assert "type=failure" in page.url and "tag=" in page.url
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("select[name='type']").input_value() == "failure"
    assert page.locator(VISIBLE.format("rg-lessons")).count() == 2
    # a shared address gives the same view; free text narrows it further
    _load(page, site_url + "lessons/?team=Enterprise+Sales+EMEA")
    visible = page.locator(VISIBLE.format("rg-lessons")).all_inner_texts()
    assert visible and all("Enterprise Sales EMEA" in row for row in visible)
    page.fill("input[name='q']", "economic buyer")
    narrowed = page.locator(VISIBLE.format("rg-lessons")).all_inner_texts()
    assert 0 < len(narrowed) < len(visible) and all("economic buyer" in row.lower() for row in narrowed)
    page.click("[data-filter-reset]")
    assert page.locator(VISIBLE.format("rg-lessons")).count() == total
    assert "?" not in page.url


def test_action_filters_and_sorting_work_and_survive_a_reload(page: Any, site_url: str) -> None:
    _load(page, site_url + "actions/")
    page.select_option("select[name='team']", "华东销售部")
    rows = page.locator(VISIBLE.format("rg-open")).all_inner_texts()
    assert rows and all("华东销售部" in row for row in rows)
    # the overdue list keeps only the team's group
    groups = page.locator("#rg-overdue tr.rg-group:not([hidden])").all_inner_texts()
    assert len(groups) == 1 and "华东销售部" in groups[0]
    # due, latest first: click twice (ascending, then descending)
    header = page.locator("#rg-open th[data-sort='due'] button")
    header.click()
    header.click()
    assert "sort=-due" in page.url and "team=" in page.url
    dues = page.locator(VISIBLE.format("rg-open")).evaluate_all("rows => rows.map(r => r.dataset.due)")
    assert dues == sorted(dues, reverse=True) and len(set(dues)) > 1
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("select[name='team']").input_value() == "华东销售部"
    assert page.locator(VISIBLE.format("rg-open")).evaluate_all("rows => rows.map(r => r.dataset.due)") == dues
    assert page.locator("#rg-open th[data-sort='due']").get_attribute("aria-sort") == "descending"
    _load(page, site_url + "actions/?state=done&owner=" + "张伟")
    done = page.locator(VISIBLE.format("rg-done")).all_inner_texts()
    assert page.locator(VISIBLE.format("rg-open")).count() == 0
    assert all("张伟" in row for row in done)


def test_overdue_actions_are_grouped_by_team_with_their_review(page: Any, site_url: str) -> None:
    _load(page, site_url + "actions/")
    groups = page.locator("#rg-overdue tbody")
    assert groups.count() == 3
    first = groups.nth(1)
    assert "华南客户成功部" in first.locator("tr.rg-group").inner_text()
    assert "2026年8月华南区老客户流失率突增复盘" in first.locator("tr.rg-is-overdue").inner_text()


def test_reviews_index_filters_and_shows_kpi_and_action_counts(page: Any, site_url: str) -> None:
    _load(page, site_url + "reviews/?kind=periodic&team=%E5%8D%8E%E4%B8%9C%E9%94%80%E5%94%AE%E9%83%A8")
    rows = page.locator(VISIBLE.format("rg-reviews"))
    assert rows.count() == 5  # the east team's periodic reviews, 2025-Q4 to 2026-10
    dates = rows.evaluate_all("rows => rows.map(r => r.querySelector('time').textContent)")
    assert dates == sorted(dates, reverse=True)
    october = rows.first.inner_text()
    assert "0/3" in october and "新客户数量 71.4%" in october  # no KPI met; the worst miss named
    assert rows.first.locator("td").nth(3).inner_text() == "1"  # its one overdue action


def test_a_single_history_event_is_a_quiet_line(page: Any, site_url: str) -> None:
    _load(page, site_url + "reviews/2026-q3-emea-enterprise/")
    lines = page.locator("p.rg-history-one")
    assert lines.count() >= 1
    assert page.locator("details.rg-history").count() + lines.count() == page.locator(".rg-action").count()
    size = "p => parseFloat(getComputedStyle(p).fontSize)"
    assert lines.first.evaluate(size) < page.locator("article p").first.evaluate(size)


def test_a_review_prints_on_a4_without_navigation(page: Any, site_url: str) -> None:
    _load(page, site_url + "reviews/2026-q3-east-sales/")
    page.emulate_media(media="print")
    for chrome in (".md-header", ".md-tabs", ".md-sidebar--primary", ".md-footer"):
        assert page.locator(chrome).first.evaluate("el => getComputedStyle(el).display") == "none", chrome
    assert page.locator("article h2").first.evaluate("h => getComputedStyle(h).breakAfter") == "avoid"
    # every table is whole on the paper: none starts left of the text or runs off its right edge
    edges = page.evaluate("""() => {
      const text = document.querySelector('article').getBoundingClientRect();
      return [...document.querySelectorAll('article table')].map(t => t.getBoundingClientRect())
        .filter(box => box.width > 0)
        .map(box => [box.left - text.left, text.right - box.right]);
    }""")
    assert edges and all(left >= -1 and right >= -1 for left, right in edges), edges
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("article details:not([open])").count() == 0
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.locator("article details:not([open])").count() > 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(format="A4", path=str(SHOTS / "review-zh.pdf"))
    assert pdf.startswith(b"%PDF")


@pytest.fixture(scope="module")
def instant_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fixture site with Material's instant loading, which needs site_url: the server's port comes first."""
    root = copy_knowledge_base(tmp_path_factory.mktemp("instant"))
    handler = functools.partial(_QuietHandler, directory=str(root / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("    - navigation.tabs\n", "    - navigation.tabs\n    - navigation.instant\n")
    (root / "mkdocs.yml").write_text(f"site_url: {url}\n{config}", encoding="utf-8")
    report = build_site(load_config(root / "mkdocs.yml"), TODAY, use_git=False, strict=True)
    assert report.ok
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()


def test_filters_work_after_an_instant_page_change(page: Any, instant_site_url: str) -> None:
    _load(page, instant_site_url)
    page.evaluate("window.rgSameDocument = true")
    page.click(".md-tabs__link[href$='lessons/']")
    page.wait_for_selector("#rg-lessons")
    assert page.evaluate("window.rgSameDocument") is True  # Material swapped the page, no reload
    page.wait_for_function("document.querySelector('.rg-count').textContent !== ''")
    page.select_option("select[name='type']", "failure")
    assert "type=failure" in page.url
    failures = page.locator(VISIBLE.format("rg-lessons")).count()
    page.click(".md-tabs__link[href$='actions/']")
    page.wait_for_selector("#rg-open")
    page.locator("#rg-open th[data-sort='due'] button").click()
    assert page.url.endswith("actions/?sort=due")
    page.go_back()
    page.wait_for_selector("#rg-lessons")
    page.wait_for_function("document.querySelector('.rg-count').textContent !== ''")
    assert page.locator("select[name='type']").input_value() == "failure"
    assert page.locator(VISIBLE.format("rg-lessons")).count() == failures


def _figures(page: Any) -> dict[str, Any]:
    """The tracker's tiles and its per-team and per-owner rows (hidden ones left out), as the reader sees them."""
    return page.evaluate("""() => ({
        tiles: Object.fromEntries(Array.from(document.querySelectorAll('.rg-cards [data-stat]'))
                                  .map((cell) => [cell.dataset.stat, cell.textContent])),
        teams: Array.from(document.querySelectorAll('table[data-summary-by=team] tbody tr:not([hidden])'))
               .map((row) => row.dataset.team),
        owners: Array.from(document.querySelectorAll(
                  'table[data-summary-by=owner]:not([data-active-only]) tbody tr:not([hidden])'))
                .map((row) => [row.dataset.owner, row.querySelector('[data-stat=actions]').textContent]),
        all: document.querySelectorAll('#rg-all tbody tr:not([hidden])').length,
    })""")


def test_action_filters_narrow_the_tiles_and_the_team_and_owner_tables(page: Any, site_url: str) -> None:
    _load(page, site_url + "actions/")
    unfiltered = _figures(page)
    every = page.locator("#rg-all tbody tr")
    states = set(every.evaluate_all("rows => rows.map(r => r.dataset.state)"))
    choices = set(page.locator("select[name='state'] option").evaluate_all("os => os.map(o => o.value)")) - {""}
    assert states <= choices and unfiltered["all"] == every.count()  # the state filter covers every action
    owner = "张伟"
    mine = every.evaluate_all(f"rows => rows.filter(r => r.dataset.owner === '{owner}').map(r => r.dataset.state)")
    assert 0 < len(mine) < every.count()
    _load(page, site_url + "actions/?owner=" + owner)
    narrowed = _figures(page)
    assert narrowed["all"] == len(mine)
    assert narrowed["owners"] == [[owner, str(len(mine))]]
    assert page.locator(".rg-count").inner_text() == f"{len(mine)} / {every.count()}"  # actions, each once
    assert narrowed["tiles"]["open"] == str(sum(s in ("open", "overdue") for s in mine))
    assert narrowed["tiles"]["overdue"] == str(mine.count("overdue"))
    done, countable = mine.count("done"), len(mine) - mine.count("cancelled") - mine.count("carried")
    assert narrowed["tiles"]["completion_rate"] == (f"{done / countable:.1%}".replace(".0%", "%") if countable else "")
    assert narrowed["tiles"] != unfiltered["tiles"] and len(narrowed["teams"]) < len(unfiltered["teams"])
    page.click("[data-filter-reset]")
    assert _figures(page) == unfiltered  # the recount gives the figures the build computed


def test_a_rate_without_actions_to_count_is_a_dash(page: Any, site_url: str) -> None:
    _load(page, site_url + "actions/?state=cancelled")
    tiles = _figures(page)["tiles"]
    assert tiles["open"] == "0" and tiles["completion_rate"] == tiles["on_time_rate"] == "—"


def test_a_list_the_filters_empty_is_a_sentence(page: Any, site_url: str) -> None:
    _load(page, site_url + "actions/?state=done")
    assert page.locator("#rg-overdue").is_hidden()
    assert page.locator("[data-empty-for='rg-overdue']").is_visible()
    page.click("[data-filter-reset]")
    assert page.locator("#rg-overdue").is_visible()
    assert page.locator("[data-empty-for='rg-overdue']").is_hidden()


@pytest.mark.parametrize("size", SIZES)
def test_no_chart_text_runs_past_its_charts_edge(browser: Any, site_url: str, size: str) -> None:
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        legend: list[str] = []
        # Project reviews are no points on a trend since charts keep one axis per cadence, so no legend here
        # names "Days from RFP to decision"; tests/unit/test_charts.py wraps long names.
        for path in ("metrics/", "teams/enterprise-sales-emea/"):
            _load(page, site_url + path)
            outside = page.evaluate("""() => Array.from(document.querySelectorAll('svg.rg-chart'))
                .filter((svg) => svg.getClientRects().length)
                .flatMap((svg) => Array.from(svg.querySelectorAll('text')).map((text) => {
                    const box = text.getBBox(), view = svg.viewBox.baseVal;
                    return {text: text.textContent, left: box.x, right: box.x + box.width, edge: view.width};
                }))
                .filter((t) => t.left < -0.5 || t.right > t.edge + 0.5)""")
            assert page.locator("svg.rg-chart").count() > 0, path
            assert outside == [], path
            legend += page.locator("svg.rg-chart text.rg-legend").all_text_contents()
        assert legend and not [t for t in legend if t.endswith("…")]  # wrapped, not cut
    finally:
        page.close()
