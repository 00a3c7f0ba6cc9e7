"""The action tracker's figures on small reviews built by hand (issue 19, "Wrong today")."""

from __future__ import annotations

import math
from datetime import date

import pytest

from retrogen.core.status import Status, state_of
from retrogen.engine.actions import action_summary, actions_table, filter_actions
from retrogen.engine.history import timelines, with_carries, written_timelines
from retrogen.engine.loop import ClosedLoop, closed_loop
from retrogen.engine.model import Action

from .test_metrics import review

D = date.fromisoformat


def test_mean_days_late_is_over_the_late_actions_only() -> None:
    # 华东: five actions, three on time (0 days late), one done 5 days late, one 76 days overdue today.
    east = (
        Action("A1", "a", "张伟", D("2026-09-30"), status="done", done_on=D("2026-09-28")),
        Action("A2", "b", "张伟", D("2026-09-30"), status="done", done_on=D("2026-09-30")),
        Action("A3", "c", "李娜", D("2026-10-15"), status="done", done_on=D("2026-10-01")),
        Action("A4", "d", "王芳", D("2026-10-10"), status="done", done_on=D("2026-10-15")),
        Action("A5", "e", "王芳", D("2026-09-05"), status="in_progress"),
    )
    reviews = [review("east", team="华东", held_on=D("2026-09-01"), actions=east)]
    today = D("2026-11-20")
    table = actions_table(reviews, timelines(reviews), ClosedLoop(), today)
    by_team = action_summary(table, "team").set_index("team")
    assert by_team.loc["华东", "late"] == 2
    assert by_team.loc["华东", "mean_days_late_of_late"] == pytest.approx((5 + 76) / 2)  # 40.5, not 81 / 5
    assert by_team.loc["华东", "on_time_rate"] == pytest.approx(3 / 4)  # kept apart: on-time share of done
    by_owner = action_summary(table, "owner").set_index("owner")
    assert by_owner.loc["王芳", "mean_days_late_of_late"] == pytest.approx(40.5)
    assert by_owner.loc["张伟", "late"] == 0
    assert math.isnan(by_owner.loc["张伟", "mean_days_late_of_late"])  # nothing late: no mean, not 0


def test_status_is_what_the_file_says_and_state_what_it_is_now() -> None:
    from .test_loop import REVIEWS, TODAY

    loop = closed_loop(REVIEWS, TODAY)
    written = written_timelines(REVIEWS)
    table = actions_table(REVIEWS, with_carries(written, loop.carried), loop, TODAY, written)
    carried = table.set_index(["review", "id"]).loc[("q1", "A2")]
    assert (carried["status"], carried["state"], carried["carried_to"]) == ("in_progress", "carried", "q2:A1")
    found = filter_actions(table, status="in_progress")
    assert ("q1", "A2") in set(zip(found["review"], found["id"], strict=True))
    assert set(filter_actions(table, status="carried")["id"]) == {"A2"}
    assert filter_actions(table, status="open")["state"].isin(["open", "overdue"]).all()


@pytest.mark.parametrize("status", list(Status))
def test_a_state_on_the_due_date_and_the_day_after_is_state_of_the_status(status: Status) -> None:
    due = D("2026-10-31")
    done_on = D("2026-10-20") if status is Status.DONE else None
    reviews = [
        review("r", held_on=D("2026-10-01"), actions=(Action("A1", "a", "张伟", due, status=status, done_on=done_on),))
    ]
    for today in (due, D("2026-11-01"), D("2027-01-01")):
        table = actions_table(reviews, timelines(reviews), ClosedLoop(), today)
        assert table.loc[0, "state"] == state_of(status, due, today), today
        assert table.loc[0, "overdue"] == (state_of(status, due, today) == "overdue")
        assert table.loc[0, "done_on"] == done_on
