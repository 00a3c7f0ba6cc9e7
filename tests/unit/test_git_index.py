"""The git history's reading kept between runs (issue 21): a later run reads only the commits made since, and
gives exactly what reading the whole history gives, through new commits, deleted and re-added reviews,
rewritten actions, amends, resets and damaged stores."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrogen.core.files import NO_CACHE_ENV
from retrogen.engine import history
from retrogen.engine.git_index import STORE_NAME
from retrogen.gate.index import INDEX_FOLDER

from .test_history import git
from .test_history_identity import commit, repository, write


@pytest.fixture(autouse=True)
def _store_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NO_CACHE_ENV, raising=False)  # tests/conftest.py turns every lasting index off


def knowledge_base(folder: Path) -> Path:
    """A repository as `init` makes one: the lasting index's folder is ignored, never committed."""
    folder.mkdir()
    repo = repository(folder)
    (repo / ".gitignore").write_text("/.retrogen/\n")
    return repo


def snapshot(found: history.GitHistory) -> tuple[Any, ...]:
    return (
        {key: list(events) for key, events in found.statuses.items()},
        list(found.statuses),
        found.identities,
        found.commits,
        found.notice,
    )


def fresh(repo: Path) -> tuple[Any, ...]:
    return snapshot(history.read_git_history(repo, repo / "reviews", cache=False))


def kept(repo: Path) -> history.GitHistory:
    return history.read_git_history(repo, repo / "reviews")


def store(repo: Path) -> Path:
    return repo / INDEX_FOLDER / STORE_NAME


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The past versions each run parses."""
    seen: list[str] = []
    real = history._Reader._read

    def counting(self: Any, path: str, blob: memoryview) -> Any:
        seen.append(path)
        return real(self, path, blob)

    monkeypatch.setattr(history._Reader, "_read", counting)
    return seen


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = knowledge_base(tmp_path / "kb")
    for day, status in (("2026-10-02", "not_started"), ("2026-10-09", "in_progress")):
        write(repo, "pilot.yaml", "pilot", "2026-10-01", status)
        write(repo, "other.yaml", "other", "2026-10-01", "not_started", text="Call the buyer")
        commit(repo, day)
    return repo


def test_a_later_run_reads_only_the_new_commits_and_gives_the_whole_history(repo: Path, parsed: list[str]) -> None:
    assert snapshot(kept(repo)) == fresh(repo)
    assert store(repo).is_file()
    parsed.clear()
    write(repo, "pilot.yaml", "pilot", "2026-10-01", "done")
    commit(repo, "2026-10-15")
    found = kept(repo)
    assert parsed == ["reviews/pilot.yaml"]  # one new version; the four older ones were not read again
    assert [e.status for e in found.statuses[("pilot", "A1")]] == ["not_started", "in_progress", "done"]
    assert found.commits == 3
    assert snapshot(found) == fresh(repo)


def test_with_head_unmoved_git_is_asked_nothing_but_where_head_is(
    repo: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[str]
) -> None:
    expected = snapshot(kept(repo))
    calls: list[list[str]] = []
    real = history.subprocess.run

    def run(command: list[str], **kwargs: Any) -> Any:
        calls.append(command[5:])
        return real(command, **kwargs)

    monkeypatch.setattr(history.subprocess, "run", run)
    parsed.clear()
    assert snapshot(kept(repo)) == expected
    assert [call[0] for call in calls] == ["rev-parse", "rev-parse", "rev-parse"] and parsed == []


def test_a_rewritten_history_is_read_again_in_full(repo: Path) -> None:
    kept(repo)
    # Amend the last commit: the stored reading's newest commit is no longer in the history.
    write(repo, "pilot.yaml", "pilot", "2026-10-01", "blocked")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--amend", "--no-edit", when="2026-10-09T10:00:00+08:00")
    found = kept(repo)
    assert [e.status for e in found.statuses[("pilot", "A1")]] == ["not_started", "blocked"]
    assert snapshot(found) == fresh(repo)
    # Reset to the first commit and write another past.
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    kept(repo)
    write(repo, "pilot.yaml", "pilot", "2026-10-01", "cancelled")
    commit(repo, "2026-10-12")
    assert [e.status for e in kept(repo).statuses[("pilot", "A1")]] == ["not_started", "cancelled"]
    assert snapshot(kept(repo)) == fresh(repo)


def test_a_review_deleted_in_the_last_commit_and_written_again_later(repo: Path) -> None:
    (repo / "reviews" / "pilot.yaml").unlink()
    commit(repo, "2026-10-10")
    assert ("pilot", "A1") not in kept(repo).statuses
    write(repo, "pilot.yaml", "pilot", "2026-10-11", "in_progress", text="Another plan", owner="Bo", due="2026-11-01")
    commit(repo, "2026-10-12")
    found = kept(repo)
    assert [e.status for e in found.statuses[("pilot", "A1")]] == ["in_progress"]
    assert snapshot(found) == fresh(repo)


def test_a_merged_branch_of_older_commits_is_read_in_full(repo: Path, parsed: list[str]) -> None:
    kept(repo)
    git(repo, "checkout", "-q", "-b", "side", "HEAD~1")
    write(repo, "side.yaml", "side", "2026-09-01", "in_progress", text="Side")
    commit(repo, "2026-09-05")  # older than the main line's commits: the whole log lists it first
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "side", when="2026-10-20T09:00:00+08:00")
    parsed.clear()
    found = kept(repo)
    assert len(parsed) == 4  # read again in full: the merge may order or simplify the log differently
    assert snapshot(found) == fresh(repo)


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b'{"key": 1}',
        b"[1, 2]",
        "truncate",
        "malformed state",
        "digest",
    ],
)
def test_a_damaged_store_is_read_again_with_a_notice(repo: Path, damage: Any) -> None:
    expected = snapshot(kept(repo))
    path = store(repo)
    stored = json.loads(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:50])
    elif damage == "malformed state":
        stored["state"]["statuses"] = [["pilot", "A1", [["not a day", "done", "x"]]]]
        path.write_text(json.dumps(stored))
    elif damage == "digest":
        stored["commits"] = stored["commits"][:1]
        path.write_text(json.dumps(stored))
    else:
        path.write_bytes(damage)
    found = kept(repo)
    assert snapshot(found) == expected
    if damage != b'{"key": 1}':  # a store of another version is no damage: it is simply read again
        assert found.cache_notices and "reading the git history again" in found.cache_notices[0]
    assert not kept(repo).cache_notices  # and the next run finds a sound one


def test_a_store_of_other_settings_or_code_is_not_used(repo: Path, parsed: list[str]) -> None:
    kept(repo)
    parsed.clear()
    history.read_git_history(repo, repo / "reviews", max_file_size=4000)
    assert parsed  # read again for the other size limit
    stored = json.loads(store(repo).read_bytes())
    stored["key"] = "another retrogen"
    store(repo).write_text(json.dumps(stored))
    parsed.clear()
    found = kept(repo)
    assert parsed and not found.cache_notices


def test_no_store_when_turned_off_or_not_writable(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert history.read_git_history(repo, repo / "reviews", cache=False).statuses
    assert not store(repo).exists()
    monkeypatch.setenv(NO_CACHE_ENV, "1")
    assert kept(repo).statuses and not store(repo).exists()
    monkeypatch.delenv(NO_CACHE_ENV)
    if os.geteuid() != 0:  # root writes anywhere
        repo.chmod(0o555)
        try:
            assert snapshot(kept(repo)) == fresh(repo)
            assert not (repo / INDEX_FOLDER).exists()
        finally:
            repo.chmod(0o755)


STEPS = st.sampled_from(["edit", "edit_other", "rewrite", "delete", "readd", "amend", "reset", "merge", "read"])


def has_parent(repo: Path) -> bool:
    return bool(
        subprocess.run(["git", "-C", repo, "rev-parse", "-q", "--verify", "HEAD~1"], capture_output=True).stdout
    )


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(STEPS, min_size=1, max_size=7))
def test_any_sequence_of_commits_gives_what_the_whole_history_gives(tmp_path_factory: Any, steps: list[str]) -> None:
    repo = knowledge_base(tmp_path_factory.mktemp("kb") / "kb")
    statuses = ["not_started", "in_progress", "blocked", "done", "cancelled"]
    write(repo, "pilot.yaml", "pilot", "2026-10-01", "not_started")
    commit(repo, "2026-10-02")
    for number, step in enumerate(steps, start=3):
        (repo / "reviews").mkdir(exist_ok=True)  # git removes the folder with its last file (delete, reset)
        day = f"2026-10-{number:02d}"
        status = statuses[number % len(statuses)]
        if step == "edit":
            write(repo, "pilot.yaml", "pilot", "2026-10-01", status)
        elif step == "edit_other":
            write(repo, "other.yaml", "other", "2026-10-01", status, text="Call the buyer")
        elif step == "rewrite":
            write(repo, "pilot.yaml", "pilot", "2026-10-01", status, text=f"Plan {number}", owner="Bo", due=day)
        elif step == "delete":
            (repo / "reviews" / "pilot.yaml").unlink(missing_ok=True)
        elif step == "readd":
            write(repo, "pilot.yaml", "pilot", "2026-10-01", status, text="Again")
        elif step == "amend":
            write(repo, "pilot.yaml", "pilot", "2026-10-01", status, text="Amended")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "--amend", "--allow-empty", "--no-edit", when=f"{day}T09:00:00+08:00")
            continue
        elif step == "reset":
            if has_parent(repo):
                git(repo, "reset", "-q", "--hard", "HEAD~1")
            continue
        elif step == "merge":  # a side branch, dated before the main line's commits, merged in
            git(repo, "checkout", "-q", "-b", "side", "HEAD~1" if has_parent(repo) else "HEAD")
            write(repo, f"side{number}.yaml", f"side{number}", "2026-09-01", status, text="Side")
            git(repo, "add", "-A")
            git(repo, "commit", "-qm", "side", when=f"2026-09-{number:02d}T09:00:00+08:00")
            git(repo, "checkout", "-q", "main")
            git(repo, "merge", "-q", "--no-ff", "-m", "merge", "side", when=f"{day}T09:00:00+08:00")
            git(repo, "branch", "-q", "-D", "side")
            assert snapshot(kept(repo)) == fresh(repo), steps
            continue
        elif step == "read":
            assert snapshot(kept(repo)) == fresh(repo)
            continue
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", day, when=f"{day}T09:00:00+08:00")
        assert snapshot(kept(repo)) == fresh(repo), steps
