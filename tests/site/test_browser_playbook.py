"""The playbook as a sales director reads it on a phone (390×844) and a desktop (1366×900): no date broken at
its hyphen ("2026-11-|30" was seen in its running text, and in the teams' list and a review's "done on"), and
each practice marked once, by its number, not by a bullet and a number ("• 1.")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .test_browser import ARTIFACTS, Watched, browser  # noqa: F401  (the module's Chromium, shared)
from .test_browser_phone_words import BROKEN

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = [(390, 844), (1366, 900)]
# Pages whose dates retrogen writes in running text (lists and sentences, not a table's date column)
DATED = [
    "playbook/",
    "teams/",
    "teams/hua-dong-xiao-shou-bu/",
    "teams/hua-nan-ke-hu-cheng-gong-bu/",
    "teams/enterprise-sales-emea/",
    "teams/inside-sales-apac/",
    "reviews/2026-q3-emea-enterprise/",
    "reviews/2026-10-east-sales/",
    "reviews/2025-q4-east-sales/",
]
# Every date the page itself writes, wherever it falls on a line, is in an element that keeps it on one line.
# Not the numbers behind a chart (.rg-data: its first column is wider than a date) and not what a review's
# author wrote (there are none on these pages).
LOOSE = r"""() => {
  const loose = [];
  const walker = document.createTreeWalker(document.querySelector('.md-content'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent.closest('svg, pre, code, table.rg-data')) { continue; }
    for (const match of node.textContent.matchAll(/\d{4}-\d{2}-\d{2}/g)) {
      let kept = false;
      for (let e = parent; e && !kept; e = e.parentElement) { kept = getComputedStyle(e).whiteSpace === 'nowrap'; }
      if (!kept) { loose.push(match[0]); }
    }
  }
  return loose;
}"""
# Each practice's item: its marker as drawn, the number it starts with, and where that number sits against the
# statement beside it.
PRACTICES = r"""() => [...document.querySelectorAll('.md-content li')]
  .filter((li) => li.parentElement.closest('li') === null && /^\s*\d+\.\s/.test(li.textContent))
  .map((li) => {
    const number = li.querySelector('.rg-n');
    const statement = [...li.querySelectorAll('strong')].find((s) => !s.closest('.rg-n'));
    return {
      bullet: getComputedStyle(li).listStyleType,
      number: number ? number.textContent : null,
      leftOf: number && statement ? number.getBoundingClientRect().right <= statement.getBoundingClientRect().left
        && number.getBoundingClientRect().top < statement.getBoundingClientRect().bottom : false,
    };
  })"""


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.mark.parametrize("size", SIZES, ids=["390x844", "1366x900"])
@pytest.mark.parametrize("path", DATED)
def test_no_date_breaks_at_its_hyphen(browser: Any, site_url: str, path: str, size: tuple[int, int]) -> None:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    try:
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        broken, loose = page.evaluate(BROKEN), page.evaluate(LOOSE)
        if broken or loose:
            _shot(page, f"dates-{path.strip('/').replace('/', '-')}-{size[0]}.png")
        assert broken == [], f"{path} at {size[0]} px: {broken} drawn over two lines"
        assert loose == [], f"{path} at {size[0]} px: {loose} free to break at the hyphen"
    finally:
        page.close()


def test_a_kept_date_is_copied_and_found_as_it_is_written(browser: Any, site_url: str) -> None:
    """A date kept whole is the same text: copied from the playbook it reads 2026-07-08, and search still finds
    a review by a due date drawn in the same way."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(site_url + "playbook/")
        copied = page.evaluate(
            """() => {
              const item = [...document.querySelectorAll('.md-content li li')].find((li) => li.querySelector('time'));
              getSelection().selectAllChildren(item);
              return getSelection().toString();
            }"""
        )
        assert re.search(r"\b\d{4}-\d{2}-\d{2}\b", copied), copied
    finally:
        page.close()
    watched = Watched(browser)
    try:
        watched.page.goto(site_url + "reviews/")
        found = watched.search("2026-11-30")
        assert any("reviews/2026-q3-emea-enterprise/" in location for location in found), found
    finally:
        watched.page.close()


@pytest.mark.parametrize("size", SIZES, ids=["390x844", "1366x900"])
def test_each_practice_is_marked_once_by_its_number(browser: Any, site_url: str, size: tuple[int, int]) -> None:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    try:
        page.goto(site_url + "playbook/")
        page.wait_for_load_state("networkidle")
        practices = page.evaluate(PRACTICES)
        _shot(page, f"playbook-{size[0]}.png")
        assert len(practices) >= 10
        # the numbers count on across the sections, as "see also: practice 9" cites them
        assert [p["number"] for p in practices] == [f"{n}." for n in range(1, len(practices) + 1)]
        assert {p["bullet"] for p in practices} == {"none"}, "a bullet before the number"
        assert all(p["leftOf"] for p in practices), "the number is not the item's marker, left of its statement"
        # items within a practice keep their bullets
        inner = page.evaluate("() => getComputedStyle(document.querySelector('.md-content li li')).listStyleType")
        assert inner == "disc"
    finally:
        page.close()
