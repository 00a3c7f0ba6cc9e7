"""A follow-up row is drawn once per build for every page that shows it alike (SiteBuilder.follow_up_rows): an
action open for long is on the follow-up of each later review of its team. A page still shows the action as it
stood on its own meeting's day."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from markupsafe import Markup

from retrogen.core.status import State
from retrogen.engine.analysis import analyse
from retrogen.engine.loop import FollowUpRow
from retrogen.gate.config import load_config
from retrogen.site.pages import SiteBuilder, build_pages

from .conftest import TODAY


def test_a_row_is_drawn_once_for_every_page_of_its_language_and_folder(knowledge_base: Path) -> None:
    config = load_config(knowledge_base / "mkdocs.yml")
    analysis = analyse(config, TODAY, use_git=False)
    builder = SiteBuilder(analysis, config)
    review = next(r for r in analysis.knowledge_base.reviews if r.id == "2026-q3-emea-enterprise")
    row = analysis.follow_up(review).rows[0]
    drawn: list[FollowUpRow] = []

    def follow_up_row(shown: FollowUpRow) -> Markup:
        drawn.append(shown)
        return Markup(f"{shown.action.id} {shown.state}")

    def row_on(page: str, shown: FollowUpRow, language: str = "en") -> Markup:
        return builder.follow_up_rows(language, page)(follow_up_row)(shown)

    assert row_on("reviews/one.md", row) == row_on("reviews/two.md", replace(row)) == f"{row.action.id} {row.state}"
    assert len(drawn) == 1
    other_state = State.DONE if row.state != State.DONE else State.OPEN
    assert row_on("reviews/two.md", replace(row, state=other_state)) == f"{row.action.id} {other_state}"
    row_on("reviews/two.md", row, "zh")  # another language's words
    row_on("teams/two.md", row)  # links from another folder
    assert len(drawn) == 4


def test_each_page_shows_the_row_as_it_stood_on_its_meeting_s_day(knowledge_base: Path) -> None:
    """2026-q2-emea-enterprise's A2 was open at the Northwind deal's review and done by the next quarter's; its
    A1's verdict was pending, then achieved."""
    config = load_config(knowledge_base / "mkdocs.yml")
    pages = build_pages(analyse(config, TODAY, use_git=False), config)

    def badges(page: str, action: str) -> list[str]:
        line = next(line for line in pages[page].splitlines() if f"(2026-q2-emea-enterprise.md#{action})" in line)
        return re.findall(r'class="rg-badge rg-(\w+)"', line)

    assert badges("reviews/2026-northwind-fleet-deal.md", "a2") == ["open"]
    assert badges("reviews/2026-q3-emea-enterprise.md", "a2") == ["done"]
    assert badges("reviews/2026-northwind-fleet-deal.md", "a1")[-1] == "pending"
    assert badges("reviews/2026-q3-emea-enterprise.md", "a1")[-1] == "achieved"
