"""On a phone no date and no tag breaks across two lines: "2026-10-|12" and "#|需求挖掘" were seen in the themes
tables of the dashboard and the team pages and under a review's lessons, where a narrow column or a line's end
split them."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import ARTIFACTS, browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every date and every #tag in the page's text, with the lines it is drawn on.
BROKEN = r"""() => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector('.md-content'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('svg, pre, code')) { continue; }
    for (const match of node.textContent.matchAll(/#[^\s#·,;:()]+|\d{4}-\d{2}-\d{2}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
      if (tops.size > 1) { broken.push(match[0]); }
    }
  }
  return broken;
}"""
# The playbook and the teams' pages: test_browser_playbook.py, at both sizes.
PAGES = [
    "",
    "teams/hua-dong-xiao-shou-bu/",
    "reviews/2026-q3-east-sales/",
    "reviews/2026-q2-east-sales/",
    "lessons/",
    "actions/",
    "reviews/",
]


@pytest.mark.parametrize("path", PAGES)
def test_no_date_or_tag_breaks_across_lines_on_a_phone(browser: Any, site_url: str, path: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        broken = page.evaluate(BROKEN)
        if broken:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(
                path=str(ARTIFACTS / f"phone-broken-{path.replace('/', '_') or 'home'}.png"), full_page=True
            )
        assert broken == [], f"{path or 'dashboard'}: {broken}"
    finally:
        page.close()


def test_the_dashboards_recurring_themes_fit_a_phone(browser: Any, site_url: str) -> None:
    """With their dates kept whole, the themes' last column went past the screen's edge (in a box that scrolls,
    with nothing to say so); a phone's cells are narrower so that the table fits."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(site_url)
        page.wait_for_load_state("networkidle")
        box = page.locator("h2:has-text('反复出现的主题') ~ .md-typeset__scrollwrap").last
        width, room = box.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert width <= room, f"the themes table is {width}px wide in {room}px"
    finally:
        page.close()
