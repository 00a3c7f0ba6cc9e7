"""The closed loop's words: one Status (the schema's) and one State, and no unknown status taken for open."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from retrogen.core.status import DEFAULT_STATUS, OPEN_STATUSES, State, Status, as_status, state_of
from retrogen.engine.model import review_from_data
from retrogen.gate.vocabulary import STATUSES

DAY = date(2026, 3, 10)


def test_the_status_words_are_the_schemas() -> None:
    assert tuple(Status) == STATUSES


def test_open_statuses_are_those_neither_done_nor_cancelled() -> None:
    assert OPEN_STATUSES == (Status.NOT_STARTED, Status.IN_PROGRESS, Status.BLOCKED)
    assert DEFAULT_STATUS is Status.NOT_STARTED


@pytest.mark.parametrize(
    ("status", "due", "state"),
    [
        (Status.NOT_STARTED, date(2026, 3, 10), State.OPEN),
        (Status.BLOCKED, date(2026, 3, 9), State.OVERDUE),
        (Status.DONE, date(2026, 3, 9), State.DONE),
        (Status.CANCELLED, date(2026, 3, 9), State.CANCELLED),
        (State.CARRIED, date(2026, 3, 9), State.CARRIED),
    ],
)
def test_state_of_a_status_on_a_day(status: Status | State, due: date, state: State) -> None:
    assert state_of(status, due, DAY) is state


@pytest.mark.parametrize("word", ["finished", "open", "overdue", "done"])
def test_a_word_that_is_no_status_is_an_error_not_open(word: str) -> None:
    # Before, state_of("finished", ...) answered open: an unknown status silently counted as work owed.
    with pytest.raises(ValueError, match="no status"):
        state_of(word, date(2026, 3, 9), DAY)  # type: ignore[arg-type]


def test_parse_takes_only_the_vocabulary() -> None:
    assert Status.parse("blocked") is Status.BLOCKED
    assert Status.parse("finished") is None
    assert Status.parse(["done"]) is None
    assert Status.parse(None) is None


def test_a_typed_review_cannot_hold_an_unknown_status() -> None:
    data = {
        "id": "r",
        "title": "t",
        "kind": "project",
        "team": "east",
        "held_on": "2026-03-01",
        "objective": "o",
        "actions": [{"id": "A1", "action": "a", "owner": "Li Lei", "due": "2026-03-09", "status": "finished"}],
    }
    with pytest.raises(ValueError, match="finished"):
        review_from_data(data, Path("r.yaml"))
    data["actions"][0]["status"] = "blocked"  # type: ignore[index]
    assert review_from_data(data, Path("r.yaml")).actions[0].status is Status.BLOCKED


@pytest.mark.parametrize("value", [*STATUSES, *Status, "finished", "Done", 5, None])
def test_as_status_is_the_enums_call(value: object) -> None:
    try:
        expected = Status(value)
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc)):
            as_status(value)
    else:
        assert as_status(value) is expected
