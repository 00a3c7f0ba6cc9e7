"""What a person sees, in a real headless Chromium (Debian's), against the built site on localhost."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from ..conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts"
# Flags for a closed network: without them Chromium keeps calling Google's hosts in the background.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = [
    "",
    "reviews/",
    "reviews/attack-review/",
    "reviews/2026-q3-east-sales/",
    "lessons/",
    "playbook/",
    "actions/",
    "metrics/",
    "tags/",
    "submit/",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser tests: install Debian's chromium (apt-get install -y chromium)")
        pytest.skip("no Chromium on this machine: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


class Watched:
    """A page that records every request and every dialog a script tries to open."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 1400})
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def search(self, query: str) -> list[str]:
        """Type a query into Material's search box; the locations of the results shown."""
        self.page.locator("label.md-search__icon, input.md-search__input").first.click()
        box = self.page.locator("input.md-search__input")
        # Chinese is entered through an input method, not keys; Material searches on key events, so a key
        # press after the text is what a person's input method produces too.
        box.fill(query)
        box.press("End")
        # Material's search runs in a worker: wait until the result count (or "no results") is shown.
        self.page.wait_for_function(
            "() => /\\d|没有|No matching/.test(document.querySelector('.md-search-result__meta')?.textContent || '')"
        )
        self.page.wait_for_timeout(300)
        links = self.page.locator(".md-search-result__link").evaluate_all("els => els.map(e => e.href)")
        return [link.split("/", 3)[3].split("?")[0] for link in links]


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    page = Watched(browser)
    yield page
    page.page.close()


INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) {
      const value = el.getAttribute(attr) || '';
      if (/^on/i.test(attr)) found.push(el.tagName + ' ' + attr);
      const link = /^(href|src|action|formaction|xlink:href)$/i.test(attr);
      if (link && /^\\s*javascript:/i.test(value)) found.push(el.tagName + ' ' + attr);
    }
  }
  for (const el of document.querySelectorAll('script')) {
    if (el.src && !el.src.startsWith(location.origin)) found.push('external script ' + el.src);
    if (!el.src && /alert/.test(el.textContent)) found.push('inline script');
  }
  for (const tag of ['iframe', 'object', 'embed', 'style:not([data-md-component])']) {
    for (const el of document.querySelectorAll('article ' + tag)) found.push(tag);
  }
  for (const el of document.querySelectorAll('article img, article svg:not(.rg-chart):not(.rg-chart *)')) {
    if (!el.closest('.rg-chart') && !el.closest('.rg-spark') && !el.closest('.md-icon')
        && !el.closest('.md-typeset .twemoji')) {
      found.push(el.tagName);
    }
  }
  return found;
}"""


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_offline_with_nothing_injected(watched: Watched, site_url: str, path: str) -> None:
    watched.page.goto(site_url + path)
    watched.page.wait_for_load_state("networkidle")
    assert watched.dialogs == []
    assert watched.page.evaluate(INJECTED) == []
    assert [url for url in watched.requests if not url.startswith(site_url)] == []


def test_attack_text_is_shown_as_plain_text(watched: Watched, site_url: str) -> None:
    watched.page.goto(site_url + "reviews/attack-review/")
    text = watched.page.locator("article").inner_text()
    for shown in (
        "<script>alert('title')</script>",
        "<img src=x onerror=alert('team')>",
        "[x](javascript:alert('applies'))",
        "<img src=x onerror=alert('action')>",
        "&lt;script&gt;alert('entity')&lt;/script&gt;",
        "## fake heading",
    ):
        assert shown in text, shown
    assert watched.page.title().startswith("<script>alert('title')</script>")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "复购率",
            {"reviews/2026-q1-east-sales/", "reviews/2026-q3-east-sales/", "reviews/2026-09-south-churn-spike/"},
        ),
        ("决策链", {"reviews/2026-q3-east-sales/"}),
        (
            "economic buyer",
            {
                "reviews/2026-northwind-fleet-deal/",
                "reviews/2026-q2-emea-enterprise/",
                "reviews/2026-q3-emea-enterprise/",
            },
        ),
        ("SPIN", {"reviews/2026-q3-east-sales/"}),
    ],
)
def test_search_in_chinese_and_english(watched: Watched, site_url: str, query: str, expected: set[str]) -> None:
    watched.page.goto(site_url)
    found = {location.split("#")[0] for location in watched.search(query)}
    assert expected <= found, found


def test_searching_the_attack_text_injects_nothing(watched: Watched, site_url: str) -> None:
    watched.page.goto(site_url)
    for query in ("alert", "onerror", "script", "javascript"):
        results = watched.search(query)
        assert any("attack-review" in r for r in results), query
        assert watched.page.evaluate(INJECTED.replace("article", ".md-search-result")) == []
    assert watched.dialogs == []


def test_actions_page_shows_overdue_rows(watched: Watched, site_url: str) -> None:
    watched.page.goto(site_url + "actions/")
    rows = watched.page.locator("#rg-overdue tbody tr.rg-is-overdue")
    # the two of the fixture as of 2026-11-20 and the attack review's; the older overdue actions of
    # 华东销售部 were carried into 2026-10-east-sales, so they are no longer overdue
    assert rows.count() == 3
    days_late = [int(row.split("\t")[4]) for row in rows.all_inner_texts()]
    assert days_late == sorted(days_late, reverse=True)  # longest overdue first
    texts = rows.all_inner_texts()
    assert any("计费规则变更前30天书面通知所有受影响客户" in row for row in texts)
    assert not any("将5%以内折扣的审批权下放给区域经理" in row for row in texts)  # carried
    color = rows.first.locator("td").first.evaluate("el => getComputedStyle(el).borderLeftColor")
    assert color == "rgb(221, 51, 51)"


def test_lessons_library_filters_by_type_tag_and_team(watched: Watched, site_url: str) -> None:
    watched.page.goto(site_url + "lessons/")
    rows = watched.page.locator("#rg-lessons tbody tr")
    total = rows.count()
    watched.page.select_option("select[data-filter='type']", "failure")
    failures = watched.page.locator("#rg-lessons tbody tr:not([hidden])").count()
    assert 0 < failures < total
    watched.page.select_option("select[data-filter='tags']", "决策链")
    # the failures tagged 决策链: one of 2026-q3-east-sales, one of 2026-10-east-sales
    assert watched.page.locator("#rg-lessons tbody tr:not([hidden])").count() == 2
    watched.page.select_option("select[data-filter='type']", "")
    watched.page.select_option("select[data-filter='tags']", "")
    watched.page.select_option("select[data-filter='team']", "Enterprise Sales EMEA")
    visible = watched.page.locator("#rg-lessons tbody tr:not([hidden])").all_inner_texts()
    assert visible and all("Enterprise Sales EMEA" in row for row in visible)


def test_charts_have_their_numbers_under_them(watched: Watched, site_url: str) -> None:
    watched.page.goto(site_url + "metrics/")
    figures = watched.page.locator(".rg-figure")
    assert figures.count() >= 4
    for index in range(figures.count()):
        figure = figures.nth(index)
        assert figure.locator("svg.rg-chart:visible").count() == 1  # drawn for phones and desktops, one shown
        assert figure.locator("table.rg-data tbody tr").count() >= 1
    assert "华东销售部" in watched.page.locator("article").inner_text()


def test_screenshots(watched: Watched, site_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for path, name in (
        ("", "dashboard.png"),
        ("reviews/2026-q3-east-sales/", "review-2026-q3-east-sales.png"),
        ("actions/", "actions.png"),
        ("metrics/", "metrics.png"),
    ):
        watched.page.goto(site_url + path)
        watched.page.wait_for_load_state("networkidle")
        watched.page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        assert (ARTIFACTS / name).stat().st_size > 10_000
