"""The tables beside the charts: figures align right, to be compared by place; names read from the left."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_one_off_reviews_metric_and_unit_read_from_the_left(browser: Any, site_url: str) -> None:
    """The metrics page's table of one-off reviews set "Contract value" and "kEUR" flush right, like figures."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(f"{site_url}metrics/")
        page.wait_for_load_state("networkidle")
        row = page.locator("table.rg-data tr", has_text="Contract value").first
        align = "el => getComputedStyle(el).textAlign"
        cells = row.locator("td")
        texts = [cells.nth(i).inner_text() for i in range(cells.count())]
        names = {texts.index("Contract value"), texts.index("kEUR")}
        figures = {texts.index("1,200")}
        for index in names:
            assert cells.nth(index).evaluate(align) in {"left", "start"}, texts[index]
        for index in figures:
            assert cells.nth(index).evaluate(align) == "right", texts[index]
    finally:
        page.close()
