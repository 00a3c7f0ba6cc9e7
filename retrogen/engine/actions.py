"""The action tracker: every action's state as of a day, lateness, the closed loop's carries and verdicts,
and rates per group."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from retrogen.core.status import ACTIVE_STATES, OPEN_STATUSES, State, Status, TimelineStatus, state_of
from retrogen.engine.history import ActionKey, StatusEvent, status_on
from retrogen.engine.loop import DECIDED, ClosedLoop, Verdict
from retrogen.engine.metrics import ratio
from retrogen.engine.model import Action, Review

ACTION_COLUMNS = [
    "review",
    "id",
    "action",
    "owner",
    "team",
    "type",
    "due",
    "status",
    "state",
    "overdue",
    "done_on",
    "days_late",
    "on_time",
    "checkpoint",
    "addresses",
    "carried_from",
    "carried_to",
    "original_due",
    "carries",
    "slip_days",
    "expects_metric",
    "expects_target",
    "expects_by",
    "verification",
    "verified_by",
]
GROUPS = ("owner", "team", "type", "review")
# How long the overdue actions of an owner have been overdue: each bucket's column, and its first and last day
# (None: no last day). A week late is a nudge, a month late needs someone else's attention.
OVERDUE_AGES: tuple[tuple[str, int, int | None], ...] = (
    ("overdue_1_7", 1, 7),
    ("overdue_8_30", 8, 30),
    ("overdue_over_30", 31, None),
)
# What the follow-up list shows first: overdue, then open, then everything that needs no follow-up.
_FOLLOW_UP_RANK = {State.OVERDUE: 0, State.OPEN: 1}


@dataclass(frozen=True)
class ActionStates:
    """Every action that existed on a day, in its reviews' order, as parallel lists: what needs each action's
    timeline, worked out once for `actions_table` and for the commands that want no table (remind)."""

    teams: list[str]
    actions: list[Action]
    keys: list[ActionKey]
    statuses: list[TimelineStatus]
    states: list[State]
    done_ons: list[date | None]
    days_late: list[int | None]

    def chosen(
        self, states: Collection[State], *, team: str | None = None, owners: Collection[str] | None = None
    ) -> list[int]:
        """The positions of the actions in one of `states`, of `team` and of `owners` (when given), in order."""
        return [
            at
            for at, state in enumerate(self.states)
            if state in states
            and not (team and self.teams[at] != team)
            and (owners is None or self.actions[at].owner in owners)
        ]


def action_states(
    reviews: Iterable[Review],
    histories: dict[ActionKey, list[StatusEvent]],
    today: date,
    written: dict[ActionKey, list[StatusEvent]] | None = None,
) -> ActionStates:
    """Each action that existed on `today`, with its status and state as of that day (see actions_table)."""
    written = written or histories
    teams: list[str] = []
    shown: list[Action] = []
    keys: list[ActionKey] = []
    statuses: list[TimelineStatus] = []
    states: list[State] = []
    done_ons: list[date | None] = []
    days_late: list[int | None] = []
    for review in reviews:
        review_id, team = review.id, review.team
        for action in review.actions:
            key = (review_id, action.id)
            timeline = histories[key]
            own = written[key]
            status_then = status_on(timeline, today)
            status = status_then if own is timeline else status_on(own, today)
            if status_then is None or status is None:
                continue  # the review had not been held yet on that day
            due = action.due
            state = (_STATES_LATE if due < today else _STATES_IN_TIME)[status_then]
            done_on = None
            if state is State.DONE:
                done_on = action.done_on
                if done_on is None or done_on > today:
                    done_on = next(
                        (e.date for e in reversed(timeline) if e.status is Status.DONE and e.date <= today), None
                    )
            teams.append(team)
            shown.append(action)
            keys.append(key)
            statuses.append(status)
            states.append(state)
            done_ons.append(done_on)
            if done_on is not None:
                days_late.append(max(0, (done_on - due).days))
            elif state is State.OVERDUE:
                days_late.append((today - due).days)
            else:
                days_late.append(None)
    return ActionStates(teams, shown, keys, statuses, states, done_ons, days_late)


def actions_table(
    reviews: Iterable[Review],
    histories: dict[ActionKey, list[StatusEvent]],
    loop: ClosedLoop,
    today: date,
    written: dict[ActionKey, list[StatusEvent]] | None = None,
) -> pd.DataFrame:
    """One row per action that existed on `today`, with its status and state as of that day.

    status: what its review's file (and commits) said that day, from `written` (timelines without the carries
    of later reviews; default `histories`), never `carried`.
    state: open, overdue, done, cancelled or carried (continued by `carried_to` in a later review).
    days_late: for a done action, days past due when it was done (0 when on time); for an overdue one,
    days overdue so far; empty otherwise.
    original_due, carries, slip_days: the due date of the first action of its carry chain, the carries that
    led to it and its due date's days past the original (its own due date, 0 and 0 when it continues none).
    """
    return actions_frame(action_states(reviews, histories, today, written), loop)


def actions_frame(found: ActionStates, loop: ClosedLoop) -> pd.DataFrame:
    """actions_table of the actions' states: what needs each action's timeline was worked out action by
    action, the rest of the table is a column at a time (a row of 25 cells per action cost a quarter of a
    second at 10,000 reviews)."""
    carried, slips, verifications = loop.carried, loop.slips, loop.verifications
    teams, shown, keys, statuses = found.teams, found.actions, found.keys, found.statuses
    states, done_ons, days_late = found.states, found.done_ons, found.days_late
    if not shown:
        return pd.DataFrame([], columns=ACTION_COLUMNS).astype(_TYPES)
    word = _WORDS
    dues = [action.due for action in shown]
    slipped = [slips.get(key) for key in keys]  # none: it continues no action, and is its own original
    expected = [action.expects for action in shown]
    verified = [verifications.get(key) for key in keys]
    columns: dict[str, list[Any]] = {
        "review": [key[0] for key in keys],
        "id": [key[1] for key in keys],
        "action": [action.action for action in shown],
        "owner": [action.owner for action in shown],
        "team": teams,
        "type": [action.type for action in shown],
        "due": dues,
        "status": [word[status] for status in statuses],
        "state": [word[state] for state in states],
        "overdue": [state is State.OVERDUE for state in states],
        "done_on": done_ons,
        "days_late": days_late,
        "on_time": [None if done_on is None else done_on <= due for done_on, due in zip(done_ons, dues, strict=True)],
        "checkpoint": [action.checkpoint for action in shown],
        "addresses": [", ".join(action.addresses) for action in shown],
        "carried_from": [action.carried_from for action in shown],
        "carried_to": [
            ":".join(carried[key][1]) if state is State.CARRIED and key in carried else None
            for key, state in zip(keys, states, strict=True)
        ],
        "original_due": [slip.original_due if slip else due for slip, due in zip(slipped, dues, strict=True)],
        "carries": [slip.carries if slip else 0 for slip in slipped],
        "slip_days": [slip.slip_days if slip else 0 for slip in slipped],
        "expects_metric": [expects.metric if expects else None for expects in expected],
        "expects_target": [expects.target if expects else None for expects in expected],
        "expects_by": [expects.by if expects else None for expects in expected],
        "verification": [verification.verdict.value if verification else None for verification in verified],
        "verified_by": [verification.review if verification else None for verification in verified],
    }
    return pd.DataFrame(columns, columns=ACTION_COLUMNS).astype(_TYPES)


# Each status's and state's word, as its `.value` gives it (an enum's value is a property: 80,000 calls).
_WORDS: dict[TimelineStatus, str] = {member: member.value for member in (*Status, *State)}
_TYPES: dict[str, Any] = {"days_late": "Int64", "on_time": "boolean", "overdue": bool, "carries": int, "slip_days": int}


def _states_on(day: date) -> dict[TimelineStatus, State]:
    """Each timeline status's state (state_of) on `day` of an action due on the first day there is."""
    return {status: state_of(status, date.min, day) for status in (*Status, State.CARRIED)}


# The states of an action by its timeline's status, looked up (40,000 calls at 10,000 reviews): on a day
# up to its due date, and on a day after it.
_STATES_IN_TIME, _STATES_LATE = _states_on(date.min), _states_on(date.min + timedelta(days=1))


# --status of `retrogen actions`: a state (open includes overdue), or a status as the action's file gives it.
STATUS_FILTERS = (*(state.value for state in State), *(status.value for status in OPEN_STATUSES))


def filter_actions(
    actions: pd.DataFrame,
    *,
    owner: str | None = None,
    team: str | None = None,
    status: str | None = None,
    overdue: bool = False,
) -> pd.DataFrame:
    """The actions of one owner or team, in one state or status, or overdue."""
    keep = pd.Series(True, index=actions.index)
    if owner:
        keep &= actions["owner"] == owner
    if team:
        keep &= actions["team"] == team
    active = actions["state"].isin(ACTIVE_STATES)
    if status == State.OPEN:
        keep &= active
    elif status in OPEN_STATUSES:
        keep &= actions["status"] == status  # whatever its state: a carried action keeps its written status
    elif status:
        keep &= actions["state"] == status
    if overdue:
        keep &= actions["overdue"]
    return actions[keep]


def follow_up_order(actions: pd.DataFrame) -> pd.DataFrame:
    """The weekly follow-up list: overdue first (longest overdue on top), then open by due date, then the rest."""
    rank = actions["state"].map(_FOLLOW_UP_RANK).fillna(2)
    return (
        actions.assign(_rank=rank)
        .sort_values(["_rank", "due", "review", "id"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def slipped_order(actions: pd.DataFrame) -> pd.DataFrame:
    """The tracker's "slipped most" list: the latest action of every carry chain (not carried on again),
    the most days slipped first, then the most carries, then by due date."""
    latest = actions[(actions["carries"] > 0) & (actions["state"] != State.CARRIED)]
    return latest.sort_values(
        ["slip_days", "carries", "due", "review", "id"], ascending=[False, False, True, True, True], kind="stable"
    ).reset_index(drop=True)


def overdue_ages(actions: pd.DataFrame, by: str = "owner") -> pd.DataFrame:
    """Per owner (or other group) with an open action, who carries how much: the open actions (overdue
    included), the overdue ones and those by how many days overdue (OVERDUE_AGES: 1-7, 8-30, over 30),
    the longest overdue first, then the most open; owners with nothing open are left out."""
    active = actions[actions["state"].isin(ACTIVE_STATES)]
    late = active["days_late"].where(active["state"] == State.OVERDUE).astype(float)
    counts = {"open": active.groupby(by).size(), "overdue": late.notna().groupby(active[by]).sum()}
    for column, first, last in OVERDUE_AGES:
        inside = (late >= first) & (late <= last if last is not None else True)
        counts[column] = inside.groupby(active[by]).sum()
    frame = pd.DataFrame(counts).fillna(0).astype(int).rename_axis(by).reset_index()
    order = [column for column, _, _ in reversed(OVERDUE_AGES)] + ["open"]
    return frame.sort_values([*order, by], ascending=[*(False for _ in order), True], kind="stable").reset_index(
        drop=True
    )[[by, "open", "overdue", *(column for column, _, _ in OVERDUE_AGES)]]


def action_summary(actions: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Counts and rates overall or per owner, team, type or review; per owner also the overdue actions by how
    long overdue (the OVERDUE_AGES columns, as `overdue_ages` counts them).

    completion_rate = done / (all - cancelled - carried): a carried action goes on as another action, which
    is counted instead. on_time_rate = done on or before due / done. late counts the actions done after
    their due date or overdue today; mean_days_late_of_late is the mean of their days late, over those
    alone (an on-time action is no day late, not a zero that dilutes the mean; none late: empty).
    verification_rate = achieved / decided, where decided is achieved, missed or met_without_action: a target met
    while the action was not done by `by` counts as decided and not achieved (verified, not in achieved).
    """
    keys = actions[by] if by else pd.Series("all", index=actions.index, name="group")
    rows = []
    for group, part in actions.groupby(keys, sort=True):
        counts = part["state"].value_counts()
        done, cancelled, carried = (int(counts.get(s, 0)) for s in (State.DONE, State.CANCELLED, State.CARRIED))
        decided = int(part["verification"].isin(list(DECIDED)).sum())
        achieved = int((part["verification"] == Verdict.ACHIEVED).sum())
        days_late = part["days_late"].astype(float)
        late = days_late[days_late > 0]
        rows.append(
            {
                by or "group": group,
                "actions": len(part),
                "open": int(counts.get(State.OPEN, 0) + counts.get(State.OVERDUE, 0)),
                "overdue": int(counts.get(State.OVERDUE, 0)),
                "done": done,
                "cancelled": cancelled,
                "carried": carried,
                "completion_rate": ratio(done, len(part) - cancelled - carried),
                "on_time_rate": ratio(int(part["on_time"].fillna(False).sum()), done),
                "late": len(late),
                "mean_days_late_of_late": late.mean() if len(late) else float("nan"),
                "verified": decided,
                "achieved": achieved,
                "verification_rate": ratio(achieved, decided),
            }
        )
    columns = [
        by or "group",
        "actions",
        "open",
        "overdue",
        "done",
        "cancelled",
        "carried",
        "completion_rate",
        "on_time_rate",
        "late",
        "mean_days_late_of_late",
        "verified",
        "achieved",
        "verification_rate",
    ]
    summary = pd.DataFrame(rows, columns=columns)
    if by != "owner":
        return summary
    ages = [column for column, _, _ in OVERDUE_AGES]
    summary = summary.merge(overdue_ages(actions)[["owner", *ages]], on="owner", how="left")
    return summary.fillna(dict.fromkeys(ages, 0)).astype(dict.fromkeys(ages, int))
