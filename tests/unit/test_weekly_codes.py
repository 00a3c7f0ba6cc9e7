"""Each action's state on each day of the tracker's weekly chart, spelt as runs (history.weekly_codes): added up
over any set of actions they are weekly_series of that set, which is what the chart redraws from in the browser."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from retrogen.core.status import Status
from retrogen.engine.analysis import analyse
from retrogen.engine.history import WEEK_LETTERS, StatusEvent, weekly_codes, weekly_series
from retrogen.gate.config import load_config

TODAY = date(2026, 11, 20)


def _add_up(codes: list[str], days: int) -> dict[str, list[int]]:
    totals = {name: [0] * days for name in WEEK_LETTERS}
    names = {letter: name for name, letter in WEEK_LETTERS.items()}
    for code in codes:
        day = 0
        for letter, count in re.findall(r"([-ovd])(\d+)", code):
            for _ in range(int(count)):
                if letter in names:
                    totals[names[letter]][day] += 1
                day += 1
        assert day == days, code  # every code spans every day
    return totals


@pytest.mark.parametrize("owner", [None, "张伟", "陈刚"])
def test_the_codes_of_any_set_of_actions_add_up_to_its_weekly_series(knowledge_base: Path, owner: str | None) -> None:
    analysis = analyse(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    days = list(analysis.weekly.tail(26)["week"])
    codes = weekly_codes(analysis.knowledge_base.reviews, analysis.histories, days)
    mine = {(r["review"], r["id"]) for r in analysis.actions.to_dict("records") if owner in (None, r["owner"])}
    histories = {key: events for key, events in analysis.histories.items() if key in mine}
    expected = weekly_series(analysis.knowledge_base.reviews, histories, TODAY)
    expected = expected[expected["week"].isin(days)]
    totals = _add_up([code for key, code in codes.items() if key in mine], len(days))
    assert {name: list(map(int, expected[name])) for name in WEEK_LETTERS} == totals
    assert any(totals["overdue"]) and any(totals["done"])


def test_a_code_is_runs_of_letters_and_an_action_outside_the_days_has_none() -> None:
    """Agreed on 11-05, due 11-10, never updated: nothing on 11-01, open on 11-08, overdue since."""
    action = SimpleNamespace(id="A1", due=date(2026, 11, 10))
    reviews: Any = [SimpleNamespace(id="r", actions=[action])]
    histories = {("r", "A1"): [StatusEvent(date(2026, 11, 5), Status.NOT_STARTED, "created")]}
    days = [date(2026, 11, d) for d in (1, 8, 15, 22)]
    assert weekly_codes(reviews, histories, days) == {("r", "A1"): "-1o1v2"}
    assert weekly_codes(reviews, histories, [date(2026, 10, 1)]) == {}
