"""A review page leads with its result: the summary (KPIs met, the headline lesson, the actions, the verdicts
decided here) is within the first screen on a desktop and on a phone, before the review group."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import ARTIFACTS, browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.mark.parametrize("size", SIZES)
def test_the_summary_of_a_review_is_on_the_first_screen(browser: Any, site_url: str, size: str) -> None:
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(f"{site_url}reviews/2026-q3-east-sales/")
        page.wait_for_load_state("networkidle")
        summary = page.locator("section.rg-summary")
        box = summary.bounding_box()
        assert box is not None and box["y"] >= 0
        assert box["y"] + box["height"] < height, f"the summary ends at {box['y'] + box['height']}px of {height}"
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client, f"the review page at {width}px is {scroll}px wide"
        cards = summary.locator(".rg-summary-card")
        assert cards.count() == 4
        for index in range(cards.count()):
            card = cards.nth(index).bounding_box()
            assert card is not None and card["x"] >= 0 and card["x"] + card["width"] <= client + 0.5, (index, card)
        text = summary.inner_text()
        for shown in ("1/4 达成", "新客户数量 60%", "针对制造业客户", "张伟、刘洋、王芳", "2026-10-20", "未达成 1"):
            assert shown in text, (shown, text)
        group = page.locator("#group").bounding_box()
        assert group is not None and group["y"] > box["y"] + box["height"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"review-summary-{size}.png"))
    finally:
        page.close()
