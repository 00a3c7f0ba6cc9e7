"""相关的过往经验 / Related past lessons on review pages, built from the labelled knowledge base."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from retrogen.engine.analysis import analyse
from retrogen.gate.config import load_config
from retrogen.site.pages import build_pages

from .conftest import TODAY

LABELLED = Path(__file__).resolve().parent.parent / "related"
LINK = re.compile(r"^- \[.+\]\(([\w-]+)\.md#([pl]\d+)\)", re.MULTILINE)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("labelled")
    shutil.copytree(LABELLED / "reviews", root / "reviews")
    shutil.copy(LABELLED / "mkdocs.yml", root / "mkdocs.yml")
    config = load_config(root / "mkdocs.yml")
    return build_pages(analyse(config, TODAY, use_git=False), config)


def related_links(page: str) -> list[tuple[str, str]]:
    return LINK.findall(page.split("{ #related data-search-exclude }")[1])


def test_a_review_page_links_up_to_five_items_of_other_reviews_at_their_anchors(pages: dict[str, str]) -> None:
    page = pages["reviews/2026-10-south-churn.md"]
    assert "## 相关的过往经验 { #related data-search-exclude }" in page
    links = related_links(page)
    assert 0 < len(links) <= 5 and links[0][0] == "2026-08-east-churn"
    reviews = [review for review, _ in links]
    assert "2026-10-south-churn" not in reviews
    assert max(map(reviews.count, reviews)) <= 2  # a reader meets more than one past review
    for review, anchor in links:  # every link lands on a problem's heading or a lesson's anchor
        target = pages[f"reviews/{review}.md"]
        assert f"{{ #{anchor} }}" in target or f'<a id="{anchor}"></a>' in target


def test_an_english_review_page_says_it_in_english(pages: dict[str, str]) -> None:
    page = pages["reviews/2026-q3-emea-churn.md"]
    assert "## Related past lessons { #related" in page and "相关的过往经验" not in page
    assert related_links(page)[0][0] == "2026-10-americas-churn"


def test_a_review_like_no_other_has_no_section(pages: dict[str, str]) -> None:
    assert "{ #related" not in pages["reviews/2026-06-office-move.md"]


def test_a_team_without_actions_is_listed_with_empty_figures(pages: dict[str, str]) -> None:
    """The labelled reviews have no actions: the teams index once failed on a team with no action summary."""
    index = pages["teams/index.md"]
    assert index.count("](../reviews/") >= 2
    assert "| 0 | 0 |" in index
