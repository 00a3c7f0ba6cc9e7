"""An action's history belongs to one action: not to an older review or action that reused its ids, and
not before its meeting (issue 19). Each test builds a small git repository with fixed commit dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from retrogen.engine.analysis import analyse
from retrogen.engine.history import read_git_history, timelines, weekly_series
from retrogen.engine.model import load_knowledge_base
from retrogen.gate.check import read_knowledge_base
from retrogen.gate.config import load_config
from retrogen.notify.digest import Reason, build_digest

from .test_history import SOURCE, git

D = date.fromisoformat
TEXT = "Agree test plans before every pilot"


def write(
    repo: Path,
    name: str,
    review_id: str,
    held_on: str,
    status: str,
    due: str = "2026-10-20",
    text: str = TEXT,
    owner: str = "Ann Lee",
) -> None:
    yaml = (
        SOURCE.replace("id: rg201-overdue", f"id: {review_id}")
        .replace("held_on: 2026-10-01", f"held_on: {held_on}")
        .replace("status: in_progress", f"status: {status}")
        .replace("due: 2026-10-20", f"due: {due}")
        .replace(f"action: {TEXT}", f"action: {text}")
        .replace("owner: Ann Lee", f"owner: {owner}")
    )
    (repo / "reviews" / name).write_text(yaml)


def commit(repo: Path, when: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", when, when=f"{when}T09:00:00+08:00")


def repository(tmp_path: Path) -> Path:
    (tmp_path / "reviews").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n")
    git(tmp_path, "init", "-q", "-b", "main")
    return tmp_path


def commit_statuses(repo: Path, held_on: str, *steps: tuple[str, str], **fields: str) -> None:
    """Commit pilot.yaml once per (commit day, status of A1)."""
    for day, status in steps:
        write(repo, "pilot.yaml", "pilot", held_on, status, **fields)
        commit(repo, day)


def history(repo: Path, today: date) -> list[tuple[date, str]]:
    config = load_config(repo / "mkdocs.yml")
    kb = load_knowledge_base(read_knowledge_base(config, today), config, today)
    events = timelines(kb.reviews, read_git_history(repo, repo / "reviews"))[("pilot", "A1")]
    return [(e.date, e.status) for e in events]


def test_a_deleted_review_written_again_is_a_new_review(tmp_path: Path) -> None:
    repo = repository(tmp_path)
    commit_statuses(repo, "2026-09-01", ("2026-09-02", "in_progress"), ("2026-09-05", "cancelled"))
    (repo / "reviews" / "pilot.yaml").unlink()
    commit(repo, "2026-09-20")
    # The same path, id and even the same action, written again for a new meeting.
    commit_statuses(repo, "2026-10-01", ("2026-10-02", "not_started"), ("2026-10-09", "in_progress"))
    assert history(repo, D("2026-10-10")) == [(D("2026-10-01"), "not_started"), (D("2026-10-09"), "in_progress")]
    # Moved to another folder in one commit, the review lives on: its history goes on.
    (repo / "reviews" / "pilot.yaml").unlink()
    (repo / "reviews" / "2026").mkdir()
    write(repo, "2026/pilot.yaml", "pilot", "2026-10-01", "blocked")
    commit(repo, "2026-10-12")
    assert history(repo, D("2026-10-20")) == [
        (D("2026-10-01"), "not_started"),
        (D("2026-10-09"), "in_progress"),
        (D("2026-10-12"), "blocked"),
    ]


def test_an_action_rewritten_whole_is_a_new_action(tmp_path: Path) -> None:
    repo = repository(tmp_path)
    commit_statuses(repo, "2026-10-01", ("2026-10-02", "in_progress"), ("2026-10-05", "cancelled"))
    # A1 now names another action: what it does, its owner and its due date all change.
    new = {"text": "Publish the pilot checklist", "owner": "Bo Chen", "due": "2026-11-30"}
    commit_statuses(repo, "2026-10-01", ("2026-10-08", "not_started"), ("2026-10-15", "in_progress"), **new)
    assert history(repo, D("2026-10-16")) == [(D("2026-10-01"), "not_started"), (D("2026-10-15"), "in_progress")]
    # A new due date alone is the same action edited: its history goes on.
    commit_statuses(repo, "2026-10-01", ("2026-10-18", "blocked"), **{**new, "due": "2026-12-15"})
    assert history(repo, D("2026-10-20"))[-1] == (D("2026-10-18"), "blocked")
    assert len(history(repo, D("2026-10-20"))) == 3
    # Rewritten whole in the working file, not yet committed: the commits are another action's.
    write(
        repo,
        "pilot.yaml",
        "pilot",
        "2026-10-01",
        "not_started",
        text="Train the pilot team",
        owner="Di Wu",
        due="2027-01-31",
    )
    assert history(repo, D("2026-10-20")) == [(D("2026-10-01"), "not_started")]


def test_an_action_committed_before_its_meeting_starts_at_the_meeting(tmp_path: Path) -> None:
    repo = repository(tmp_path)
    write(repo, "early.yaml", "early", "2026-09-01", "in_progress", due="2026-12-31")
    commit(repo, "2026-09-02")
    write(repo, "pilot.yaml", "pilot", "2026-10-01", "not_started")  # prepared three weeks before the meeting
    commit(repo, "2026-09-10")
    today = D("2026-10-13")  # 12 days after the meeting
    assert history(repo, today) == [(D("2026-10-01"), "not_started")]
    analysis = analyse(load_config(repo / "mkdocs.yml"), today)
    weekly = weekly_series(analysis.knowledge_base.reviews, analysis.histories, today)
    # Sundays 09-06 … 10-11, then today: pilot's action counts from 10-01, not from its commit on 09-10.
    assert [d.isoformat()[5:] for d in weekly["week"]] == [
        "09-06",
        "09-13",
        "09-20",
        "09-27",
        "10-04",
        "10-11",
        "10-13",
    ]
    assert list(weekly["open"]) == [1, 1, 1, 1, 2, 2, 2]
    items = {item.review: item for digest in build_digest(analysis, stale=30) for item in digest.items}
    assert items["pilot"].last_update == D("2026-10-01")  # 12 days, not 33: it is not stale
    assert items["pilot"].reasons == (Reason.DUE_SOON,)
