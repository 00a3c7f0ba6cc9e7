"""The tracker lists every action (twice for an overdue one): at 1,000 reviews its page was 3.4 MB, a third of
it markup repeated on each row. Each row carries what its cells show and what the filters and sort read, once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrogen.engine.analysis import analyse
from retrogen.gate.config import load_config
from retrogen.site.pages import build_pages

from .conftest import TODAY


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> str:
    from ..conftest import copy_knowledge_base

    root = copy_knowledge_base(tmp_path_factory.mktemp("kb"))
    config = load_config(Path(root) / "mkdocs.yml")
    return build_pages(analyse(config, TODAY, use_git=False), config)["actions.md"]


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr[ >](?!<th).*?</tr>", page)


def test_no_row_of_the_tracker_repeats_what_its_table_or_page_says_once(tracker: str) -> None:
    rows = [row for row in _rows(tracker) if "data-state=" in row]
    assert len(rows) > 30
    for row in rows:
        assert not re.search(r' data-\w+=""', row), row  # an empty figure is no attribute
        assert 'class="rg-nowrap"' not in row, row  # the table says it once (data-nowrap)
        assert "data-search-exclude" not in row, row  # the page is not in the search index at all
        assert "data-label" not in row, row  # a card's labels come from its column's header (retrogen.js)
    assert tracker.startswith("---\ntitle:") and "search:\n  exclude: true" in tracker.split("---")[1]
    assert len(re.findall(r'<table id="rg-\w+" data-cards data-nowrap', tracker)) >= 2


def test_a_row_still_carries_what_the_filters_and_the_sort_read(tracker: str) -> None:
    every = tracker.split('<table id="rg-all"')[1].split("</table>")[0]
    rows = _rows(every)
    assert all(re.search(r'data-team="[^"]+" data-owner="[^"]+" data-state="\w+" data-due="[\d-]+"', r) for r in rows)
    assert any('data-on_time="yes"' in r for r in rows) and any('data-verification="missed"' in r for r in rows)
    assert any("data-days_late=" in r for r in rows) and any("data-days_late=" not in r for r in rows)
    # What a row weighs now, per action: the action's link, owner, team, due date and state badge.
    assert len(every.encode()) / len(rows) < 520
