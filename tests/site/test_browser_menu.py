"""Review and team pages are not in the navigation (mkdocs.yml lists sections only), yet on a phone the menu
holds their table of contents, and on a desktop their section's tab is lit."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import ARTIFACTS, browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A page outside the navigation -> a heading far down its table of contents, and its section's tab.
PAGES = {
    "review": ("reviews/2026-q3-east-sales/", "改进行动", "复盘"),
    "team": ("teams/hua-dong-xiao-shou-bu/", "未完成与逾期行动", "团队"),
}


@pytest.mark.parametrize("palette", ["light", "dark"])
@pytest.mark.parametrize("kind", PAGES)
def test_the_phone_menu_jumps_within_a_page_outside_the_navigation(
    browser: Any, site_url: str, kind: str, palette: str
) -> None:
    path, heading, _ = PAGES[kind]
    page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme=palette)
    try:
        page.goto(f"{site_url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.scrollY") == 0
        page.locator(".md-header label[for=__drawer]").click()
        drawer = page.locator(".md-sidebar--primary")
        # The page itself, under its section, opens its table of contents.
        drawer.locator("label.md-nav__link[for=__toc]").click()
        link = drawer.locator(".md-nav--secondary a.md-nav__link", has_text=heading).first
        link.wait_for(state="visible", timeout=3000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"menu-{kind}-{palette}.png"))
        anchor = (link.get_attribute("href") or "").partition("#")[2]
        assert anchor, "the menu's entry links nowhere"
        link.click()
        page.wait_for_function("() => !document.querySelector('#__drawer').checked", timeout=3000)
        page.wait_for_function(
            "id => Math.abs(document.getElementById(id).getBoundingClientRect().top) < 150",
            arg=anchor,
            timeout=3000,
        )
        assert page.url.endswith(f"#{anchor}")
        assert page.evaluate("window.scrollY") > 400
    finally:
        page.close()


@pytest.mark.parametrize("kind", PAGES)
def test_a_page_outside_the_navigation_lights_its_sections_tab(browser: Any, site_url: str, kind: str) -> None:
    path, _, tab = PAGES[kind]
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(f"{site_url}{path}")
        page.wait_for_load_state("networkidle")
        active = page.locator(".md-tabs__item--active")
        assert active.count() == 1
        assert active.inner_text().strip() == tab
    finally:
        page.close()
