"""Each action's status over time, merged from its `updates` and from git history, and the knowledge
base's weekly series of open, overdue and done actions."""

from __future__ import annotations

import itertools
import operator
import re
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

import numpy as np
import pandas as pd

from retrogen.core.status import DEFAULT_STATUS, State, Status, TimelineStatus
from retrogen.engine.git_index import GitIndex, StoredReading
from retrogen.engine.model import Action, Review
from retrogen.gate.loader import parse_text
from retrogen.gate.settings import DEFAULTS

ActionKey = tuple[str, str]  # review id, action id
ActionIdentity = tuple[str, str, str]  # what an action does, its owner and its due date, as written
# On one day, the more specific source wins a tie: a dated update carries a note, git only a status.
_SOURCE_RANK = {"created": 0, "git": 1, "update": 2, "done_on": 3, "file": 4}
# An event while a timeline is put together: (day, its source's rank, status, source, note, commit).
_Event = tuple[date, int, TimelineStatus, str, str, str]
_DAY_AND_RANK = operator.itemgetter(0, 1)


class StatusEvent(NamedTuple):
    """One dated status of an action's timeline. A named tuple: a knowledge base of 10,000 reviews has
    120,000 of them, and a tuple is made in C (`_event`), where a frozen dataclass ran a Python __init__ that
    set each field in turn (a quarter of a second per command)."""

    date: date
    status: TimelineStatus  # a Status, or State.CARRIED from the day a later review carries the action
    source: str  # created, git, update, done_on, file or carried
    note: str = ""  # the update's note; for `carried`, the action it became (review-id:action-id)
    commit: str = ""


# A StatusEvent of its five fields, made by tuple.__new__ itself: StatusEvent(...) calls the named tuple's
# __new__, a Python function, on the way.
_event = cast(Callable[[type[StatusEvent], tuple[date, TimelineStatus, str, str, str]], StatusEvent], tuple.__new__)


@dataclass
class GitHistory:
    """Statuses each action had in the commits that touched its review; `notice` says why there are none,
    or which past versions were skipped."""

    statuses: dict[ActionKey, list[StatusEvent]] = field(default_factory=dict)
    # Each action as its latest committed version writes it: a working file that rewrites it whole
    # starts a new action, whose history is not these statuses.
    identities: dict[ActionKey, ActionIdentity] = field(default_factory=dict)
    commits: int = 0
    notice: str | None = None
    # The notice as a page says it to a reader: the words' key (core/words.py, git_history_<key>) and the
    # detail it names (a timeout's seconds, the skipped versions).
    notice_key: str | None = None
    notice_detail: str = ""
    cache_notices: list[str] = field(default_factory=list)  # the kept reading was damaged and read again

    @property
    def notices(self) -> list[str]:
        """What the person running a command should hear of it: why the history is short, and a kept reading
        that had to be read again."""
        return ([self.notice] if self.notice else []) + self.cache_notices


# Each git call may take this long (a lock or a slow disk must not hang a report for ever).
GIT_TIMEOUT = 60
# Versions named in the one notice about skipped versions; the rest are counted.
_NAMED_SKIPS = 3


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(
        ["git", "-C", str(root), "-c", "core.quotePath=false", *args],
        input=stdin,
        capture_output=True,
        check=True,
        timeout=GIT_TIMEOUT,
    )
    return result.stdout


def _without_history(reason: str, key: str, detail: str = "") -> GitHistory:
    return GitHistory(
        notice=f"{reason}: action history comes from `updates` alone", notice_key=key, notice_detail=detail
    )


def read_git_history(
    root: Path, reviews_dir: Path, max_file_size: int = DEFAULTS.max_file_size, *, cache: bool = True
) -> GitHistory:
    """Read every committed version of every review with two git processes: one `log`, one `cat-file --batch`.
    With `cache`, what earlier runs read is kept under .retrogen/ (engine/git_index.py) and only the commits
    made since are read: nothing at all when HEAD has not moved.

    History only adds detail, so it never stops a command: whatever git does, the answer is the history
    `updates` give, with a notice saying why."""
    try:
        return _read_git_history(root, reviews_dir, max_file_size, cache=cache)
    except FileNotFoundError:
        return _without_history("git is not installed", "no_git")
    except subprocess.TimeoutExpired as exc:
        return _without_history(f"git did not answer within {exc.timeout:g} s", "timeout", f"{exc.timeout:g}")
    except (OSError, subprocess.CalledProcessError) as exc:
        return _without_history(f"git failed ({exc})", "failed")


def _read_git_history(root: Path, reviews_dir: Path, max_file_size: int, *, cache: bool) -> GitHistory:
    try:
        top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
    except subprocess.CalledProcessError:
        return _without_history("not a git repository", "no_repository")
    if _git(root, "rev-parse", "--is-shallow-repository").decode().strip() == "true":
        return GitHistory(
            notice="shallow clone, so no git history: action history comes from `updates` alone "
            "(fetch with --unshallow for the full history)",
            notice_key="shallow",
        )
    try:
        head = _git(top, "rev-parse", "--verify", "HEAD").decode().strip()
    except subprocess.CalledProcessError:
        return _without_history("git has no commits yet", "no_commits")
    folder = reviews_dir.resolve()
    store = GitIndex.open(root, _relative(folder, top), max_file_size) if cache else None
    stored = store.load() if store else None
    reader = _Reader.resumed(stored.state, max_file_size) if stored else None
    if store and stored and reader is None:
        store.notices.append(f"{store.path}: unreadable (a malformed state); reading the git history again")
    if stored and reader and stored.head == head:
        return _finished(reader, stored.commits, store)  # no commit since the last run
    if stored and reader and _linear_since(top, stored.head):
        # Only commits on top of the last one read: the whole log would list the same commits, then these.
        changes = _log(top, folder, since=stored.head)
        commits = stored.commits + list(dict.fromkeys(sha for sha, _, _, _ in changes))
    else:
        changes = _log(top, folder)
        commits = list(dict.fromkeys(sha for sha, _, _, _ in changes))
        read_before = stored.commits if stored and reader else []
        if commits[: len(read_before)] != read_before:  # the history was rewritten under the stored reading
            reader, read_before = None, []
        new = set(commits[len(read_before) :])
        changes = [change for change in changes if change[0] in new]
    if reader is None:
        reader = _Reader(GitHistory(), max_file_size)
    versions = [(sha, path) for sha, _, path, deleted in changes if not deleted]
    batch = (
        _git(top, "cat-file", "--batch", stdin="".join(f"{sha}:{path}\n" for sha, path in versions).encode())
        if versions
        else b""
    )
    blobs = iter(_blobs(batch))
    for sha, commit in itertools.groupby(changes, key=lambda change: change[0]):
        reader.commit(
            sha, [(when, path, deleted, None if deleted else next(blobs)) for _, when, path, deleted in commit]
        )
    if store:
        store.save(StoredReading(head, commits, reader.state()))
    return _finished(reader, commits, store)


def _log(top: Path, folder: Path, since: str | None = None) -> list[tuple[str, date, str, bool]]:
    """Every change to a review file, oldest first, deletions included (an action's identity is decided in
    the order things happened); only those after commit `since` when given."""
    log = _git(
        top,
        "log",
        "--reverse",
        "--format=commit %H %cI",
        "--name-status",
        "--diff-filter=AMRD",
        "--no-renames",
        *([f"{since}..HEAD"] if since else []),
        "--",
        str(folder),
    )
    return list(_changes(log.decode("utf-8", "replace")))


def _linear_since(top: Path, commit: str) -> bool:
    """Whether HEAD is `commit` with commits of one parent each on top. Then the whole log is the log up to
    `commit` followed by the new commits; a merge (whose side branch may be older, or simplify the log
    differently) or a rewritten history is read in full."""
    try:
        _git(top, "merge-base", "--is-ancestor", commit, "HEAD")
    except subprocess.CalledProcessError:
        return False  # not an ancestor, or a commit git no longer has
    parents = _git(top, "rev-list", "--parents", f"{commit}..HEAD").decode().splitlines()
    return all(len(line.split()) == 2 for line in parents)


def _relative(folder: Path, top: Path) -> str:
    try:
        return folder.relative_to(top.resolve()).as_posix()
    except ValueError:
        return folder.as_posix()


def _finished(reader: _Reader, commits: list[str], store: GitIndex | None) -> GitHistory:
    """The history the commits give today: reviews deleted in the latest commits are left out."""
    reader.finish()
    history = reader.history
    history.commits = len(commits)
    skipped = reader.skipped
    if skipped:
        named = ", ".join(skipped[:_NAMED_SKIPS]) + (", …" if len(skipped) > _NAMED_SKIPS else "")
        history.notice = (
            f"git history: {len(skipped)} version{'s' if len(skipped) > 1 else ''} skipped "
            f"(too large or not valid YAML): {named}"
        )
        history.notice_key, history.notice_detail = "skipped", named
    history.cache_notices = store.notices if store else []
    return history


_COMMIT_LINE = re.compile(r"commit ([0-9a-f]{40,64}) (\S+)")


def _changes(log: str) -> Iterator[tuple[str, date, str, bool]]:
    """(commit, its day, path, deleted) of every review file each commit added, changed or deleted."""
    sha, when = "", date.min
    for line in log.splitlines():
        commit = _COMMIT_LINE.fullmatch(line)
        if commit:
            sha, when = commit[1], datetime.fromisoformat(commit[2]).date()
            continue
        change, _, path = line.partition("\t")
        if sha and change and path.endswith((".yaml", ".yml")):
            yield sha, when, path, change == "D"


def _blobs(batch: bytes) -> Iterator[memoryview | None]:
    """Each requested object's content, without copying it (None for a missing one)."""
    view = memoryview(batch)
    position = 0
    while position < len(batch):
        end = batch.index(b"\n", position)
        header = batch[position:end].split()
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            yield view[end + 1 : end + 1 + size]
            position = end + 1 + size + 1
        else:
            yield None
            position = end + 1


def action_identity(text: object, owner: object, due: object) -> ActionIdentity:
    return str(text), str(owner), str(due)


def _rewritten(before: ActionIdentity, after: ActionIdentity) -> bool:
    """A version that changes what the action does, its owner and its due date at once is another action
    under a reused id, not the same one edited."""
    return all(old != new for old, new in zip(before, after, strict=True))


class _Unreadable(Exception):
    """A past version too large to read, or that does not load as a mapping."""


@dataclass
class _Reader:
    """Reads review versions oldest first and keeps each action's events under its identity: its review and
    id as of the commits where that review existed. A review deleted (no file holds its id any more) and
    written again later is a new review; an action rewritten whole is a new action: their earlier events
    are dropped, never merged into today's action of the same id."""

    history: GitHistory
    max_file_size: int
    skipped: list[str] = field(default_factory=list)
    review_at: dict[str, str] = field(default_factory=dict)  # path -> id of the review its last version held
    paths_of: dict[str, set[str]] = field(default_factory=dict)  # review id -> the paths that hold it
    ended: set[str] = field(default_factory=set)  # reviews deleted since their last version
    action_ids: dict[str, set[str]] = field(default_factory=dict)  # review id -> ids of the actions recorded

    def commit(self, sha: str, files: list[tuple[date, str, bool, memoryview | None]]) -> None:
        """One commit's review files: (its day, path, deleted, content; None when git could not give it)."""
        touched = {self.review_at[path] for _, path, _, _ in files if path in self.review_at}
        for when, path, deleted, blob in files:
            if deleted:
                self._move(path, None)
                continue
            if blob is None:
                continue  # missing from the object store: nothing known about this version
            try:
                found = self._read(path, blob)
            except _Unreadable:
                self.skipped.append(f"{path}@{sha[:7]}")
                continue  # the file still holds whatever review it held
            self._move(path, found[0] if found else None)
            if found:
                self._record(sha, when, *found)
        self.ended |= {review_id for review_id in touched if not self.paths_of.get(review_id)}

    def state(self) -> dict[str, Any]:
        """What has been read, as plain data: the reading resumes from it (`resumed`) in a later run."""
        return {
            "review_at": self.review_at,
            "ended": sorted(self.ended),
            "action_ids": {review_id: sorted(ids) for review_id, ids in self.action_ids.items()},
            "skipped": self.skipped,
            "statuses": [
                [*key, [[event.date.isoformat(), str(event.status), event.commit] for event in events]]
                for key, events in self.history.statuses.items()
            ],
            "identities": [[*key, list(identity)] for key, identity in self.history.identities.items()],
        }

    @classmethod
    def resumed(cls, state: dict[str, Any], max_file_size: int) -> _Reader | None:
        """The reader `state` describes, or None when it is not what `state()` writes."""
        try:
            history = GitHistory()
            for review_id, action_id, events in state["statuses"]:
                history.statuses[(str(review_id), str(action_id))] = [
                    StatusEvent(date.fromisoformat(day), Status(status), "git", commit=str(commit))
                    for day, status, commit in events
                ]
            for review_id, action_id, (text, owner, due) in state["identities"]:
                history.identities[(str(review_id), str(action_id))] = (str(text), str(owner), str(due))
            reader = cls(history, max_file_size, skipped=[str(skip) for skip in state["skipped"]])
            for path, review_id in dict(state["review_at"]).items():
                reader._move(str(path), str(review_id))
            reader.ended = {str(review_id) for review_id in state["ended"]}
            reader.action_ids = {str(k): {str(i) for i in ids} for k, ids in dict(state["action_ids"]).items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return reader

    def finish(self) -> None:
        """Reviews deleted in the latest commits are not today's: their events go."""
        for review_id in self.ended:
            self._forget(review_id)
        self.ended.clear()

    def _read(self, path: str, blob: memoryview) -> tuple[str, list[Any]] | None:
        """(review id, actions) of a version; None for a mapping that is not (yet) a review; _Unreadable when
        it is too large or does not load."""
        if len(blob) > self.max_file_size:
            raise _Unreadable  # never parsed: a 36 MB version would cost seconds and gigabytes on every run
        try:
            data = parse_text(Path(path), str(blob, "utf-8-sig")).data
        except Exception as exc:  # any loader failure on a past version (a bug included) must not stop a command
            raise _Unreadable from exc
        review_id, actions = data.get("id"), data.get("actions")
        if not isinstance(review_id, str):
            return None
        return review_id, actions if isinstance(actions, list) else []

    def _move(self, path: str, review_id: str | None) -> None:
        old = self.review_at.pop(path, None)
        if old is not None:
            self.paths_of[old].discard(path)
        if review_id is not None:
            self.review_at[path] = review_id
            self.paths_of.setdefault(review_id, set()).add(path)

    def _forget(self, review_id: str) -> None:
        for action_id in self.action_ids.pop(review_id, set()):
            self.history.statuses.pop((review_id, action_id), None)
            self.history.identities.pop((review_id, action_id), None)

    def _record(self, sha: str, when: date, review_id: str, actions: list[Any]) -> None:
        if review_id in self.ended:  # written again after it was deleted: a new review
            self._forget(review_id)
            self.ended.discard(review_id)
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("id"), str):
                continue
            key = (review_id, action["id"])
            self.action_ids.setdefault(review_id, set()).add(action["id"])
            identity = action_identity(action.get("action"), action.get("owner"), action.get("due"))
            before = self.history.identities.get(key)
            if before is not None and _rewritten(before, identity):
                self.history.statuses.pop(key, None)
            self.history.identities[key] = identity
            status = Status.parse(action.get("status", DEFAULT_STATUS))
            if status is not None:  # a misspelt status in an old commit is no status the reports can show
                self.history.statuses.setdefault(key, []).append(StatusEvent(when, status, "git", commit=sha[:10]))


def action_timeline(
    review: Review, action: Action, git: Iterable[StatusEvent] = (), carried: tuple[date, str] | None = None
) -> list[StatusEvent]:
    """One dated, de-duplicated history: created at the review, then updates, commits and done_on, and,
    when a later review carries the action (`carried`: that review's day and the action it became),
    `carried` from that day on.

    The status it was created with is what the earliest evidence says, never invented: the earliest
    committed version of its review, unless updates or done_on record a change before that commit (a
    review committed after its actions moved), then not_started; else the status its review gives it (a
    cancelled action without updates was never open). Nothing is dated before the review's meeting.
    """
    past = list(git)
    held, now, updates = review.held_on, action.status, action.updates
    done_on = action.done_on if now is Status.DONE else None
    if not past and not updates and not done_on:  # nothing ever moved it: one event, as its review gives it
        merged = [_event(StatusEvent, (held, now, "created", "", ""))]
        return _carry(merged, *carried) if carried else merged
    recorded = [u.date for u in updates] + ([done_on] if done_on else [])
    first: TimelineStatus
    if past and (not recorded or past[0].date <= min(recorded)):
        first = past[0].status  # the review was committed before any change it records
    elif recorded:
        first = DEFAULT_STATUS  # the updates (or done_on) record every change since
    else:
        first = now
    # Events as tuples (day, source's rank, status, source, note, commit) until merged: the rank settles the
    # order of a day's events, and is no field of the event.
    events: list[_Event] = [(held, 0, first, "created", "", "")]
    if past:
        events += [(e.date, _SOURCE_RANK[e.source], e.status, e.source, e.note, e.commit) for e in past]
    events += [(u.date, 2, u.status, "update", u.note, "") for u in updates]
    if done_on:
        events.append((done_on, 3, Status.DONE, "done_on", "", ""))
    events.sort(key=_DAY_AND_RANK)
    # Nothing about an action is earlier than its meeting: a review committed (or an update dated) while it
    # was being prepared says what the action was on the day of the meeting, in the same order.
    if events[0][0] < held:
        events = [(held, *e[1:]) if e[0] < held else e for e in events]
    last = events[-1]
    if last[2] != now:  # the file's status is the latest word, even uncommitted
        events.append((last[0], 4, now, "file", "", ""))
    # A status repeated is no change: the first event of each run stays, with the run's first note.
    merged = []
    kept: StatusEvent | None = None
    for day, _, status, source, note, commit in events:
        if kept is not None and kept[1] == status:
            if note and not kept[3]:
                kept = merged[-1] = _event(StatusEvent, (kept[0], kept[1], kept[2], note, kept[4]))
            continue
        kept = _event(StatusEvent, (day, status, source, note, commit))
        merged.append(kept)
    return _carry(merged, *carried) if carried else merged


def _carry(events: list[StatusEvent], day: date, into: str) -> list[StatusEvent]:
    """An action still open when a later review carries it is `carried` from that day: it lives on in the
    action it became, so the open statuses its own review still gives it no longer count. Closing it later
    (done, cancelled) still shows."""
    if not _is_open(status_on(events, day)):
        return events
    before = [e for e in events if e.date < day]
    after = [e for e in events if e.date >= day and not _is_open(e.status)]
    return [*before, StatusEvent(day, State.CARRIED, "carried", into), *after]


def _is_open(status: TimelineStatus | None) -> bool:
    return isinstance(status, Status) and status.is_open


def status_on(timeline: list[StatusEvent], day: date) -> TimelineStatus | None:
    """The status on `day`, or None when the action did not exist yet."""
    status = None
    for event in timeline:
        if event.date > day:
            break
        status = event.status
    return status


def timelines(
    reviews: Iterable[Review],
    git: GitHistory | None = None,
    carried: dict[ActionKey, tuple[date, ActionKey]] | None = None,
) -> dict[ActionKey, list[StatusEvent]]:
    """Every action's timeline; `carried` maps an action to the day it was carried and the action it became."""
    return with_carries(written_timelines(reviews, git), carried or {})


def written_timelines(reviews: Iterable[Review], git: GitHistory | None = None) -> dict[ActionKey, list[StatusEvent]]:
    """Every action's timeline as its review's file and commits give it, without the carries of later
    reviews: the status each action had in its own review on any day."""
    statuses = git.statuses if git else {}
    identities = git.identities if git else {}

    def committed(review: Review, action: Action) -> list[StatusEvent]:
        key = (review.id, action.id)
        last = identities.get(key)
        if last is not None and _rewritten(last, action_identity(action.action, action.owner, action.due)):
            return []  # the working file rewrote it whole since the last commit: a new action
        return statuses.get(key, [])

    if not statuses and not identities:  # no git history (none read, or none committed): the files alone
        return {(r.id, a.id): action_timeline(r, a) for r in reviews for a in r.actions}
    return {(r.id, a.id): action_timeline(r, a, committed(r, a)) for r in reviews for a in r.actions}


def with_carries(
    written: dict[ActionKey, list[StatusEvent]], carried: dict[ActionKey, tuple[date, ActionKey]]
) -> dict[ActionKey, list[StatusEvent]]:
    """The timelines of `written_timelines`, each action `carried` from the day a later review carried it."""
    return {
        key: _carry(events, carried[key][0], ":".join(carried[key][1])) if key in carried else events
        for key, events in written.items()
    }


def weekly_series(
    reviews: Iterable[Review], histories: dict[ActionKey, list[StatusEvent]], today: date
) -> pd.DataFrame:
    """Actions open (not yet overdue), overdue, and done as of every Sunday from the first meeting that
    agreed an action, and as of `today` last; cancelled actions drop out. An action counts from its
    meeting (its timeline starts there), never from a commit or update dated before it.

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
    for _, name, begin, end in _spans(histories, dues):
        lo, hi = np.searchsorted(ordinals, [begin, end])
        counts[name][lo] += 1
        counts[name][hi] -= 1
    weeks = [date.fromordinal(int(day)) for day in ordinals]
    return pd.DataFrame({"week": weeks, **{name: np.cumsum(c)[:-1] for name, c in counts.items()}})


def _spans(
    histories: dict[ActionKey, list[StatusEvent]], dues: dict[ActionKey, int]
) -> Iterator[tuple[ActionKey, str, int, int]]:
    """Each action's timeline as (action, open/overdue/done, first day, day after the last), days as
    ordinals; empty spans left out."""
    never = date.max.toordinal() + 1
    for key, events in histories.items():
        ends = [e.date.toordinal() for e in events[1:]] + [never]
        for event, end in zip(events, ends, strict=True):
            begin = event.date.toordinal()
            if _is_open(event.status):
                overdue_from = dues[key] + 1
                spans = [("open", begin, min(end, overdue_from)), ("overdue", max(begin, overdue_from), end)]
            elif event.status is Status.DONE:
                spans = [("done", begin, end)]
            else:
                spans = []
            yield from ((key, name, start, stop) for name, start, stop in spans if start < stop)


# An action's state on a chart's day, one letter each: what weekly_codes spells.
WEEK_LETTERS = {"open": "o", "overdue": "v", "done": "d"}


def weekly_codes(
    reviews: Iterable[Review], histories: dict[ActionKey, list[StatusEvent]], days: list[date]
) -> dict[ActionKey, str]:
    """Each action's state on each of `days` (weekly_series' evaluation days), as runs of WEEK_LETTERS and
    "-" for none: "-3o2v21" is nothing for 3 days, open for 2, overdue for 21. Added up over a set of actions
    they give weekly_series of that set, which is how the tracker's chart follows its filters in the
    browser. An action that is nothing on every day is left out."""
    dues = {(r.id, a.id): a.due.toordinal() for r in reviews for a in r.actions}
    ordinals = np.array([day.toordinal() for day in days], dtype=np.int64)
    states: dict[ActionKey, list[str]] = {}
    for key, name, start, end in _spans(histories, dues):
        lo, hi = np.searchsorted(ordinals, [start, end])
        if lo < hi:
            row = states.setdefault(key, ["-"] * len(days))
            row[lo:hi] = [WEEK_LETTERS[name]] * int(hi - lo)
    return {
        key: "".join(f"{letter}{len(list(run))}" for letter, run in itertools.groupby(row))
        for key, row in states.items()
    }
