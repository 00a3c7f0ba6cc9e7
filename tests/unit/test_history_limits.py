"""Git history on hostile pasts: versions that are too large, do not load or are not reviews are skipped
with one notice, and no git call can hang or stop a command."""

from __future__ import annotations

import contextlib
import shutil
import stat
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.engine import history
from retrogen.engine.analysis import analyse
from retrogen.gate.config import load_config
from retrogen.gate.loader import Document
from retrogen.site.pages import build_pages

from .test_history import git, write

TODAY = date(2026, 11, 20)
HUGE_INTEGER = "9" * 4301  # one digit past Python's int-string limit


def commit(repo: Path, message: str, when: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message, when=when)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A review committed three times: not started, then a past version under test, then in progress."""
    (tmp_path / "reviews").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\nextra:\n  retrogen:\n    max_file_size: 4000\n")
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path, "not_started")
    commit(tmp_path, "review", "2026-10-02T09:00:00+08:00")
    return tmp_path


def commit_past_version(repo: Path, text: str) -> None:
    """Commit `text` as the review, then the good file again, as a team does after fixing a mistake."""
    (repo / "reviews" / "pilot.yaml").write_text(text)
    commit(repo, "past", "2026-10-05T09:00:00+08:00")
    write(repo, "in_progress")
    commit(repo, "fixed", "2026-10-09T09:00:00+08:00")


def statuses(repo: Path) -> list[tuple[date, str]]:
    found = history.read_git_history(repo, repo / "reviews", 4000)
    return [(e.date, e.status) for e in found.statuses[("pilot", "A1")]]


def test_a_huge_integer_in_an_old_commit_stops_nothing(repo: Path) -> None:
    good = (repo / "reviews" / "pilot.yaml").read_text()
    commit_past_version(repo, good.replace("status: not_started", "status: blocked") + f"extra: {HUGE_INTEGER}\n")
    assert statuses(repo)[-1] == (date(2026, 10, 9), "in_progress")
    with contextlib.chdir(repo):
        for command in (["actions"], ["playbook"], ["actions", "--weekly"]):
            result = CliRunner().invoke(cli, [*command, "--today", "2026-11-20"])
            assert result.exit_code == 0, (command, result.output, result.exception)
    config = load_config(repo / "mkdocs.yml")
    assert "reviews/pilot.md" in build_pages(analyse(config, TODAY), config)


@pytest.mark.parametrize("error", [ValueError("Exceeds the limit (4300 digits)"), RecursionError(), KeyError("x")])
def test_whatever_the_loader_raises_on_a_past_version_is_a_skip(
    repo: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    write(repo, "blocked")
    commit(repo, "blocked", "2026-10-05T09:00:00+08:00")
    real = history.parse_text

    def parse(path: Path, text: str) -> Document:
        if "blocked" in text:
            raise error
        return real(path, text)

    monkeypatch.setattr(history, "parse_text", parse)
    found = history.read_git_history(repo, repo / "reviews", 4000)
    assert found.notice is not None and found.notice.startswith("git history: 1 version skipped")
    assert [e.status for e in found.statuses[("pilot", "A1")]] == ["not_started"]


def test_each_kind_of_bad_version_is_skipped_under_one_notice(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = (repo / "reviews" / "pilot.yaml").read_text()
    bad_versions = {
        "too large": good + "# padding\n" * 400,  # 4,400 bytes against a 4,000-byte limit
        "not a mapping": "- just\n- a list\n",
        "not UTF-8": good.replace("Ann Lee", "Ann \xe9").encode("latin-1"),
        "not YAML": "actions: [\n",
    }
    parsed: list[int] = []
    real = history.parse_text

    def parse(path: Path, text: str) -> Document:
        parsed.append(len(text))
        return real(path, text)

    monkeypatch.setattr(history, "parse_text", parse)
    for number, content in enumerate(bad_versions.values()):
        target = repo / "reviews" / "pilot.yaml"
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content)
        commit(repo, f"bad {number}", f"2026-10-0{3 + number}T09:00:00+08:00")
    write(repo, "in_progress")
    commit(repo, "fixed", "2026-10-09T09:00:00+08:00")
    found = history.read_git_history(repo, repo / "reviews", 4000)
    assert found.notice is not None
    assert found.notice.startswith("git history: 4 versions skipped (too large or not valid YAML): reviews/pilot.yaml@")
    assert found.notice.endswith(", …")  # three named, the fourth counted
    assert max(parsed) < 4000  # the version over the limit was never parsed
    assert [e.status for e in found.statuses[("pilot", "A1")]] == ["not_started", "in_progress"]


def test_a_misspelt_status_in_an_old_commit_is_no_status(repo: Path) -> None:
    commit_past_version(repo, (repo / "reviews" / "pilot.yaml").read_text().replace("not_started", "finishd"))
    assert [status for _, status in statuses(repo)] == ["not_started", "in_progress"]
    config = load_config(repo / "mkdocs.yml")
    # On the day the misspelt status was the latest word, the pages would have had no label for it.
    assert "reviews/pilot.md" in build_pages(analyse(config, date(2026, 10, 6)), config)


def test_a_git_that_does_not_answer_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "git"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 30\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.setattr(history, "GIT_TIMEOUT", 0.2)
    found = history.read_git_history(tmp_path, tmp_path / "reviews")
    assert found.notice == "git did not answer within 0.2 s: action history comes from `updates` alone"
    assert found.statuses == {}


def test_every_git_call_has_a_timeout(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    real = history.subprocess.run

    def run(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(history.subprocess, "run", run)
    assert history.read_git_history(repo, repo / "reviews").statuses
    assert len(calls) == 5 and all(call.get("timeout") == history.GIT_TIMEOUT for call in calls)
