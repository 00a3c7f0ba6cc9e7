"""Search results in a real Chromium show no U+200B: Material's search joins jieba's words with zero-width
spaces for its index, and results used to show (and a reader to copy) them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_browser import Watched, browser, watched  # noqa: F401 - the browser fixtures of test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("query", ["复购率", "决策链"])
def test_chinese_search_results_show_and_copy_no_zero_width_space(watched: Watched, site_url: str,  # noqa: F811
                                                                  built_site: Path, query: str) -> None:
    watched.page.goto(site_url)
    assert watched.search(query)
    shown = watched.page.locator(".md-search-result__list").evaluate("el => el.textContent")
    assert query in shown  # the word reads whole, as on the page
    assert "\u200b" not in shown
    # The index keeps the separators: they are how Material's search finds 复购率 in the middle of a sentence.
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert any("\u200b" in doc["text"] for doc in index["docs"])
