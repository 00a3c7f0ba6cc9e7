from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from retrogen.engine.actions import action_summary, actions_table, follow_up_order
from retrogen.engine.history import StatusEvent, action_timeline, read_git_history, status_on, timelines, weekly_series
from retrogen.engine.loop import ClosedLoop
from retrogen.engine.model import Action, Update, load_knowledge_base
from retrogen.gate.check import read_knowledge_base
from retrogen.gate.config import load_config

from ..conftest import EXAMPLES

SOURCE = (EXAMPLES / "invalid" / "rg201-overdue.yaml").read_text().split("\n", 1)[1]  # drop the expect line


def git(repo: Path, *args: str, when: str = "2026-10-01T12:00:00+08:00") -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def write(repo: Path, status: str, extra: str = "") -> None:
    text = SOURCE.replace("id: rg201-overdue", "id: pilot").replace("status: in_progress", f"status: {status}")
    (repo / "reviews" / "pilot.yaml").write_text(text + extra)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "reviews").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n")
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, "not_started")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "review", when="2026-10-02T09:00:00+08:00")
    write(tmp_path, "in_progress")
    git(tmp_path, "commit", "-qam", "started", when="2026-10-09T09:00:00+08:00")
    (tmp_path / "reviews" / "pilot.yaml").write_text("broken: [\n")
    git(tmp_path, "commit", "-qam", "oops", when="2026-10-10T09:00:00+08:00")
    write(tmp_path, "blocked")
    git(tmp_path, "commit", "-qam", "blocked", when="2026-10-16T09:00:00+08:00")
    write(tmp_path, "done", "    done_on: 2026-10-28\n")
    git(tmp_path, "commit", "-qam", "done", when="2026-10-29T09:00:00+08:00")
    return tmp_path


def test_git_history_gives_each_commits_status(repo: Path) -> None:
    history = read_git_history(repo, repo / "reviews")
    assert history.notice is not None and history.notice.startswith("git history: 1 version skipped")
    assert history.commits == 5
    events = history.statuses[("pilot", "A1")]
    assert [(e.date, e.status) for e in events] == [
        (date(2026, 10, 2), "not_started"),
        (date(2026, 10, 9), "in_progress"),
        (date(2026, 10, 16), "blocked"),
        (date(2026, 10, 29), "done"),
    ]  # the broken version is skipped


def test_timeline_merges_git_updates_and_done_on(repo: Path) -> None:
    config = load_config(repo / "mkdocs.yml")
    kb = load_knowledge_base(read_knowledge_base(config, date(2026, 11, 20)), config, date(2026, 11, 20))
    histories = timelines(kb.reviews, read_git_history(repo, repo / "reviews"))
    events = histories[("pilot", "A1")]
    assert [(e.date, e.status, e.source) for e in events] == [
        (date(2026, 10, 1), "not_started", "created"),
        (date(2026, 10, 9), "in_progress", "git"),
        (date(2026, 10, 16), "blocked", "git"),
        (date(2026, 10, 28), "done", "done_on"),
    ]
    assert status_on(events, date(2026, 10, 20)) == "blocked"
    assert status_on(events, date(2026, 9, 1)) is None
    table = actions_table(kb.reviews, histories, ClosedLoop(), date(2026, 10, 20))
    assert table.loc[0, "status"] == "blocked" and bool(table.loc[0, "overdue"]) is False
    table = actions_table(kb.reviews, histories, ClosedLoop(), date(2026, 10, 25))
    assert bool(table.loc[0, "overdue"]) is True and table.loc[0, "days_late"] == 5


def test_shallow_clone_uses_updates_alone(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    clone = tmp_path_factory.mktemp("clone") / "c"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True)
    history = read_git_history(clone, clone / "reviews")
    assert history.notice is not None and "shallow" in history.notice
    assert history.statuses == {}


def test_no_repository_and_no_commits(tmp_path: Path) -> None:
    (tmp_path / "reviews").mkdir()
    assert "not a git repository" in (read_git_history(tmp_path, tmp_path / "reviews").notice or "")
    git(tmp_path, "init", "-q")
    assert "no commits" in (read_git_history(tmp_path, tmp_path / "reviews").notice or "")


def test_no_git_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("git") is None
    assert "not installed" in (read_git_history(tmp_path, tmp_path).notice or "")


def action(status: str, updates: tuple[Update, ...] = (), done_on: date | None = None) -> Action:
    return Action(
        id="A1", action="a", owner="o", due=date(2026, 10, 20), status=status, done_on=done_on, updates=updates
    )


def test_timeline_deduplicates_and_keeps_notes() -> None:
    from .test_metrics import review

    r = review("r", held_on=date(2026, 10, 1))
    git_events = [
        StatusEvent(date(2026, 10, 5), "in_progress", "git", commit="abc"),
        StatusEvent(date(2026, 10, 5), "in_progress", "git", commit="abd"),
    ]
    a = action(
        "done",
        (Update(date(2026, 10, 5), "in_progress", "kick-off"), Update(date(2026, 10, 19), "done", "")),
        done_on=date(2026, 10, 19),
    )
    events = action_timeline(r, a, git_events)
    # The earliest committed version (10-05) says in_progress: that is its status from the meeting on,
    # not an invented not_started; the same status again from git and the update adds only the note.
    assert [(e.date, e.status, e.note) for e in events] == [
        (date(2026, 10, 1), "in_progress", "kick-off"),
        (date(2026, 10, 19), "done", ""),
    ]
    no_git = action_timeline(r, a)  # without git, the updates record the changes since not_started
    assert [(e.date, e.status) for e in no_git] == [
        (date(2026, 10, 1), "not_started"),
        (date(2026, 10, 5), "in_progress"),
        (date(2026, 10, 19), "done"),
    ]


def test_an_action_cancelled_without_updates_was_never_open() -> None:
    from .test_metrics import review

    events = action_timeline(review("r", held_on=date(2026, 10, 1)), action("cancelled"))
    assert [(e.date, e.status) for e in events] == [(date(2026, 10, 1), "cancelled")]


def test_an_action_that_never_moved_has_its_one_event_then_its_carry() -> None:
    from .test_metrics import review

    r = review("r", held_on=date(2026, 10, 1))
    assert action_timeline(r, action("blocked")) == [StatusEvent(date(2026, 10, 1), "blocked", "created")]
    events = action_timeline(r, action("in_progress"), carried=(date(2026, 11, 1), "q2:A1"))
    assert [(e.date, e.status, e.source, e.note, e.commit) for e in events] == [
        (date(2026, 10, 1), "in_progress", "created", "", ""),
        (date(2026, 11, 1), "carried", "carried", "q2:A1", ""),
    ]
    assert all(type(e) is StatusEvent for e in events)
    # Closed before the carry: nothing to carry, the action stays done.
    done = action_timeline(r, action("done", done_on=date(2026, 10, 9)), carried=(date(2026, 11, 1), "q2:A1"))
    assert [(e.date, e.status) for e in done] == [(date(2026, 10, 1), "not_started"), (date(2026, 10, 9), "done")]


def test_file_status_is_the_latest_word() -> None:
    from .test_metrics import review

    events = action_timeline(
        review("r", held_on=date(2026, 10, 1)), action("cancelled", (Update(date(2026, 10, 3), "in_progress"),))
    )
    assert events[-1].status == "cancelled" and events[-1].date == date(2026, 10, 3)


def test_rates_and_weekly_series() -> None:
    from .test_metrics import review

    actions = (
        Action(id="A1", action="a", owner="x", due=date(2026, 10, 10), status="done", done_on=date(2026, 10, 8)),
        Action(id="A2", action="b", owner="x", due=date(2026, 10, 10), status="done", done_on=date(2026, 10, 14)),
        Action(id="A3", action="c", owner="y", due=date(2026, 10, 12), status="in_progress"),
        Action(id="A4", action="d", owner="y", due=date(2026, 10, 30), status="cancelled"),
    )
    r = review("r", held_on=date(2026, 10, 1), actions=actions)
    histories = timelines([r])
    today = date(2026, 10, 20)
    table = actions_table([r], histories, ClosedLoop(), today)
    overall = action_summary(table).iloc[0]
    assert overall["completion_rate"] == pytest.approx(2 / 3)  # done / (all - cancelled)
    assert overall["on_time_rate"] == 0.5
    assert list(follow_up_order(table)["id"]) == ["A3", "A1", "A2", "A4"]
    assert list(table.set_index("id")["days_late"]) == [0, 4, 8, pd_na()]
    by_owner = action_summary(table, "owner").set_index("owner")
    assert by_owner.loc["y", "overdue"] == 1 and by_owner.loc["x", "done"] == 2
    weekly = weekly_series([r], histories, today)
    # Sundays 10-04, 10-11, 10-18, then today (10-20); A4 was cancelled from the start
    assert [d.isoformat() for d in weekly["week"]] == ["2026-10-04", "2026-10-11", "2026-10-18", "2026-10-20"]
    assert weekly[["open", "overdue", "done"]].values.tolist() == [[3, 0, 0], [1, 1, 1], [0, 1, 2], [0, 1, 2]]


def pd_na() -> object:
    import pandas as pd

    return pd.NA


def test_a_review_committed_after_its_actions_moved_starts_from_its_updates() -> None:
    from .test_metrics import review

    r = review("r", held_on=date(2026, 10, 1))
    a = action("done", (Update(date(2026, 10, 3), "in_progress"),), done_on=date(2026, 10, 9))
    committed_late = [StatusEvent(date(2026, 10, 20), "done", "git", commit="abc")]
    events = action_timeline(r, a, committed_late)
    assert [(e.date, e.status) for e in events] == [
        (date(2026, 10, 1), "not_started"),
        (date(2026, 10, 3), "in_progress"),
        (date(2026, 10, 9), "done"),
    ]
