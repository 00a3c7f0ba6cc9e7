"""Where the site's pages live, in both URL styles: relative links from any page, absolute ones with site_url."""

from __future__ import annotations

import pytest

from retrogen.formats import urls
from retrogen.formats.urls import SiteUrls

FOLDERS = SiteUrls(directory_urls=True, site_url="https://kb.example.com/sales")
FILES = SiteUrls(directory_urls=False, site_url="https://kb.example.com/sales/")


@pytest.mark.parametrize(
    ("page", "folders", "files"),
    [
        (urls.DASHBOARD, "", "index.html"),
        (urls.REVIEWS, "reviews/", "reviews/index.html"),
        (urls.TRACKER, "actions/", "actions.html"),
        (urls.review_page("2026-10-east"), "reviews/2026-10-east/", "reviews/2026-10-east.html"),
        (urls.team_page("team-1"), "teams/team-1/", "teams/team-1.html"),
        (urls.report_file("2026-10-east"), "reviews/2026-10-east.docx", "reviews/2026-10-east.docx"),
    ],
)
def test_a_page_is_where_mkdocs_writes_it(page: str, folders: str, files: str) -> None:
    assert (FOLDERS.path(page), FILES.path(page)) == (folders, files)


@pytest.mark.parametrize(
    ("place", "from_page", "folders", "files"),
    [
        (urls.item("r2", "A3"), urls.DASHBOARD, "reviews/r2/#a3", "reviews/r2.html#a3"),
        (urls.item("r2", "A3"), urls.TRACKER, "../reviews/r2/#a3", "reviews/r2.html#a3"),
        (urls.reference("r2:A3"), urls.review_page("r1"), "../r2/#a3", "r2.html#a3"),
        (urls.review("r2"), urls.REVIEWS, "r2/", "r2.html"),
        (urls.team("t"), urls.review_page("r1"), "../../teams/t/", "../teams/t.html"),
        (urls.Place(urls.DASHBOARD), urls.TRACKER, "../", "index.html"),
        (urls.Place(urls.DASHBOARD), urls.DASHBOARD, "./", "index.html"),
    ],
)
def test_relative_links_from_any_page(place: urls.Place, from_page: str, folders: str, files: str) -> None:
    assert (FOLDERS.href(place, from_page), FILES.href(place, from_page)) == (folders, files)


def test_absolute_links_need_a_site_url() -> None:
    action = urls.item("2026-10-east", "A2")
    assert FOLDERS.absolute(action) == "https://kb.example.com/sales/reviews/2026-10-east/#a2"
    assert FILES.absolute(action) == "https://kb.example.com/sales/reviews/2026-10-east.html#a2"
    assert SiteUrls().absolute(action) is None
    assert SiteUrls.of({"site_url": "https://x.example/", "use_directory_urls": False}) == SiteUrls(
        False, "https://x.example/"
    )


def test_markdown_links_are_relative_sources() -> None:
    assert urls.source_link(urls.item("r2", "L1"), urls.review_page("r1")) == "r2.md#l1"
    assert urls.source_link(urls.review("r2"), urls.team_page("t")) == "../reviews/r2.md"
    assert urls.source_link(urls.tracker("overdue"), urls.DASHBOARD) == "actions.md#overdue"
