"""`new` and `-o`: ids within the schema's limit, clear errors instead of tracebacks, nothing left behind."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.core.files import ABANDONED_AFTER_SECONDS, TEMPORARY

from ..conftest import ROOT
from .test_check_and_new import run

ID_LIMIT = json.loads((ROOT / "schema" / "review.schema.json").read_text())["properties"]["id"]["maxLength"]
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def test_new_accepts_ids_up_to_the_schemas_limit(knowledge_base: Path) -> None:
    code, out = run("new", "a" * ID_LIMIT, "--today", "2026-12-01", cwd=knowledge_base)
    assert code == 0, out
    for length in (ID_LIMIT + 1, 250):
        code, out = run("new", "b" * length, cwd=knowledge_base)
        assert code == 1 and f"at most {ID_LIMIT}" in out and "Traceback" not in out
        assert not (knowledge_base / "reviews" / f"{'b' * length}.yaml").exists()


def test_new_refuses_an_id_with_a_trailing_newline(knowledge_base: Path) -> None:
    code, out = run("new", "q4\n", cwd=knowledge_base)
    assert code == 1 and "not a review id" in out


def test_new_when_reviews_is_a_file_is_a_clear_error(knowledge_base: Path) -> None:
    reviews = knowledge_base / "reviews"
    os.rename(reviews, knowledge_base / "kept")
    reviews.write_text("a file where the reviews folder should be")
    code, out = run("new", "2026-q4-east-sales", cwd=knowledge_base)
    assert code == 1 and "reviews is a file, not a folder" in out and "Traceback" not in out


@pytest.mark.skipif(AS_ROOT, reason="root writes into a read-only folder; the test above covers it as root")
def test_new_in_a_read_only_reviews_folder_is_a_clear_error(knowledge_base: Path) -> None:
    reviews = knowledge_base / "reviews"
    reviews.chmod(0o555)
    try:
        code, out = run("new", "2026-q4-east-sales", cwd=knowledge_base)
    finally:
        reviews.chmod(0o755)
    assert code == 1 and "Permission denied" in out and "Traceback" not in out


def test_new_killed_before_linking_leaves_no_review_and_its_leftover_goes(knowledge_base: Path) -> None:
    # A process killed between writing the temporary file and linking it into place.
    killed_at_link = (
        "import os, signal, sys\n"
        "os.link = lambda *args: os.kill(os.getpid(), signal.SIGKILL)\n"
        "from retrogen.cli import main\n"
        "sys.argv = ['retrogen', 'new', 'killed-review']\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", killed_at_link], cwd=knowledge_base, capture_output=True)
    assert result.returncode == -9
    reviews = knowledge_base / "reviews"
    assert not (reviews / "killed-review.yaml").exists()  # no torn review
    [leftover] = reviews.glob(f".*.{TEMPORARY}-*")
    long_ago = time.time() - ABANDONED_AFTER_SECONDS - 1
    os.utime(leftover, (long_ago, long_ago))
    code, out = run("new", "killed-review", "--today", "2026-12-01", cwd=knowledge_base)
    assert code == 0, out
    assert not list(reviews.glob(".*"))


def test_new_files_are_readable_like_any_new_file(knowledge_base: Path) -> None:
    previous = os.umask(0o022)
    try:
        run("new", "2026-q4-east-sales", "--today", "2026-12-01", cwd=knowledge_base)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((knowledge_base / "reviews" / "2026-q4-east-sales.yaml").stat().st_mode) == 0o644


def test_force_keeps_the_mode_of_the_replaced_file(knowledge_base: Path) -> None:
    out = knowledge_base / "playbook.md"
    out.write_text("old")
    out.chmod(0o644)
    code, text = run("playbook", "-o", str(out), "--force", "--no-git", "--today", "2026-11-20", cwd=knowledge_base)
    assert code == 0, text
    assert out.read_text() != "old" and stat.S_IMODE(out.stat().st_mode) == 0o644


def test_output_into_a_folder_is_refused(knowledge_base: Path) -> None:
    folder = knowledge_base / "exports"
    folder.mkdir()
    code, out = run("playbook", "-o", str(folder), "--force", "--no-git", cwd=knowledge_base)
    assert code == 2 and "is a directory" in out
    assert folder.is_dir() and not any(folder.iterdir())


def test_new_explains_its_today_option() -> None:
    new_help = CliRunner().invoke(cli, ["new", "--help"]).output
    check_help = CliRunner().invoke(cli, ["check", "--help"]).output
    assert "held_on" in new_help and "due dates" not in new_help
    assert "due dates" in check_help
