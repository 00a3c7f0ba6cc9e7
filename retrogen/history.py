"""Each action's status over time, merged from its `updates` and from git history, and the knowledge
base's weekly series of open, overdue and done actions."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from retrogen.errors import ReviewFileError
from retrogen.loader import parse_text
from retrogen.model import OPEN, Action, Review

ActionKey = tuple[str, str]  # review id, action id
# On one day, the more specific source wins a tie: a dated update carries a note, git only a status.
_SOURCE_RANK = {"created": 0, "git": 1, "update": 2, "done_on": 3, "file": 4}


@dataclass(frozen=True)
class StatusEvent:
    date: date
    status: str
    source: str  # created, git, update, done_on or file
    note: str = ""
    commit: str = ""


@dataclass
class GitHistory:
    """Statuses each action had in the commits that touched its review; `notice` says why there are none."""

    statuses: dict[ActionKey, list[StatusEvent]] = field(default_factory=dict)
    commits: int = 0
    notice: str | None = None


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["git", "-C", str(root), "-c", "core.quotePath=false", *args], input=stdin,
                            capture_output=True, check=True)
    return result.stdout


def read_git_history(root: Path, reviews_dir: Path) -> GitHistory:
    """Read every committed version of every review with two git processes: one `log`, one `cat-file --batch`."""
    try:
        top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
        shallow = _git(root, "rev-parse", "--is-shallow-repository").decode().strip() == "true"
    except FileNotFoundError:
        return GitHistory(notice="git is not installed: action history comes from `updates` alone")
    except subprocess.CalledProcessError:
        return GitHistory(notice="not a git repository: action history comes from `updates` alone")
    if shallow:
        return GitHistory(notice="shallow clone, so no git history: action history comes from `updates` alone "
                          "(fetch with --unshallow for the full history)")
    try:
        log = _git(top, "log", "--format=commit %H %cI", "--name-only", "--diff-filter=AMR", "--no-renames",
                   "--", str(reviews_dir.resolve()))
    except subprocess.CalledProcessError:
        return GitHistory(notice="git has no commits yet: action history comes from `updates` alone")
    versions = list(_versions(log.decode("utf-8", "replace")))
    history = GitHistory(commits=len({sha for sha, _, _ in versions}))
    if not versions:
        return history
    batch = _git(top, "cat-file", "--batch", stdin="".join(f"{sha}:{path}\n" for sha, _, path in versions).encode())
    for (sha, when, path), blob in zip(versions, _blobs(batch), strict=True):
        if blob is not None:
            _record(history, sha, when, path, blob)
    for events in history.statuses.values():
        events.reverse()  # git log lists the newest first
    return history


def _versions(log: str) -> Iterator[tuple[str, date, str]]:
    sha, when = "", date.min
    for line in log.splitlines():
        if line.startswith("commit "):
            _, sha, stamp = line.split(" ", 2)
            when = datetime.fromisoformat(stamp).date()
        elif line.endswith((".yaml", ".yml")):
            yield sha, when, line


def _blobs(batch: bytes) -> Iterator[bytes | None]:
    position = 0
    while position < len(batch):
        end = batch.index(b"\n", position)
        header = batch[position:end].split()
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            yield batch[end + 1:end + 1 + size]
            position = end + 1 + size + 1
        else:
            yield None
            position = end + 1


def _record(history: GitHistory, sha: str, when: date, path: str, blob: bytes) -> None:
    try:
        data = parse_text(Path(path), blob.decode("utf-8-sig")).data
    except (ReviewFileError, UnicodeDecodeError):
        return  # a broken version in the past tells nothing about statuses
    review_id, actions = data.get("id"), data.get("actions")
    if not isinstance(review_id, str) or not isinstance(actions, list):
        return
    for action in actions:
        if isinstance(action, dict) and isinstance(action.get("id"), str):
            status = action.get("status", "not_started")
            if isinstance(status, str):
                event = StatusEvent(when, status, "git", commit=sha[:10])
                history.statuses.setdefault((review_id, action["id"]), []).append(event)


def action_timeline(review: Review, action: Action, git: Iterable[StatusEvent] = ()) -> list[StatusEvent]:
    """One dated, de-duplicated history: created at the review, then updates, commits and done_on."""
    events = [StatusEvent(review.held_on, "not_started", "created"), *git]
    events += [StatusEvent(u.date, u.status, "update", u.note) for u in action.updates]
    if action.status == "done" and action.done_on:
        events.append(StatusEvent(action.done_on, "done", "done_on"))
    events.sort(key=lambda e: (e.date, _SOURCE_RANK[e.source]))
    if events[-1].status != action.status:  # the file's status is the latest word, even uncommitted
        events.append(StatusEvent(events[-1].date, action.status, "file"))
    merged: list[StatusEvent] = []
    for event in events:
        if merged and merged[-1].status == event.status:
            if event.note and not merged[-1].note:
                merged[-1] = StatusEvent(merged[-1].date, event.status, merged[-1].source, event.note,
                                         merged[-1].commit)
            continue
        merged.append(event)
    return merged


def status_on(timeline: list[StatusEvent], day: date) -> str | None:
    """The status on `day`, or None when the action did not exist yet."""
    status = None
    for event in timeline:
        if event.date > day:
            break
        status = event.status
    return status


def timelines(reviews: Iterable[Review], git: GitHistory | None = None) -> dict[ActionKey, list[StatusEvent]]:
    statuses = git.statuses if git else {}
    return {(r.id, a.id): action_timeline(r, a, statuses.get((r.id, a.id), ())) for r in reviews for a in r.actions}


def weekly_series(reviews: Iterable[Review], histories: dict[ActionKey, list[StatusEvent]],
                  today: date) -> pd.DataFrame:
    """Actions open (not yet overdue), overdue, and done as of every Sunday, and as of `today` last;
    cancelled actions drop out.

    Each action's timeline becomes spans of dates per category; a span counts on the evaluation days it
    covers, found by binary search and added up with a difference array, so the cost grows with actions
    plus weeks, not with their product.
    """
    dues = {(r.id, a.id): a.due for r in reviews for a in r.actions}
    starts = [events[0].date for events in histories.values() if events]
    columns = ["week", "open", "overdue", "done"]
    if not starts or min(starts) > today:
        return pd.DataFrame(columns=columns)
    first = min(starts) + timedelta(days=6 - min(starts).weekday())
    days = [first + timedelta(weeks=w) for w in range((today - first).days // 7 + 1)]
    if not days or days[-1] != today:
        days.append(today)
    ordinals = np.array([d.toordinal() for d in days])
    counts = {name: np.zeros(len(days) + 1, dtype=np.int64) for name in columns[1:]}

    def add(name: str, start: date, end: date) -> None:
        """Count the span [start, end) on each evaluation day inside it."""
        if start < end:
            lo, hi = np.searchsorted(ordinals, [start.toordinal(), end.toordinal()])
            counts[name][lo] += 1
            counts[name][hi] -= 1

    for key, events in histories.items():
        ends = [e.date for e in events[1:]] + [date.max]
        for event, end in zip(events, ends, strict=True):
            if event.status in OPEN:
                overdue_from = dues[key] + timedelta(days=1)
                add("open", event.date, min(end, overdue_from))
                add("overdue", max(event.date, overdue_from), end)
            elif event.status == "done":
                add("done", event.date, end)
    return pd.DataFrame({"week": days, **{name: np.cumsum(c)[:-1] for name, c in counts.items()}})
