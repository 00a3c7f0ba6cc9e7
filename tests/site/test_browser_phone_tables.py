"""On a phone a review's wide tables scroll sideways in their own box: the key column (the metric, the action)
stays in view, every other column can be reached, and a fade on the right edge shows while columns are hidden."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import ARTIFACTS, browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The table's wrapper on the page, which of its tables, and the header of the table's key column.
TABLES = {
    "kpis": (".rg-kpis", 0, "指标"),
    "follow-up": (".rg-follow-up", 0, "措施"),
    "decided-here": (".rg-follow-up", 1, "措施"),
}
CUE_OPACITY = "el => Number(getComputedStyle(el, '::after').opacity)"


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box  # type: ignore[no-any-return]


@pytest.mark.parametrize("palette", ["light", "dark"])
@pytest.mark.parametrize("table", TABLES)
def test_every_column_of_a_review_table_is_within_reach_on_a_phone(
    browser: Any, site_url: str, table: str, palette: str
) -> None:
    wrapper, index, key_name = TABLES[table]
    page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme=palette)
    try:
        page.goto(f"{site_url}reviews/2026-q3-east-sales/")
        page.wait_for_load_state("networkidle")
        scroller = page.locator(f"{wrapper} .md-typeset__scrollwrap").nth(index)
        scroller.scroll_into_view_if_needed()
        headers = scroller.locator("thead th")
        key = headers.filter(has_text=key_name).first
        last = headers.last
        width, room = scroller.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert width > room, f"the {table} table fits the phone ({width}px in {room}px): nothing to test"
        view = _box(scroller)
        assert _box(last)["x"] >= view["x"] + view["width"], "the last column is already in view"
        page.wait_for_function(f"el => ({CUE_OPACITY})(el) > 0.9", arg=scroller.element_handle(), timeout=3000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"review-phone-{table}-{palette}-start.png"))

        scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
        page.wait_for_function(f"el => ({CUE_OPACITY})(el) < 0.1", arg=scroller.element_handle(), timeout=3000)
        view, key_box, last_box = _box(scroller), _box(key), _box(last)
        assert last_box["x"] + last_box["width"] <= view["x"] + view["width"] + 0.5, (last_box, view)
        assert key_box["x"] >= view["x"] - 0.5, f"the key column {key_name} left the view: {key_box}"
        assert last_box["x"] >= key_box["x"] + key_box["width"] - 0.5, "the key column covers the last one"
        # The key column hides what scrolls under it: its cells are painted in the page's own colour.
        page_colour = page.evaluate("getComputedStyle(document.body).backgroundColor")
        cell = scroller.locator("tbody tr").first.locator("td").nth(1)
        assert cell.evaluate("el => getComputedStyle(el).backgroundColor") == page_colour
        page.screenshot(path=str(ARTIFACTS / f"review-phone-{table}-{palette}-end.png"))
    finally:
        page.close()


def test_a_review_table_that_fits_shows_no_cue_and_keeps_its_width(browser: Any, site_url: str) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(f"{site_url}reviews/2026-q3-east-sales/")
        page.wait_for_load_state("networkidle")
        for wrapper, index, _ in TABLES.values():
            scroller = page.locator(f"{wrapper} .md-typeset__scrollwrap").nth(index)
            width, room = scroller.evaluate("el => [el.scrollWidth, el.clientWidth]")
            assert width <= room, f"{wrapper} does not fit a desktop"
            assert scroller.evaluate(CUE_OPACITY) == 0, f"{wrapper} shows the cue with nothing hidden"
        # The follow-up's table is as wide as its columns need, not stretched across the page.
        follow_up = page.locator(".rg-follow-up .md-typeset__scrollwrap").first
        assert _box(follow_up.locator("table"))["width"] < _box(follow_up)["width"] - 50
    finally:
        page.close()


@pytest.mark.parametrize("size", [(390, 844), (1366, 900)])
def test_the_action_plan_is_one_table_whose_rows_keep_their_anchors(
    browser: Any, site_url: str, size: tuple[int, int]
) -> None:
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(f"{site_url}reviews/2026-q3-east-sales/#a2")
        page.wait_for_load_state("networkidle")
        rows = page.locator("tr.rg-action")
        assert rows.count() == 3
        row = _box(page.locator("tr#a2"))
        assert 0 <= row["y"] < height, f"#a2 is not on the screen it links to: {row}"
        plan = page.locator("tr#a2").locator("xpath=ancestor::div[contains(@class, 'md-typeset__scrollwrap')]")
        scroll, room = plan.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert scroll <= room, f"the action plan is {scroll}px wide in {room}px"
        for shown in ("A2", "刘洋", "2026-11-01", "已结转"):
            assert shown in page.locator("tr#a2").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"review-actions-{width}.png"))
    finally:
        page.close()


def test_a_teams_past_reviews_keep_their_titles_readable_on_a_phone(browser: Any, site_url: str) -> None:
    """The team page's list of its reviews was a six-column table that squeezed each title into a column one
    character wide (a title nine lines tall); on a phone each review is a card whose title has the width."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{site_url}teams/hua-dong-xiao-shou-bu/")
        page.wait_for_load_state("networkidle")
        titles = page.locator("h2:has-text('历次复盘') ~ * a[href*='reviews/']")
        assert titles.count() >= 5
        line = float(titles.first.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
        for index in range(titles.count()):
            box = _box(titles.nth(index))
            assert box["height"] <= 2 * line + 1, f"{titles.nth(index).inner_text()} takes {box['height']}px"
        scroll, room = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= room
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "team-phone-reviews.png"))
    finally:
        page.close()


@pytest.mark.parametrize("review", ["2026-q3-east-sales", "attack-review"])
def test_a_reviews_facts_are_one_line_each_on_a_phone(browser: Any, site_url: str, review: str) -> None:
    """The kind, team, period and date were four columns on a phone, squeezing a team's name (and the kind) to a
    character or two a line; each is now a line of its own, its name beside it."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{site_url}reviews/{review}/")
        page.wait_for_load_state("networkidle")
        table = page.locator(".rg-meta table").first
        headers, cells = table.locator("th"), table.locator("td")
        assert headers.count() == cells.count() == 4
        for index in range(4):
            name, value = _box(headers.nth(index)), _box(cells.nth(index))
            assert abs(name["y"] - value["y"]) < 1, f"{headers.nth(index).inner_text()} is not beside its value"
            assert value["x"] > name["x"] + name["width"] - 1
        team = table.locator("td a").first
        line = float(team.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
        assert _box(team)["height"] <= line + 1, f"the team's name {team.inner_text()!r} wraps"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"review-phone-facts-{review}.png"))
    finally:
        page.close()


def test_the_metric_a_verdict_was_decided_on_stays_on_one_line_on_a_phone(browser: Any, site_url: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{site_url}reviews/2026-q3-east-sales/")
        page.wait_for_load_state("networkidle")
        table = page.locator(".rg-follow-up .md-typeset__scrollwrap").nth(1)
        cell = table.locator("tbody tr").first.locator("td").nth(2)
        assert cell.inner_text() == "平均跟进周期"
        lines = cell.evaluate(
            """el => { const range = document.createRange(); range.selectNodeContents(el);
                       return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size; }"""
        )
        assert lines == 1, f"the metric takes {lines} lines"
    finally:
        page.close()
