"""The words of the closed loop: an action's `Status` as its review writes it, and its `State` on a day as
every table, chart and page shows it.

The statuses are the schema's `actions.status` enum (a test keeps the two equal); this bottom layer reads no
schema, so they are written here once and nowhere else."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """What a review says of an action."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Whether work on the action may still be owed: neither done nor cancelled."""
        return self not in CLOSED_STATUSES

    @classmethod
    def parse(cls, value: object) -> Status | None:
        """The status a file writes, or None for no status of the vocabulary (a slip the schema reports)."""
        return cls(value) if isinstance(value, str) and value in _STATUS_WORDS else None


_STATUS_WORDS = frozenset(Status)
_BY_WORD: dict[str, Status] = {status.value: status for status in Status}


def as_status(value: Any) -> Status:
    """Status(value) by a dict lookup (the enum's call showed in profiles: it runs for every action and update
    of every review); a word that is no status raises ValueError as Status(value) does."""
    found = _BY_WORD.get(value) if isinstance(value, str) else None
    return found if found is not None else Status(value)


# The status an action has when its review states none.
DEFAULT_STATUS = Status.NOT_STARTED
CLOSED_STATUSES = frozenset({Status.DONE, Status.CANCELLED})
OPEN_STATUSES = tuple(status for status in Status if status not in CLOSED_STATUSES)


class State(StrEnum):
    """Where an action stands on a day: its status, overdue when open past its due date, and carried from the
    day a later review continues it."""

    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"
    CANCELLED = "cancelled"
    CARRIED = "carried"


ACTIVE_STATES = (State.OPEN, State.OVERDUE)
# A timeline's word on a day: a status its review gave it, or carried once a later review continues it.
TimelineStatus = Status | State
_CLOSED_STATES = {Status.DONE: State.DONE, Status.CANCELLED: State.CANCELLED}


def is_overdue(status: Status, due: date | None, day: date) -> bool:
    """Whether an action with `status` and `due` is overdue on `day`: still open after its due date."""
    return status.is_open and due is not None and due < day


def state_of(status: TimelineStatus, due: date, day: date) -> State:
    """One definition of an action's state for every table, chart and page: its status on `day` (from its
    timeline, where a carried action is `carried`), and overdue when open past its due date."""
    if isinstance(status, Status):
        if status.is_open:
            return State.OVERDUE if is_overdue(status, due, day) else State.OPEN
        return _CLOSED_STATES[status]
    if status is State.CARRIED:
        return status
    raise ValueError(f"{status!r} is no status of an action's timeline")
