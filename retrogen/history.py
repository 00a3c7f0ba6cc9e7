"""Each action's status over time, merged from its `updates` and from git history, and the knowledge
base's weekly series of open, overdue and done actions."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from retrogen.config import Config
from retrogen.loader import parse_text
from retrogen.model import Action, Review
from retrogen.vocabulary import OPEN_STATUSES, STATUSES

ActionKey = tuple[str, str]  # review id, action id
# On one day, the more specific source wins a tie: a dated update carries a note, git only a status.
_SOURCE_RANK = {"created": 0, "git": 1, "update": 2, "done_on": 3, "file": 4}
# The status of an action from the day a later review carries it forward: neither open nor overdue.
CARRIED = "carried"  # the same word as loop.State.CARRIED, which history cannot import


@dataclass(frozen=True)
class StatusEvent:
    date: date
    status: str
    source: str  # created, git, update, done_on, file or carried
    note: str = ""  # the update's note; for `carried`, the action it became (review-id:action-id)
    commit: str = ""


@dataclass
class GitHistory:
    """Statuses each action had in the commits that touched its review; `notice` says why there are none,
    or which past versions were skipped."""

    statuses: dict[ActionKey, list[StatusEvent]] = field(default_factory=dict)
    commits: int = 0
    notice: str | None = None


# Each git call may take this long (a lock or a slow disk must not hang a report for ever).
GIT_TIMEOUT = 60
# Versions named in the one notice about skipped versions; the rest are counted.
_NAMED_SKIPS = 3


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["git", "-C", str(root), "-c", "core.quotePath=false", *args], input=stdin,
                            capture_output=True, check=True, timeout=GIT_TIMEOUT)
    return result.stdout


def _without_history(reason: str) -> GitHistory:
    return GitHistory(notice=f"{reason}: action history comes from `updates` alone")


def read_git_history(root: Path, reviews_dir: Path, max_file_size: int = Config.max_file_size) -> GitHistory:
    """Read every committed version of every review with two git processes: one `log`, one `cat-file --batch`.

    History only adds detail, so it never stops a command: whatever git does, the answer is the history
    that could be read and at most one notice. Versions over `max_file_size`, or that do not load as a
    review mapping, are skipped as the working files would be.
    """
    try:
        return _read_git_history(root, reviews_dir, max_file_size)
    except FileNotFoundError:
        return _without_history("git is not installed")
    except subprocess.TimeoutExpired as exc:
        return _without_history(f"git did not answer within {exc.timeout:g} s")
    except (OSError, subprocess.CalledProcessError) as exc:
        return _without_history(f"git failed ({exc})")


def _read_git_history(root: Path, reviews_dir: Path, max_file_size: int) -> GitHistory:
    try:
        top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
    except subprocess.CalledProcessError:
        return _without_history("not a git repository")
    if _git(root, "rev-parse", "--is-shallow-repository").decode().strip() == "true":
        return GitHistory(notice="shallow clone, so no git history: action history comes from `updates` alone "
                          "(fetch with --unshallow for the full history)")
    try:
        log = _git(top, "log", "--format=commit %H %cI", "--name-only", "--diff-filter=AMR", "--no-renames",
                   "--", str(reviews_dir.resolve()))
    except subprocess.CalledProcessError:
        return _without_history("git has no commits yet")
    versions = list(_versions(log.decode("utf-8", "replace")))
    history = GitHistory(commits=len({sha for sha, _, _ in versions}))
    if not versions:
        return history
    batch = _git(top, "cat-file", "--batch", stdin="".join(f"{sha}:{path}\n" for sha, _, path in versions).encode())
    skipped = []
    for (sha, when, path), blob in zip(versions, _blobs(batch), strict=True):
        if blob is not None and not _record(history, sha, when, path, blob, max_file_size):
            skipped.append(f"{path}@{sha[:7]}")
    for events in history.statuses.values():
        events.reverse()  # git log lists the newest first
    if skipped:
        named = ", ".join(skipped[:_NAMED_SKIPS]) + (", …" if len(skipped) > _NAMED_SKIPS else "")
        history.notice = (f"git history: {len(skipped)} version{'s' if len(skipped) > 1 else ''} skipped "
                          f"(too large or not valid YAML): {named}")
    return history


_COMMIT_LINE = re.compile(r"commit ([0-9a-f]{40,64}) (\S+)")


def _versions(log: str) -> Iterator[tuple[str, date, str]]:
    sha, when = "", date.min
    for line in log.splitlines():
        commit = _COMMIT_LINE.fullmatch(line)
        if commit:
            sha, when = commit[1], datetime.fromisoformat(commit[2]).date()
        elif sha and line.endswith((".yaml", ".yml")):
            yield sha, when, line


def _blobs(batch: bytes) -> Iterator[memoryview | None]:
    """Each requested object's content, without copying it (None for a missing one)."""
    view = memoryview(batch)
    position = 0
    while position < len(batch):
        end = batch.index(b"\n", position)
        header = batch[position:end].split()
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            yield view[end + 1:end + 1 + size]
            position = end + 1 + size + 1
        else:
            yield None
            position = end + 1


def _record(history: GitHistory, sha: str, when: date, path: str, blob: memoryview, max_file_size: int) -> bool:
    """Add the statuses of one version; False when it is too large or does not load as a review mapping."""
    if len(blob) > max_file_size:
        return False  # never parsed: a 36 MB version would cost seconds and gigabytes on every run
    try:
        data = parse_text(Path(path), str(blob, "utf-8-sig")).data
    except Exception:  # any loader failure on a past version (a bug included) must not stop today's command
        return False
    review_id, actions = data.get("id"), data.get("actions")
    if not isinstance(review_id, str) or not isinstance(actions, list):
        return True  # a mapping that is not (yet) a review with actions: nothing to record, nothing wrong
    for action in actions:
        if isinstance(action, dict) and isinstance(action.get("id"), str):
            status = action.get("status", "not_started")
            if status in STATUSES:  # a misspelt status in an old commit is no status the reports can show
                event = StatusEvent(when, status, "git", commit=sha[:10])
                history.statuses.setdefault((review_id, action["id"]), []).append(event)
    return True


def action_timeline(review: Review, action: Action, git: Iterable[StatusEvent] = (),
                    carried: tuple[date, str] | None = None) -> list[StatusEvent]:
    """One dated, de-duplicated history: created at the review, then updates, commits and done_on, and,
    when a later review carries the action (`carried`: that review's day and the action it became),
    `carried` from that day on.

    The status it was created with is what the earliest evidence says, never invented: the earliest
    committed version of its review, unless updates or done_on record a change before that commit (a
    review committed after its actions moved), then not_started; else the status its review gives it (a
    cancelled action without updates was never open).
    """
    past = list(git)
    recorded = [u.date for u in action.updates] + ([action.done_on] if action.status == "done" and action.done_on
                                                   else [])
    if past and (not recorded or past[0].date <= min(recorded)):
        first = past[0].status  # the review was committed before any change it records
    elif recorded:
        first = "not_started"  # the updates (or done_on) record every change since
    else:
        first = action.status
    events = [StatusEvent(review.held_on, first, "created"), *past]
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
    return _carry(merged, *carried) if carried else merged


def _carry(events: list[StatusEvent], day: date, into: str) -> list[StatusEvent]:
    """An action still open when a later review carries it is `carried` from that day: it lives on in the
    action it became, so the open statuses its own review still gives it no longer count. Closing it later
    (done, cancelled) still shows."""
    if status_on(events, day) not in OPEN_STATUSES:
        return events
    before = [e for e in events if e.date < day]
    after = [e for e in events if e.date >= day and e.status not in OPEN_STATUSES]
    return [*before, StatusEvent(day, CARRIED, "carried", into), *after]


def status_on(timeline: list[StatusEvent], day: date) -> str | None:
    """The status on `day`, or None when the action did not exist yet."""
    status = None
    for event in timeline:
        if event.date > day:
            break
        status = event.status
    return status


def timelines(reviews: Iterable[Review], git: GitHistory | None = None,
              carried: dict[ActionKey, tuple[date, ActionKey]] | None = None) -> dict[ActionKey, list[StatusEvent]]:
    """Every action's timeline; `carried` maps an action to the day it was carried and the action it became."""
    return with_carries(written_timelines(reviews, git), carried or {})


def written_timelines(reviews: Iterable[Review], git: GitHistory | None = None) -> dict[ActionKey, list[StatusEvent]]:
    """Every action's timeline as its review's file and commits give it, without the carries of later
    reviews: the status each action had in its own review on any day."""
    statuses = git.statuses if git else {}
    return {(r.id, a.id): action_timeline(r, a, statuses.get((r.id, a.id), ())) for r in reviews for a in r.actions}


def with_carries(written: dict[ActionKey, list[StatusEvent]],
                 carried: dict[ActionKey, tuple[date, ActionKey]]) -> dict[ActionKey, list[StatusEvent]]:
    """The timelines of `written_timelines`, each action `carried` from the day a later review carried it."""
    return {key: _carry(events, carried[key][0], ":".join(carried[key][1])) if key in carried else events
            for key, events in written.items()}


def weekly_series(reviews: Iterable[Review], histories: dict[ActionKey, list[StatusEvent]],
                  today: date) -> pd.DataFrame:
    """Actions open (not yet overdue), overdue, and done as of every Sunday from the first meeting that
    agreed an action, and as of `today` last; cancelled actions drop out. An event dated before its
    meeting (a typo such as 0230 for 2030) counts from the first day, never stretches the series back.

    Each action's timeline becomes spans of dates per category; a span counts on the evaluation days it
    covers, found by binary search and added up with a difference array, so the cost grows with actions
    plus weeks, not with their product.
    """
    # Days as ordinals, not dates: a due date of 9999-12-31 has no next day as a date, but has one as a number.
    with_actions = [r for r in reviews if r.actions]
    dues = {(r.id, a.id): a.due.toordinal() for r in with_actions for a in r.actions}
    columns = ["week", "open", "overdue", "done"]
    start = min((r.held_on for r in with_actions), default=date.max)
    if start > today:
        return pd.DataFrame(columns=columns)
    first_sunday = start.toordinal() + 6 - start.weekday()
    ordinals = np.arange(first_sunday, today.toordinal() + 1, 7)
    if not len(ordinals) or ordinals[-1] != today.toordinal():
        ordinals = np.append(ordinals, today.toordinal())
    counts = {name: np.zeros(len(ordinals) + 1, dtype=np.int64) for name in columns[1:]}

    def add(name: str, start: int, end: int) -> None:
        """Count the span [start, end) on each evaluation day inside it."""
        if start < end:
            lo, hi = np.searchsorted(ordinals, [start, end])
            counts[name][lo] += 1
            counts[name][hi] -= 1

    never = date.max.toordinal() + 1
    for key, events in histories.items():
        ends = [e.date.toordinal() for e in events[1:]] + [never]
        for event, end in zip(events, ends, strict=True):
            begin = event.date.toordinal()
            if event.status in OPEN_STATUSES:
                overdue_from = dues[key] + 1
                add("open", begin, min(end, overdue_from))
                add("overdue", max(begin, overdue_from), end)
            elif event.status == "done":
                add("done", begin, end)
    weeks = [date.fromordinal(int(day)) for day in ordinals]
    return pd.DataFrame({"week": weeks, **{name: np.cumsum(c)[:-1] for name, c in counts.items()}})
