"""The action tracker: every action's status as of a day, overdue and lateness, and rates per group."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from retrogen.history import ActionKey, StatusEvent, status_on
from retrogen.metrics import ratio
from retrogen.model import OPEN, Review

ACTION_COLUMNS = ["review", "id", "action", "owner", "team", "type", "due", "status", "overdue", "done_on",
                  "days_late", "on_time", "checkpoint", "addresses"]
GROUPS = ("owner", "team", "type", "review")


def actions_table(reviews: Iterable[Review], histories: dict[ActionKey, list[StatusEvent]],
                  today: date) -> pd.DataFrame:
    """One row per action that existed on `today`, with its status as of that day.

    days_late: for a done action, days past due when it was done (0 when on time); for an open one past
    its due date, days overdue so far; empty otherwise.
    """
    rows = []
    for review in reviews:
        for action in review.actions:
            timeline = histories[(review.id, action.id)]
            status = status_on(timeline, today)
            if status is None:
                continue  # the review had not been held yet on that day
            done_on = next((e.date for e in reversed(timeline) if e.status == "done" and e.date <= today), None)
            if status == "done":
                done_on = action.done_on if action.done_on and action.done_on <= today else done_on
            else:
                done_on = None
            overdue = status in OPEN and action.due < today
            if done_on is not None:
                days_late: int | None = max(0, (done_on - action.due).days)
            elif overdue:
                days_late = (today - action.due).days
            else:
                days_late = None
            rows.append({
                "review": review.id, "id": action.id, "action": action.action, "owner": action.owner,
                "team": review.team, "type": action.type, "due": action.due, "status": status,
                "overdue": overdue, "done_on": done_on, "days_late": days_late,
                "on_time": None if done_on is None else done_on <= action.due,
                "checkpoint": action.checkpoint, "addresses": ", ".join(action.addresses),
            })
    frame = pd.DataFrame(rows, columns=ACTION_COLUMNS)
    return frame.astype({"days_late": "Int64", "on_time": "boolean", "overdue": bool})


def follow_up_order(actions: pd.DataFrame) -> pd.DataFrame:
    """The weekly follow-up list: overdue first (longest overdue on top), then open by due date, then the rest."""
    rank = actions["overdue"].map({True: 0, False: 1}) + (~actions["status"].isin(OPEN)).astype(int)
    return (actions.assign(_rank=rank).sort_values(["_rank", "due", "review", "id"], kind="stable")
            .drop(columns="_rank").reset_index(drop=True))


def action_summary(actions: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Counts and rates overall or per owner, team, type or review.

    completion_rate = done / (all - cancelled); on_time_rate = done on or before due / done.
    """
    keys = actions[by] if by else pd.Series("all", index=actions.index, name="group")
    rows = []
    for group, part in actions.groupby(keys, sort=True):
        done = int((part["status"] == "done").sum())
        cancelled = int((part["status"] == "cancelled").sum())
        rows.append({
            by or "group": group, "actions": len(part), "open": int(part["status"].isin(OPEN).sum()),
            "overdue": int(part["overdue"].sum()), "done": done, "cancelled": cancelled,
            "completion_rate": ratio(done, len(part) - cancelled),
            "on_time_rate": ratio(int(part["on_time"].fillna(False).sum()), done),
            "mean_days_late": part.loc[part["status"] == "done", "days_late"].astype(float).mean(),
        })
    columns = [by or "group", "actions", "open", "overdue", "done", "cancelled", "completion_rate", "on_time_rate",
               "mean_days_late"]
    return pd.DataFrame(rows, columns=columns)
