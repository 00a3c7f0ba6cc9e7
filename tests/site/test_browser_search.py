"""Search in a real Chromium: English words are found on a Chinese site (Material's Chinese pipeline used to stem
them in the index while every typed word is searched as an unstemmed prefix), and results show no U+200B
(Material's search joins jieba's words with zero-width spaces for its index, and results used to show, and a
reader to copy, them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_browser import Watched, browser, watched  # noqa: F401 - the browser fixtures of test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("query", ["复购率", "决策链"])
def test_chinese_search_results_show_and_copy_no_zero_width_space(
    watched: Watched,
    site_url: str,
    built_site: Path,
    query: str,
) -> None:
    watched.page.goto(site_url)
    assert watched.search(query)
    shown = watched.page.locator(".md-search-result__list").evaluate("el => el.textContent")
    assert query in shown  # the word reads whole, as on the page
    assert "\u200b" not in shown
    # The index keeps the separators: they are how Material's search finds 复购率 in the middle of a sentence.
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert any("\u200b" in doc["text"] for doc in index["docs"])


# Words of the fixture's English reviews that the stemmer changed (economic -> econom, deals -> deal), found
# on the pages that hold them; typed in any case, singular or plural.
ENGLISH = {
    "economic": "reviews/2026-northwind-fleet-deal/",
    "Economic buyer": "reviews/2026-northwind-fleet-deal/",
    "proposal": "reviews/2026-northwind-fleet-deal/",
    "discovery": "reviews/2026-11-apac-discovery-skills/",
    "pricing": "reviews/2026-northwind-fleet-deal/",
}
CHINESE = {"复购率": "reviews/2026-q3-east-sales/", "决策链": "reviews/2026-q3-east-sales/"}


@pytest.mark.parametrize(("query", "page"), [*ENGLISH.items(), *CHINESE.items()])
def test_english_and_chinese_words_find_their_pages(
    watched: Watched,
    site_url: str,
    query: str,
    page: str,
) -> None:
    watched.page.goto(site_url)
    found = watched.search(query)
    assert any(location.startswith(page) for location in found), (query, found)
